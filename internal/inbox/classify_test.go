package inbox

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// campaign is the invitation campaign the corpus answers: one message per recipient key,
// the minister's with the protocol service in Cc.
var campaign = []Sent{
	{MessageID: "4c1e9d20.minister@herald.example", Key: "minister@justice.example",
		Addresses: []string{"minister@justice.example", "Protocol@Justice.example"}},
	{MessageID: "7a3b5e11.consul@herald.example", Key: "consul@foreign.test", Addresses: []string{"consul@foreign.test"}},
	{MessageID: "9f0d2c44.ambassador@herald.example", Key: "ambassador@embassy.example", Addresses: []string{"ambassador@embassy.example"}},
	{MessageID: "2b8e6f10.director@herald.example", Key: "director@trade.example", Addresses: []string{"director@trade.example"}},
	{MessageID: "5d1a9c37.secretary@herald.example", Key: "secretary@culture.example", Addresses: []string{"secretary@culture.example"}},
	{MessageID: "8e2f4b19.envoy@herald.example", Key: "envoy@mission.test", Addresses: []string{"envoy@mission.test"}},
	{MessageID: "3c7d1e55.attache@herald.example", Key: "attache@legation.example", Addresses: []string{"attache@legation.example"}},
}

type wantFailure struct{ recipient, action, status, diagnostic, key string }

