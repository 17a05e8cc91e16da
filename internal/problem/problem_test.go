package problem

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

var errSentinel = errors.New("sentinel")

func TestHintsAlongTheChain(t *testing.T) {
	deep := WithHint(errors.New("locked"), "wait for the other run", "or stop it")
	p := Problem{Where: "log.jsonl", Message: "in use", Hints: []string{"check the process"}, Err: deep}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"nil", nil, nil},
		{"plain", errors.New("x"), nil},
		{"one", WithHint(errors.New("x"), "do y"), []string{"do y"}},
		{"empty hints dropped", WithHint(errors.New("x"), "", "  "), nil},
		{"wrapped by fmt", fmt.Errorf("open: %w", WithHint(errors.New("x"), "do y")), []string{"do y"}},
		{"outermost first", WithHint(fmt.Errorf("send: %w", deep), "then run again"), []string{"then run again", "wait for the other run", "or stop it"}},
		{"problem and its cause", fmt.Errorf("a: %w", p), []string{"check the process", "wait for the other run", "or stop it"}},
		{"joined", errors.Join(WithHint(errors.New("a"), "ha"), WithHint(errors.New("b"), "hb", "ha")), []string{"ha", "hb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hints(tt.err); !slices.Equal(got, tt.want) {
				t.Errorf("Hints = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWithHintKeepsText(t *testing.T) {
	if WithHint(nil, "x") != nil {
		t.Error("WithHint(nil) is not nil")
	}
	err := WithHint(fmt.Errorf("read: %w", errSentinel), "fix it")
	if err.Error() != "read: sentinel" || !errors.Is(err, errSentinel) {
		t.Errorf("got %q (is sentinel: %t), want the text unchanged and the chain kept", err, errors.Is(err, errSentinel))
	}
}

func TestProblem(t *testing.T) {
	p := Errorf("contacts.xlsx: Authorities!F14 (E-mail)", "invalid address", "write one address")
	if got := p.Error(); got != "contacts.xlsx: Authorities!F14 (E-mail): invalid address" {
		t.Errorf("Error() = %q", got)
	}
	if p.Severity() != "error" || Warningf("", "w").Severity() != "warning" || Warningf("", "w").Error() != "w" {
		t.Errorf("severity or text of a problem without place is wrong")
	}
	wrapped := fmt.Errorf("read contacts: %w", Problem{Message: "no column", Err: errSentinel})
	if got, ok := As(wrapped); !ok || got.Message != "no column" || !errors.Is(wrapped, errSentinel) {
		t.Errorf("As = %+v, %t; errors.Is sentinel = %t", got, ok, errors.Is(wrapped, errSentinel))
	}
	errs, warnings := Count([]Problem{p, Warningf("", "w"), p})
	if errs != 2 || warnings != 1 || !HasError([]Problem{p}) || HasError([]Problem{Warningf("", "w")}) {
		t.Errorf("Count = %d, %d", errs, warnings)
	}
}
