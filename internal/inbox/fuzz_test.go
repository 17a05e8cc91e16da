package inbox

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzClassify feeds any header and body to Classify: a mailbox is hostile input, and a
// message must give a result, never a panic or a hang.
func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		hdr, body := SplitMessage(raw)
		f.Add(hdr, body)
	}
	l := NewLookup(campaign)
	f.Fuzz(func(t *testing.T, hdr, body []byte) {
		r := Classify(hdr, body, l)
		switch r.Kind {
		case Bounce, Delayed, Notice, AutoReply, Reply:
			if r.Key == "" && r.MatchedBy != ByAddress {
				t.Fatalf("kind %q without a recipient: %+v", r.Kind, r)
			}
		case Unmatched:
			if r.Key != "" || r.Reason == "" {
				t.Fatalf("unmatched with key %q or without a reason: %+v", r.Key, r)
			}
		default:
			t.Fatalf("kind %q", r.Kind)
		}
		if r.Nature == Unmatched || r.Nature == "" {
			t.Fatalf("nature %q", r.Nature)
		}
	})
}