func TestCorpus(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		nature    Kind
		key       string
		by        Match
		trusted   bool
		from      string
		subject   string
		reason    string // a part of Reason, when one is expected
		failures  []wantFailure
		messageID string
	}{
		{file: "bounce-postfix-user-unknown.eml", kind: Bounce, nature: Bounce, key: "director@trade.example",
			by: ByReturnedHeaders, trusted: true, from: "mailer-daemon@mx.herald.example",
			subject: "Undelivered Mail Returned to Sender",
			failures: []wantFailure{{"director@trade.example", "failed", "5.1.1",
				"550 5.1.1 <director@trade.example>: Recipient address rejected: User unknown in virtual mailbox table",
				"director@trade.example"}}},
		{file: "bounce-exchange-online-recipient-not-found.eml", kind: Bounce, nature: Bounce,
			key: "ambassador@embassy.example", by: ByReturnedHeaders, trusted: true,
			from:    "microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@herald.example",
			subject: "Undeliverable: Invitation to the signing ceremony",
			failures: []wantFailure{{"ambassador@embassy.example", "failed", "5.1.10",
				"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
				"ambassador@embassy.example"}}},
		{file: "bounce-gmail-address-not-found.eml", kind: Bounce, nature: Bounce, key: "consul@foreign.test",
			by: ByReturnedHeaders, trusted: true, from: "mailer-daemon@googlemail.example",
			failures: []wantFailure{{"consul@foreign.test", "failed", "5.1.1",
				"550 5.1.1 <consul@foreign.test>: Recipient address rejected: User unknown", "consul@foreign.test"}}},
		{file: "bounce-exim-plain.eml", kind: Bounce, nature: Bounce, key: "envoy@mission.test",
			by: ByReturnedHeaders, trusted: true, from: "mailer-daemon@relay.herald.example",
			failures: []wantFailure{{"envoy@mission.test", "failed", "5.1.1",
				"host mx.mission.test [192.0.2.77] SMTP error from remote mail server after RCPT TO:<envoy@mission.test>: 550 5.1.1 <envoy@mission.test>: mailbox unavailable",
				"envoy@mission.test"}}},
		{file: "bounce-qmail.eml", kind: Bounce, nature: Bounce, key: "attache@legation.example",
			by: ByReturnedHeaders, trusted: true, subject: "failure notice",
			failures: []wantFailure{{"attache@legation.example", "failed", "5.1.1",
				"192.0.2.88 does not like recipient. Remote host said: 550 5.1.1 <attache@legation.example>... User unknown Giving up on 192.0.2.88.",
				"attache@legation.example"}}},
		{file: "delayed-postfix-dsn.eml", kind: Delayed, nature: Delayed, key: "minister@justice.example",
			by: ByReturnedHeaders, trusted: true,
			failures: []wantFailure{{"protocol@justice.example", "delayed", "4.4.1",
				"connect to mx.justice.example[192.0.2.17]:25: Connection timed out", "minister@justice.example"}}},
		{file: "delayed-exim-warning.eml", kind: Delayed, nature: Delayed, key: "secretary@culture.example",
			by: ByReferences, trusted: true,
			failures: []wantFailure{{"secretary@culture.example", "delayed", "4.7.1",
				"host mx.culture.example [192.0.2.33] Delay reason: SMTP error from remote mail server after RCPT TO:<secretary@culture.example>: 451 4.7.1 Greylisted, please try again later",
				"secretary@culture.example"}}},
		{file: "bounce-other-campaign.eml", kind: Unmatched, nature: Bounce,
			reason:   "returned message <1111aaaa.someone@herald.example> is not of this campaign",
			failures: []wantFailure{{"someone@elsewhere.example", "failed", "5.1.1", "550 5.1.1 User unknown", ""}}},
		// The address is one of this campaign's, but the returned message says which
		// campaign the bounce is about: it is not placed by address.
		{file: "bounce-other-campaign-same-address.eml", kind: Unmatched, nature: Bounce,
			reason:   "is not of this campaign",
			failures: []wantFailure{{"director@trade.example", "failed", "5.1.1", "550 5.1.1 User unknown", ""}}},
		{file: "autoreply-outlook-en.eml", kind: AutoReply, nature: AutoReply, key: "ambassador@embassy.example",
			by: ByInReplyTo, trusted: true, from: "ambassador@embassy.example",
			subject: "Automatic reply: Invitation to the signing ceremony"},
		{file: "autoreply-outlook-fr-no-references.eml", kind: AutoReply, nature: AutoReply, key: "consul@foreign.test",
			by: ByAddress, trusted: true, from: "consul@foreign.test",
			subject: "Réponse automatique : Invitation à la cérémonie de signature"},
		{file: "autoreply-gmail-vacation.eml", kind: AutoReply, nature: AutoReply, key: "director@trade.example",
			by: ByInReplyTo, trusted: true, from: "director@trade.example", subject: "Out of office until 3 March"},
		{file: "autoreply-x-autoreply-precedence.eml", kind: AutoReply, nature: AutoReply,
			key: "secretary@culture.example", by: ByInReplyTo, trusted: true, from: "secretary@culture.example"},
		{file: "reply-with-references.eml", kind: Reply, nature: Reply, key: "minister@justice.example",
			by: ByInReplyTo, trusted: true, from: "minister@justice.example",
			subject: "Re: Invitation to the signing ceremony", messageID: "5b6c7d8e-1a2b-3c4d-9e8f-0a1b2c3d4e5f@justice.example"},
		{file: "reply-without-references.eml", kind: Reply, nature: Reply, key: "envoy@mission.test",
			by: ByAddress, trusted: true, from: "envoy@mission.test", subject: "Signing ceremony: I will attend"},
		{file: "reply-from-cc-recipient.eml", kind: Reply, nature: Reply, key: "minister@justice.example",
			by: ByInReplyTo, trusted: true, from: "protocol@justice.example"},
		// In-Reply-To names the internal forward; References still carry the invitation.
		{file: "reply-forwarded-colleague.eml", kind: Reply, nature: Reply, key: "minister@justice.example",
			by: ByReferences, trusted: false, from: "deputy@justice.example",
			reason: "sent by deputy@justice.example, who is not a recipient of message <4c1e9d20.minister@herald.example>"},
		{file: "reply-forged-message-id.eml", kind: Reply, nature: Reply, key: "consul@foreign.test",
			by: ByInReplyTo, trusted: false, from: "consul@foreign-lookalike.invalid",
			reason: "sent by consul@foreign-lookalike.invalid, who is not a recipient of message <7a3b5e11.consul@herald.example>"},
		{file: "reply-other-conversation.eml", kind: Unmatched, nature: Reply, from: "minister@justice.example",
			reason: "refers only to messages that are not of this campaign"},
		{file: "unrelated-newsletter.eml", kind: Unmatched, nature: Reply, from: "news@weekly.example",
			reason: "news@weekly.example is not a recipient of this campaign"},
		{file: "own-copy-bcc.eml", kind: Unmatched, nature: Reply, from: "invitations@herald.example",
			reason: "a copy of a message of this campaign"},
		{file: "malformed-mime-reply.eml", kind: Reply, nature: Reply, key: "consul@foreign.test",
			by: ByInReplyTo, trusted: true, from: "consul@foreign.test"},
	}
	l := NewLookup(campaign)
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		// Mail arrives with CRLF line ends over IMAP; the corpus is kept with LF for reading.
		for _, crlf := range []bool{false, true} {
			msg := raw
			if crlf {
				msg = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			}
			hdr, body := SplitMessage(msg)
			got := Classify(hdr, body, l)
			name := tt.file
			if crlf {
				name += " (CRLF)"
			}
			if got.Kind != tt.kind || got.Nature != tt.nature || got.Key != tt.key || got.MatchedBy != tt.by ||
				got.Trusted != tt.trusted {
				t.Errorf("%s: got kind %q nature %q key %q by %q trusted %v (reason %q), want %q %q %q %q %v",
					name, got.Kind, got.Nature, got.Key, got.MatchedBy, got.Trusted, got.Reason,
					tt.kind, tt.nature, tt.key, tt.by, tt.trusted)
			}
			if tt.from != "" && got.From != tt.from {
				t.Errorf("%s: From = %q, want %q", name, got.From, tt.from)
			}
			if tt.subject != "" && got.Subject != tt.subject {
				t.Errorf("%s: Subject = %q, want %q", name, got.Subject, tt.subject)
			}
			if tt.messageID != "" && got.MessageID != tt.messageID {
				t.Errorf("%s: MessageID = %q, want %q", name, got.MessageID, tt.messageID)
			}
			if !strings.Contains(got.Reason, tt.reason) || (tt.reason == "" && got.Reason != "") {
				t.Errorf("%s: Reason = %q, want it to say %q", name, got.Reason, tt.reason)
			}
			if got.Date.IsZero() && !strings.HasPrefix(tt.file, "malformed") {
				t.Errorf("%s: no Date", name)
			}
			var failures []wantFailure
			for _, f := range got.Failures {
				failures = append(failures, wantFailure{f.Recipient, f.Action, f.Status, f.Diagnostic, f.Key})
			}
			if !slices.Equal(failures, tt.failures) {
				t.Errorf("%s: failures\n got %q\nwant %q", name, failures, tt.failures)
			}
		}
	}
	// Every file of the corpus is in the table: a file added without a verdict is a test
	// that was never written.
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("testdata/%s has no row in TestCorpus", filepath.Base(f))
		}
	}
}

