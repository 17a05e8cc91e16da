package mail

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/message"
)

// writeGoMail writes m with go-mail's writer, for the benchmark.
func writeGoMail(w io.Writer, m *message.Message) (int64, error) {
	b, err := build(m)
	if err != nil {
		return 0, err
	}
	return b.render(w)
}

// TestFileCacheChangedData checks that a cached encoding is not used for data that has
// changed since, even at the same address.
func TestFileCacheChangedData(t *testing.T) {
	m := fullMessageInternal()
	data := bytes.Repeat([]byte("a"), 2*minCachedFile)
	m.Attachments[0].Data = data
	for range 2 { // the second time from the cache
		out, err := AppendEML(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte("YWFh")) || bytes.Contains(out, []byte("YmFh")) { // base64 of "aaa", "baa"
			t.Fatalf("the attachment is not encoded as it is:\n%s", out)
		}
	}
	data[0] = 'b'
	out, err := AppendEML(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("YmFh")) {
		t.Errorf("the changed attachment was not encoded afresh:\n%s", out)
	}
}

// FuzzQuotedPrintable compares the body encoder with mime/quotedprintable.
func FuzzQuotedPrintable(f *testing.F) {
	for _, s := range []string{"", "a", " ", "a \n", "\r\n\r", "é", strings.Repeat("a", 75) + "=", strings.Repeat("b ", 40) + "\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		w := quotedprintable.NewWriter(&want)
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := appendQP(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendQP(%q) = %q, want %q", s, got, want.Bytes())
		}
	})
}

// appendQP encodes s as mime/quotedprintable.Writer does (not in binary mode) when s is
// written to it in one call and the writer is then closed: lines of at most 76
// characters with soft breaks, CR, LF and CRLF turned into CRLF, and a space or tab
// before a line break or at the end encoded.
func appendQP(dst []byte, s string) []byte {
	q := qpEncoder{dst: dst}
	q.write(s)
	q.checkLastByte()
	return q.dst
}

func BenchmarkAppendEML(b *testing.B) {
	m := fullMessageInternal()
	m.Text = strings.Repeat("The co-hosting States — Argentina, Belgium, Mongolia — have the honour to invite Your Excellency.\n\n", 25)
	m.HTML = strings.Repeat("<p style=\"margin:0 0 1em\">The co-hosting States — Argentina, Belgium, Mongolia — have the honour.</p>\n", 50)
	m.Calendar = bytes.Repeat([]byte("COMMENT:padding\r\n"), 60)
	// Into a reused buffer, as the preview writes.
	var eml []byte
	appendEML := func(w io.Writer, m *message.Message) (int64, error) {
		var err error
		eml, err = AppendEML(eml[:0], m)
		n, _ := w.Write(eml)
		return int64(n), err
	}
	for _, bc := range []struct {
		name  string
		write func(io.Writer, *message.Message) (int64, error)
	}{{"herald", appendEML}, {"go-mail", writeGoMail}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if _, err := bc.write(&buf, m); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}
