package cli

import (
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSendExitCodes: exit 0 says "everyone is delivered" (with --test-to: "the tester got
// every test message"). Regression: these runs ended with 0 although recipients of the
// campaign were never sent their message, or every test message failed.
func TestSendExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		setup   func(*sendEnv, *testing.T) // earlier runs and changes to the workbook
		args    []string
		want    int
		wantOut []string // in stdout
		wantErr []string // in stderr (the confirmation)
		notOut  []string // never in stdout
	}{
		{
			name: "--only-failed while others are still pending",
			csv:  fiveRows(),
			setup: func(e *sendEnv, t *testing.T) {
				e.srv.OnRcpt("r2@n2.test", step(550, "5.1.1", "no such mailbox"))
				if r := e.send(t, "--limit", "2"); r.code != ExitNotDelivered {
					t.Fatalf("first run: exit %d\n%s", r.code, r.out)
				}
			},
			args:    []string{"--only-failed"},
			want:    ExitNotDelivered, // r3, r4 and r5 were never sent
			wantOut: []string{"3 never sent: run herald send (without --only-failed)"},
			wantErr: []string{"Not now:    3 never sent"},
		},
		{
			name: "--only-failed after correcting the failed To address",
			csv:  "Email,Name\nr1@n1.test,One\ntypo@n2.test,Two\n",
			setup: func(e *sendEnv, t *testing.T) {
				e.srv.OnRcpt("typo@n2.test", step(550, "5.1.1", "no such mailbox"))
				if r := e.send(t); r.code != ExitNotDelivered {
					t.Fatalf("first run: exit %d\n%s", r.code, r.out)
				}
				e.write(t, "contacts.csv", "Email,Name\nr1@n1.test,One\nr2@n2.test,Two\n")
			},
			args:    []string{"--only-failed"},
			want:    ExitNotDelivered, // row 3 (now r2@n2.test) has never been sent anything
			wantOut: []string{"Nothing to send", "1 never sent: run herald send"},
		},
		{
			name:    "--only-failed with nothing else left",
			csv:     fiveRows(),
			setup:   func(e *sendEnv, t *testing.T) { e.send(t) },
			args:    []string{"--only-failed"},
			want:    ExitOK,
			notOut:  []string{"never sent"},
			wantOut: []string{"Nothing to send: 5 delivered"},
		},
		{
			name: "--test-to refused by the server",
			csv:  fiveRows(),
			setup: func(e *sendEnv, t *testing.T) {
				e.srv.OnRcpt("tester@ministry.test", step(550, "5.1.1", "no such mailbox"))
			},
			args:    []string{"--test-to", "tester@ministry.test", "--limit", "1"},
			want:    ExitNotDelivered, // the one test message failed
			wantOut: []string{"Not every test message reached <tester@ministry.test>"},
			notOut:  []string{"--only-failed"}, // tests are never re-sent by it
		},
		{
			name: "--test-to stopped by the server",
			csv:  fiveRows(),
			setup: func(e *sendEnv, t *testing.T) {
				e.srv.OnMail(mailtest.Step{}, step(550, "5.4.5", "Daily user sending quota exceeded"))
			},
			args:    []string{"--test-to", "tester@ministry.test"},
			want:    ExitNotDelivered,
			wantOut: []string{"Stopped: ", "Not every test message reached"},
			notOut:  []string{"--only-failed"},
		},
		{
			name:    "--test-to all delivered",
			csv:     fiveRows(),
			setup:   func(*sendEnv, *testing.T) {},
			args:    []string{"--test-to", "tester@ministry.test"},
			want:    ExitOK,
			wantOut: []string{"Test messages delivered to <tester@ministry.test>: 5."},
			notOut:  []string{"Not every test message"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSendEnv(t, tt.csv, mailtest.Options{})
			tt.setup(e, t)
			r := e.send(t, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.want, r.out, r.errOut)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(r.out, s) {
					t.Errorf("stdout does not say %q:\n%s", s, r.out)
				}
			}
			for _, s := range tt.notOut {
				if strings.Contains(r.out, s) {
					t.Errorf("stdout says %q:\n%s", s, r.out)
				}
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(r.errOut, s) {
					t.Errorf("stderr does not say %q:\n%s", s, r.errOut)
				}
			}
		})
	}
}
