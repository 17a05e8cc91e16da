package send_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
	"github.com/mla-initiative/herald/internal/send"
)

// benchSend sends b.N messages over conns connections to a server that discards them, with
// no rate limit and the log fsync'd for every message, as in a real run, and reports
// messages a second. Planning (reading the workbook, checking every row) is not timed.
func benchSend(b *testing.B, conns int) {
	in := campaignDir(b, recipientRows(b.N))
	p := mustPrepare(b, in)
	srv := mailtest.Start(b, mailtest.Options{Discard: true})
	opt := options(srv, in)
	opt.Connections = conns
	b.ResetTimer()
	start := time.Now()
	res := mustSend(b, p, opt)
	elapsed := time.Since(start)
	b.StopTimer()
	if res.Delivered != b.N || srv.Total() != b.N {
		b.Fatalf("delivered %d, server kept %d; want %d", res.Delivered, srv.Total(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
}

func BenchmarkSendOneConnection(b *testing.B)   { benchSend(b, 1) }
func BenchmarkSendFourConnections(b *testing.B) { benchSend(b, 4) }

// BenchmarkRate sends for about two seconds at a rate the server easily keeps up with and
// reports the rate achieved, and its error, over the whole run: messages after the first
// (which goes at once) divided by the time to the last.
func BenchmarkRate(b *testing.B) {
	// Two seconds by default, to keep -bench . short; the issue's "within 2% over a
	// minute" is measured with HERALD_RATE_BENCH_SECONDS=60.
	seconds := 2.0
	if v, err := strconv.ParseFloat(os.Getenv("HERALD_RATE_BENCH_SECONDS"), 64); err == nil && v > 0 {
		seconds = v
	}
	for _, tc := range []struct {
		perSecond float64
		conns     int
	}{{10, 1}, {100, 1}, {600, 4}} {
		b.Run(fmt.Sprintf("%g/s-%dconn", tc.perSecond, tc.conns), func(b *testing.B) {
			n := int(seconds * tc.perSecond)
			in := campaignDir(b, recipientRows(n))
			p := mustPrepare(b, in)
			srv := mailtest.Start(b, mailtest.Options{Discard: true})
			opt := options(srv, in)
			opt.Rate, opt.Connections = rate.Limit(tc.perSecond), tc.conns
			var achieved float64
			for b.Loop() {
				b.StopTimer()
				opt.LogPath = b.TempDir() + "/rate.jsonl"
				b.StartTimer()
				var first, last time.Time
				opt.Progress = func(send.Progress) {
					now := time.Now()
					if first.IsZero() {
						first = now
					}
					last = now
				}
				res := mustSend(b, p, opt)
				if res.Delivered != n {
					b.Fatalf("delivered %d, want %d", res.Delivered, n)
				}
				achieved = float64(n-1) / last.Sub(first).Seconds()
			}
			b.ReportMetric(achieved, "msg/s")
			b.ReportMetric(100*(achieved-tc.perSecond)/tc.perSecond, "%error")
		})
	}
}
