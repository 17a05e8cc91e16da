package send_test

import (
	"os"
	"testing"

	"github.com/mla-initiative/herald/internal/deliverylog"
	"github.com/mla-initiative/herald/internal/mail/mailtest"
)

// TestSendUnknownAfterNotSent: r1's first message got no reply after the final dot
// (unknown: the server kept it). A --resend-unknown run then cannot reconnect for r1, which
// is not sent. The next plain run must still treat r1 as unknown (regression: a not_sent
// record, which earlier versions wrote for it, made r1 pending, and it got a second copy).
func TestSendUnknownAfterNotSent(t *testing.T) {
	in := campaignDir(t, recipientRows(1)) // r1 only
	srv := mailtest.Start(t, mailtest.Options{})
	opt := options(srv, in)
	opt.Retries = 0

	srv.OnData(mailtest.Step{NoReply: true, HangUp: true})
	if res := mustSend(t, mustPrepare(t, in), opt); len(res.Unknown) != 1 {
		t.Fatalf("first run: %+v, want r1 unknown", res)
	}

	// A new row r0 above r1. Its message is delivered but the connection then breaks (RSET
	// fails), and the redial for r1 is refused.
	if err := os.WriteFile(in.Contacts, []byte("Email,Name\nr0@n0.test,Zero\nr1@n1.test,Name 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.FailReset(1)
	o2 := opt
	o2.ResendUnknown = true
	o2.SMTP.Port = mailtest.FirstConnectionOnly(t, srv.Addr)
	res := mustSend(t, mustPrepare(t, in), o2)
	if res.Delivered != 1 || res.Pending != 1 {
		t.Fatalf("--resend-unknown run: %+v, want r0 delivered and r1 not sent", res)
	}
	if n := copies(srv)["r1@n1.test"]; n != 1 {
		t.Fatalf("r1 has %d copies after the --resend-unknown run, want 1", n)
	}
	if st := deliverylog.Fold(readLog(t, opt.LogPath), "conference")["r1@n1.test"]; st.Status != deliverylog.StatusUnknown {
		t.Errorf("log: r1 is %s after a not-sent retry of an unknown message, want unknown", st.Status)
	}

	res = mustSend(t, mustPrepare(t, in), opt) // plain: no --resend-unknown
	if n := copies(srv)["r1@n1.test"]; n != 1 {
		t.Errorf("a plain run sent r1 (unknown before) another message: %d copies, want 1; plan selected %d, unknown %d", n, len(res.Selection.Selected), res.Selection.Unknown)
	}
}
