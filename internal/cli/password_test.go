package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestPasswordCommandBounded: only password_command's first line is read, at most a few KiB
// of it, and the command is not waited for once it has given it (regression: a command
// printing without end took gigabytes; one that stayed running kept herald waiting).
func TestPasswordCommandBounded(t *testing.T) {
	tests := []struct {
		command, want, err string
	}{
		{"printf 'secret\\nlogin: me\\n'", "secret", ""},
		{"yes secret", "secret", ""},
		{"echo secret; sleep 100", "secret", ""},
		{"head -c 100000000 /dev/zero", "", "a first line longer than any password"},
		{"printf '\\nsecret\\n'", "", "printed nothing on its first line"},
		{"true", "", "printed nothing on its first line"},
		{"echo oops >&2; exit 3", "", "failed: exit status 3"},
		{"echo secret; exit 3", "", "failed: exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			done := make(chan struct{})
			var got string
			var err error
			go func() {
				got, err = runPasswordCommand(context.Background(), tt.command)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("password_command %q: still waiting after 30 s", tt.command)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
