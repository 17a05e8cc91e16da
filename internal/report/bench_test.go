package report_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/plan"
	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
)

// benchCampaign is a workbook of n recipients and a log in which they are a mix of
// delivered (most), failed, unknown and pending, with a retry for each failure.
func benchCampaign(b *testing.B, n int) (*plan.Plan, string) {
	b.Helper()
	var csv strings.Builder
	csv.WriteString("Email,Name,Cc,Note\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&csv, "r%d@n%d.test,Name %d,desk%d@n%d.test,=note %d\n", i, i, i, i, i, i)
	}
	in := campaign(b, csv.String())
	p := prepare(b, in)
	var log bytes.Buffer
	at := time.Date(2024, 1, 10, 9, 30, 0, 0, time.UTC)
	add := func(r deliverylog.Record) {
		line, err := r.MarshalJSON()
		if err != nil {
			b.Fatal(err)
		}
		log.Write(line)
		log.WriteByte('\n')
	}
	for i, it := range p.Items {
		if i%50 == 49 {
			continue // pending
		}
		tries := 1
		if i%20 == 7 {
			tries = 3
		}
		for try := 0; try < tries; try++ {
			at = at.Add(time.Second)
			key := it.Key
			add(deliverylog.Record{Type: deliverylog.TypeAttempt, Time: at, Campaign: p.Campaign, Run: "r1", Key: key, Row: it.Row,
				To: []string{it.To[0].Addr}, Cc: []string{it.Cc[0].Addr}, MessageID: fmt.Sprintf("m%d@conference.example.org", i)})
			out := deliverylog.Record{Type: deliverylog.TypeOutcome, Time: at.Add(300 * time.Millisecond), Campaign: p.Campaign, Run: "r1", Key: key,
				Status: deliverylog.StatusDelivered, Code: 250, Enhanced: "2.0.0", Reply: "250 2.0.0 Ok: queued as 4TzX1"}
			switch {
			case i%20 == 7:
				out.Status, out.Failure, out.Code, out.Enhanced, out.Reply = deliverylog.StatusFailed, deliverylog.FailureTemporary, 451, "4.7.1", "451 4.7.1 greylisted"
			case i%100 == 3:
				out.Status, out.Failure, out.Code, out.Enhanced, out.Reply = deliverylog.StatusFailed, deliverylog.FailurePermanent, 550, "5.1.1", "550 5.1.1 user unknown"
			case i%100 == 5:
				continue // an attempt without outcome: unknown
			}
			add(out)
		}
	}
	path := run.LogPath(in)
	if err := os.WriteFile(path, log.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return p, path
}

// BenchmarkStatus10000 is herald status on 10,000 recipients once the workbook is planned:
// read and fold the log, join it with the pl, and write the table and the JSON.
func BenchmarkStatus10000(b *testing.B) {
	p, path := benchCampaign(b, 10000)
	for b.Loop() {
		r, err := report.Load(p, path)
		if err != nil {
			b.Fatal(err)
		}
		if r.Counts.Total() != 10000 {
			b.Fatalf("got %d recipients, want 10000", r.Counts.Total())
		}
		if err := r.WriteTable(io.Discard, report.TextOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExport10000 is herald status --export report.xlsx (or .csv) on 10,000 recipients.
func BenchmarkExport10000(b *testing.B) {
	p, path := benchCampaign(b, 10000)
	r, err := report.Load(p, path)
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"xlsx", r.WriteXLSX},
		{"csv", r.WriteExportCSV},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if err := bb.write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPrepare10000 is the part of herald status that is not the report's: planning
// the workbook (reading it, rendering every message), for comparison.
func BenchmarkPrepare10000(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("Email,Name\n")
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&csv, "r%d@n%d.test,Name %d\n", i, i, i)
	}
	in := campaign(b, csv.String())
	for b.Loop() {
		prepare(b, in)
	}
}
