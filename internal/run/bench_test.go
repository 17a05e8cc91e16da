package run

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/contacts"
	"github.com/mla-initiative/herald/internal/mail"
	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/templates"
)

// The speed target (issue #2) is a preview of 10,000 rows at 10,000 messages a second on
// one core, in under 150 MB. Run the benchmarks with -cpu 1 for the one-core figure:
//
//	go test ./internal/run -run '^$' -bench 'Preview|Stage' -cpu 1 -benchtime 3x
//
// Most of a preview's time can be the file system creating 20,000 files; TMPDIR=/dev/shm
// measures herald without the disk.
const benchRows = 10_000

// benchWorkbook repeats the rows of the built-in sample to n rows, each with addresses of
// its own, so that the built-in templates render as they do for real contacts: three
// languages, names in several scripts, Cc on some rows.
func benchWorkbook(tb testing.TB, n int) (header []string, rows [][]string) {
	tb.Helper()
	f, err := templates.FS.Open(templates.SampleName)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sample, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	header, sample = sample[0], sample[1:]
	email, cc := -1, -1
	for i, h := range header {
		switch h {
		case "Email":
			email = i
		case "Cc":
			cc = i
		}
	}
	if email < 0 || cc < 0 {
		tb.Fatalf("the sample has no Email or Cc column: %q", header)
	}
	rows = make([][]string, n)
	for i := range rows {
		r := append([]string(nil), sample[i%len(sample)]...)
		r[email] = fmt.Sprintf("person%d@authority%d.example", i, i)
		if r[cc] != "" {
			r[cc] = fmt.Sprintf("office%d@authority%d.example", i, i)
		}
		rows[i] = r
	}
	return header, rows
}

// writeBenchWorkbook writes the workbook of benchWorkbook as .xlsx or .csv into dir.
func writeBenchWorkbook(tb testing.TB, dir, ext string, n int) string {
	tb.Helper()
	header, rows := benchWorkbook(tb, n)
	path := filepath.Join(dir, "contacts."+ext)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	switch ext {
	case "xlsx":
		err = contacts.WriteXLSX(f, "Authorities", header, rows)
	case "csv":
		w := csv.NewWriter(f)
		if err = w.Write(header); err == nil {
			err = w.WriteAll(rows)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// benchInputs fixes the clock and the Message-IDs, as the golden files do, so that every
// run writes the same bytes.
func benchInputs(contacts string) Inputs {
	n := 0
	return Inputs{
		Contacts: contacts,
		Template: "save-the-date",
		From:     "Protocol <protocol@mfa.example>",
		Facts:    map[string]string{"information-link": "https://mla-initiative.example/convention"},
		Now:      func() time.Time { return time.Date(2023, 11, 14, 9, 0, 0, 0, time.UTC) },
		NewID:    func() string { n++; return fmt.Sprintf("bench.%d", n) },
	}
}

// peakMemory samples the memory the Go runtime holds from the operating system (heap,
// stacks and runtime structures: close to the resident size of the process) and the bytes
// of heap objects, until stop is called.
type peakMemory struct {
	total, heap uint64
	done        chan struct{}
	wg          sync.WaitGroup
}

func watchMemory() *peakMemory {
	p := &peakMemory{done: make(chan struct{})}
	p.sample()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-tick.C:
				p.sample()
			}
		}
	}()
	return p
}

func (p *peakMemory) sample() {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	p.total = max(p.total, s[0].Value.Uint64()-s[1].Value.Uint64())
	p.heap = max(p.heap, s[2].Value.Uint64())
}

func (p *peakMemory) stop() {
	close(p.done)
	p.wg.Wait()
	p.sample()
}

// BenchmarkPreview is the whole of herald preview for a 10,000-row workbook of the
// built-in save-the-date: read, check, render, write 10,000 .eml and .html files and the
// index, and swap the folder in.
func BenchmarkPreview(b *testing.B) {
	for _, ext := range []string{"xlsx", "csv"} {
		b.Run(ext, func(b *testing.B) {
			dir := b.TempDir()
			path := writeBenchWorkbook(b, dir, ext, benchRows)
			runtime.GC()
			mem := watchMemory()
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				out := filepath.Join(dir, fmt.Sprintf("preview%d", i))
				start := time.Now()
				_, res, err := Preview(context.Background(), benchInputs(path), out, 0)
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if res.Messages != benchRows {
					b.Fatalf("wrote %d messages, want %d", res.Messages, benchRows)
				}
				// Each preview goes to a folder of its own, all deleted at the end: a
				// file system busy deleting 20,000 files slows the next preview down.
			}
			mem.stop()
			b.ReportMetric(float64(benchRows*b.N)/elapsed.Seconds(), "msg/s")
			b.ReportMetric(float64(mem.total)/(1<<20), "peak-MiB")
			b.ReportMetric(float64(mem.heap)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkStage measures each stage of a preview on its own, per message except for
// reading: reading the workbook, planning (read, check and render every row, writing
// nothing), rendering one message, writing one as MIME, and writing its two files.
func BenchmarkStage(b *testing.B) {
	dir := b.TempDir()
	xlsx := writeBenchWorkbook(b, dir, "xlsx", benchRows)
	csvPath := writeBenchWorkbook(b, dir, "csv", benchRows)

	for _, path := range []string{xlsx, csvPath} {
		b.Run("read-"+strings.TrimPrefix(filepath.Ext(path), "."), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := contacts.Read(path, contacts.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(t.Rows) != benchRows {
					b.Fatalf("read %d rows, want %d", len(t.Rows), benchRows)
				}
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}

	b.Run("plan-csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			p, err := Prepare(context.Background(), benchInputs(csvPath), func(*plan.Item, *message.Message) error { n++; return nil })
			if err != nil {
				b.Fatal(err)
			}
			if n != benchRows || p.Errors() != 0 {
				b.Fatalf("rendered %d messages with %d errors, want %d and none", n, p.Errors(), benchRows)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "msg/s")
	})

	// The per-message stages cycle through the first rows, one of each row of the sample.
	var msgs []*message.Message
	var items []*plan.Item
	plan, err := Prepare(context.Background(), benchInputs(csvPath), func(it *plan.Item, m *message.Message) error {
		if len(msgs) < 64 {
			msgs = append(msgs, m)
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := plan.Render(&plan.Items[i%len(msgs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("eml", func(b *testing.B) {
		b.ReportAllocs()
		n := int64(0)
		for i := 0; b.Loop(); i++ {
			w, err := mail.AppendEML(nil, msgs[i%len(msgs)])
			if err != nil {
				b.Fatal(err)
			}
			n += int64(len(w))
		}
		b.SetBytes(n / int64(b.N))
	})
	b.Run("html", func(b *testing.B) {
		w := newPreviewWriter(b.TempDir())
		buf := make([]byte, 0, 64<<10)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			w.appendBrowserHTML(buf[:0], msgs[i%len(msgs)])
		}
	})
	b.Run("files", func(b *testing.B) {
		// The bytes of each message are ready: this is the cost of the two files alone.
		emls := make([][]byte, len(msgs))
		for i, m := range msgs {
			eml, err := mail.AppendEML(nil, m)
			if err != nil {
				b.Fatal(err)
			}
			emls[i] = eml
		}
		out := b.TempDir()
		w := newPreviewWriter(out)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := i % len(msgs)
			base := previewName(i+1, items[k])
			if err := w.file(base+".eml", emls[k]); err != nil {
				b.Fatal(err)
			}
			if err := w.file(base+".html", []byte(msgs[k].HTML)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