// A reply's body is never part of the result: only its sender, date and subject are.
func TestReplyKeepsNoBody(t *testing.T) {
	raw, _ := os.ReadFile("testdata/reply-with-references.eml")
	hdr, body := SplitMessage(raw)
	got := Classify(hdr, body, NewLookup(campaign))
	want := time.Date(2024, 1, 11, 10, 14, 52, 0, time.UTC)
	if !got.Date.Equal(want) || got.FromName != "Minister of Justice" {
		t.Errorf("got date %v name %q, want %v %q", got.Date, got.FromName, want, "Minister of Justice")
	}
	if s := strings.ToLower(got.Subject + got.Reason); strings.Contains(s, "accepts") {
		t.Errorf("the body leaked into the result: %+v", got)
	}
}

// The imap package hands over a bounded prefix of the body: a bounce cut anywhere must give
// a result, and once the returned Message-ID is in, the match.
func TestBounceCutAnywhere(t *testing.T) {
	l := NewLookup(campaign)
	for _, file := range []string{"bounce-postfix-user-unknown.eml", "bounce-exim-plain.eml", "bounce-qmail.eml",
		"bounce-exchange-online-recipient-not-found.eml", "bounce-gmail-address-not-found.eml"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", file))
		hdr, body := SplitMessage(raw)
		idLine := bytes.LastIndex(body, []byte("Message-ID: <"))
		idEnd := idLine + bytes.IndexByte(body[idLine:], '\n') + 1
		for n := 0; n <= len(body); n++ {
			got := Classify(hdr, body[:n], l)
			if n >= idEnd && got.Key == "" {
				t.Fatalf("%s cut at %d of %d (after the returned Message-ID): unmatched: %s", file, n, len(body), got.Reason)
			}
			if got.Nature == "" {
				t.Fatalf("%s cut at %d: no nature", file, n)
			}
		}
	}
}

