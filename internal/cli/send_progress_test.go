package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSendProgressConcurrent runs several connections with a progress bar: the workers
// report progress from their own goroutines, which -race catches unless the reports come
// one at a time (regression). Each failure still gets its line.
func TestSendProgressConcurrent(t *testing.T) {
	e := newSendEnv(t, numberedRows(40), mailtest.Options{})
	for i := 1; i <= 40; i += 3 {
		e.srv.OnRcpt(fmt.Sprintf("r%d@n%d.test", i, i), step(550, "5.1.1", "no such mailbox"))
	}
	r := e.sendWith(t, context.Background(), Streams{In: strings.NewReader(""), InteractiveIn: true}, "--yes", "--connections", "4")
	if r.code != ExitNotDelivered {
		t.Errorf("exit code %d, want %d\n%s", r.code, ExitNotDelivered, r.errOut)
	}
	if n := strings.Count(r.errOut, ": failed: 550 5.1.1 no such mailbox"); n != 14 {
		t.Errorf("%d failure lines, want 14:\n%s", n, r.errOut)
	}
	if !strings.Contains(r.out, "Delivered: 26. Failed: 14.") {
		t.Errorf("summary:\n%s\nwant 26 delivered and 14 failed", r.out)
	}
}
