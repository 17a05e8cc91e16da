package cli

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSendCtrlCAtPrompt: Ctrl-C (the context cancelled) while herald waits for "yes" ends
// the command without sending (regression: the read went on blocking, and only a second
// Ctrl-C, which main no longer catches, ended herald).
func TestSendCtrlCAtPrompt(t *testing.T) {
	e := newSendEnv(t, fiveRows(), mailtest.Options{})
	in, unblock := io.Pipe()
	defer unblock.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C pressed at the prompt
	done := make(chan result, 1)
	go func() { done <- e.sendWith(t, ctx, Streams{In: in, InteractiveIn: true}) }()
	select {
	case r := <-done:
		if e.srv.Total() != 0 {
			t.Errorf("server received %d messages after Ctrl-C at the prompt (exit %d)", e.srv.Total(), r.code)
		}
		if r.code != ExitFailure || !strings.Contains(r.errOut, "herald: error: interrupted at the prompt: nothing was sent") {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 1 saying nothing was sent", r.code, r.errOut)
		}
	case <-time.After(10 * time.Second):
		unblock.Close()
		<-done
		t.Errorf("herald send still waited for an answer 10s after Ctrl-C at the confirmation prompt")
	}
}
