package template

import (
	"os"
	"testing"
)

// BenchmarkRender renders the fixture's message: about 2 KB of Markdown with ten columns,
// an if/else, a table, an inline image, two attachments and a calendar event. The target of
// 10,000 messages a second end to end leaves rendering well under 40 µs.
func BenchmarkRender(b *testing.B) {
	tp, err := Load(os.DirFS("testdata/full"), "testdata/full", testOptions())
	if err != nil {
		b.Fatal(err)
	}
	rows := []map[string]string{testRow(), testRow()}
	rows[1]["Country"], rows[1]["Title"], rows[1]["Language"] = "Senegal", "", "fr"
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := tp.Render(rows[i%2], "en"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	fsys := os.DirFS("testdata/full")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(fsys, "testdata/full", testOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
