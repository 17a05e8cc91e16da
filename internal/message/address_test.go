package message

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in       string
		wantAddr string
		wantName string
		notice   bool
		errPart  string
	}{
		{in: "jean@justice.example", wantAddr: "jean@justice.example"},
		{in: "  Jean Dupont <jean@justice.example> ", wantAddr: "jean@justice.example", wantName: "Jean Dupont"},
		{in: `"Dupont, Jean" <jean@justice.example>`, wantAddr: "jean@justice.example", wantName: "Dupont, Jean"},
		{in: "Αλέξης <alexis@ypes.gr.example>", wantAddr: "alexis@ypes.gr.example", wantName: "Αλέξης"},
		{in: "info@justiz.bücher.example", wantAddr: "info@justiz.xn--bcher-kva.example", notice: true},
		{in: "Jean@Justice.Example", wantAddr: "Jean@justice.example"},
		{in: "jean@@justice.example", errPart: `invalid address "jean@@justice.example"`},
		{in: "jean@justice", errPart: "has no dot"},
		{in: "jean@justice.1", errPart: "not a top-level domain"},
		{in: "jean justice.example", errPart: "invalid address"},
		{in: "", errPart: "empty address"},
		{in: "jean@justice.example\r\nBcc: x@evil.example", errPart: "control character"},
		{in: "josé@justice.example", errPart: "must be ASCII"},
		{in: "jean@-bad-.example", errPart: "not a valid domain"},
		{in: `"john doe"@example.org`, errPart: `the part before @ ("john doe") would need quotes`},
		{in: `"john"@example.org`, wantAddr: "john@example.org"},
		{in: `"john..doe"@example.org`, errPart: "would need quotes"},
		{in: "=?utf-8?q?A=0D=0AX?= <w4@example.org>", errPart: `contains a control character (U+000D) once its =?…?= encoding is decoded`},
		{in: "=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.org>", wantAddr: "jose@example.org", wantName: "José Pérez"},
		{in: strings.Repeat("a", 65) + "@example.org", errPart: "longer than 64"},
		{in: strings.Repeat("a", 64) + "@example.org", wantAddr: strings.Repeat("a", 64) + "@example.org"},
		{in: strings.Repeat("a", 60) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 4) + "example", errPart: "more than the 254 that SMTP allows"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, notices, err := ParseAddress(tt.in)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) {
					t.Fatalf("ParseAddress(%q) error = %v, want one containing %q", tt.in, err, tt.errPart)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tt.in, err)
			}
			if got.Addr != tt.wantAddr || got.Name != tt.wantName {
				t.Errorf("ParseAddress(%q) = %q <%s>, want %q <%s>", tt.in, got.Name, got.Addr, tt.wantName, tt.wantAddr)
			}
			if (len(notices) > 0) != tt.notice {
				t.Errorf("ParseAddress(%q) notices = %q, want notice: %v", tt.in, notices, tt.notice)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a@x.example", []string{"a@x.example"}},
		{"a@x.example; b@y.example", []string{"a@x.example", "b@y.example"}},
		{"a@x.example, b@y.example;", []string{"a@x.example", "b@y.example"}},
		{`"Doe; Jane" <jane@x.example>, b@y.example`, []string{"jane@x.example", "b@y.example"}},
		{" ; ,", nil},
	}
	for _, tt := range tests {
		list, _, err := ParseList(tt.in)
		if err != nil {
			t.Errorf("ParseList(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Addr)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("ParseList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, _, err := ParseList("a@x.example; not-an-address"); err == nil || !strings.Contains(err.Error(), "not-an-address") {
		t.Errorf("ParseList with one bad address: error = %v, want it to name the bad address", err)
	}
}

func TestRecipientKey(t *testing.T) {
	a := []Address{{Addr: "B@y.example"}, {Addr: "a@x.example"}}
	b := []Address{{Name: "A", Addr: "a@X.example"}, {Addr: "b@y.example"}}
	if ka, kb := RecipientKey(a), RecipientKey(b); ka != kb || ka != "a@x.example,b@y.example" {
		t.Errorf("RecipientKey = %q and %q, want both a@x.example,b@y.example", ka, kb)
	}
}

func TestContainsControl(t *testing.T) {
	for s, want := range map[string]bool{"Jean": false, "Jean\r\nX": true, "a\tb": true, "\u2028": true, "Ñandú 李": false} {
		if got := ContainsControl(s); got != want {
			t.Errorf("ContainsControl(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestNoAddressInTheName: a display name holding an address (from a comment, quotes or an
// encoded word) would show another address than the one the message goes to.
func TestNoAddressInTheName(t *testing.T) {
	for _, in := range []string{
		"h@a.example (Evil <i@x.test>)",
		`"i@x.test" <h@a.example>`,
		`"Evil <i@x.test>" <h@a.example>`,
		"=?utf-8?q?i=40x.test?= <h@a.example>",
	} {
		if _, _, err := ParseAddress(in); err == nil || !strings.Contains(err.Error(), "holds an address or angle brackets") {
			t.Errorf("ParseAddress(%q) error = %v, want it refused", in, err)
		}
	}
	if a, _, err := ParseAddress("Jean Dupont (Ministry) <jean@justice.example>"); err != nil || a.Addr != "jean@justice.example" {
		t.Errorf("a plain name with a comment: %v, %v", a, err)
	}
}
