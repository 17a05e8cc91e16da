package cli

import (
	"bytes"
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
	defer cancel()
	done := make(chan result, 1)
	// Ctrl-C is pressed once the prompt is shown.
	go func() {
		done <- e.sendWith(t, ctx, Streams{In: in, InteractiveIn: true, Err: &cancelAt{text: "Type yes", cancel: cancel}})
	}()
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

// cancelAt passes writes to a buffer and cancels when text has been written.
type cancelAt struct {
	bytes.Buffer
	text   string
	cancel func()
}

func (w *cancelAt) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.text) {
		w.cancel()
	}
	return n, err
}