func TestAutoReplySignals(t *testing.T) {
	tests := []struct {
		header string
		auto   bool
	}{
		{"Auto-Submitted: auto-replied", true},
		{"Auto-Submitted: auto-generated", true},
		{"Auto-Submitted: auto-notified; owner-email=\"x@y.example\"", true},
		{"Auto-Submitted: no", false},
		{"Auto-Submitted: No (a comment)", false},
		{"X-Autoreply: yes", true},
		{"X-Autorespond: Out of office", true},
		{"X-Autoreply: no", false},
		{"Precedence: auto_reply", true},
		{"Precedence: bulk", false},
		{"Subject: Automatic reply: Invitation", true},
		{"Subject: =?utf-8?Q?R=C3=A9ponse_automatique_:_Invitation?=", true},
		{"Subject: Réponse automatique : Invitation", true},
		{"Subject: Abwesenheitsnotiz: Einladung", true},
		{"Subject: Re: Automatic reply: Invitation", false},
		{"Subject: Re: Invitation", false},
	}
	l := NewLookup(campaign)
	for _, tt := range tests {
		hdr := "From: director@trade.example\r\nIn-Reply-To: <2b8e6f10.director@herald.example>\r\n" + tt.header + "\r\n\r\n"
		got := Classify([]byte(hdr), []byte("text\r\n"), l)
		if want := map[bool]Kind{true: AutoReply, false: Reply}[tt.auto]; got.Kind != want {
			t.Errorf("%s: kind %q, want %q", tt.header, got.Kind, want)
		}
	}
}

func TestAddressMatching(t *testing.T) {
	l := NewLookup([]Sent{
		{MessageID: "a@herald.example", Key: "a@x.example", Addresses: []string{"a@x.example", "shared@x.example"}},
		{MessageID: "b@herald.example", Key: "b@x.example", Addresses: []string{"b@x.example", "shared@x.example"}},
	})
	tests := []struct {
		from, key, reason string
	}{
		{"A <A@X.example>", "a@x.example", ""},
		// An address in Cc of two messages could be answering either: never guessed.
		{"shared@x.example", "", "shared@x.example is a recipient of 2 messages"},
		{"nobody@x.example", "", "nobody@x.example is not a recipient of this campaign"},
		{"", "", "has no readable sender"},
		{"broken <b@x.example", "b@x.example", ""},
	}
	for _, tt := range tests {
		got := Classify([]byte("From: "+tt.from+"\n\n"), nil, l)
		if got.Key != tt.key || !strings.Contains(got.Reason, tt.reason) {
			t.Errorf("From %q: key %q reason %q, want %q %q", tt.from, got.Key, got.Reason, tt.key, tt.reason)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@b> <c@d>", []string{"a@b", "c@d"}},
		{"<a@b>,<c@d>", []string{"a@b", "c@d"}},
		{"a@b", []string{"a@b"}},
		{"\"Jean\" <a@b> (comment)", []string{"a@b"}},
		{"<a@b", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := messageIDs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("messageIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"plain", "pre\r\n--b\r\nA\r\n--b\r\nB\r\n--b--\r\nepilogue", []string{"A", "B"}},
		{"cut in the last part", "--b\nA\n--b\nB is cut", []string{"A", "B is cut"}},
		{"transport padding", "--b  \nA\n--b--\n", []string{"A"}},
		{"no delimiter", "just text", nil},
		{"longer boundary is not ours", "--b\nA\n--bc\nstill A\n--b--", []string{"A\n--bc\nstill A"}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range splitMultipart([]byte(tt.body), "b") {
			got = append(got, string(p))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	tests := []struct{ cte, in, want string }{
		{"base64", "SGVsbG8s\r\nIHdvcmxk", "Hello, world"},
		{"base64", "SGVsbG8", "Hello"}, // cut off: what decodes is kept
		{"base64", "SGV!!sbG8=", "Hello"},
		{"quoted-printable", "caf=C3=A9 =\r\nau lait", "café au lait"},
		{"quoted-printable", "ok =ZZ then", "ok =ZZ then"}, // passed through, as mail readers do
		{"x-unknown", "as is", "as is"},
	}
	for _, tt := range tests {
		h := header{{name: "content-transfer-encoding", value: tt.cte}}
		if got := string(decodeBody(h, []byte(tt.in))); got != tt.want {
			t.Errorf("%s %q: got %q, want %q", tt.cte, tt.in, got, tt.want)
		}
	}
}
