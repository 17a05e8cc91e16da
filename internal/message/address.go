package message

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address is one mailbox. Addr is always in ASCII form: an internationalised domain has
// been converted to its xn-- form, so it can be used in SMTP and headers as it is.
type Address struct {
	Name string // display name, may be empty and may be any script
	Addr string // local@domain
}

// String formats the address for a header, quoting and encoding the name as needed.
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Addr}).String()
}

// Display is the address as people read it, unencoded: `Name <addr>`, or addr alone.
// It is for screens and the preview index, never for a header.
func (a Address) Display() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// Key is the normalised form used to recognise the same mailbox twice: lower case.
// Local parts are case-sensitive in theory but never in the ministries' servers, and
// treating them as different would mail one person twice.
func (a Address) Key() string { return strings.ToLower(a.Addr) }

// Notice is something the user should know about an address that is not an error, such as
// an internationalised domain that was converted.
type Notice string

var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.Transitional(false),
)

// ParseAddress parses one address, with or without a display name: "jean@justice.example"
// or "Jean Dupont <jean@justice.example>".
func ParseAddress(s string) (Address, []Notice, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, nil, errors.New("empty address")
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return Address{}, nil, fmt.Errorf("address %q contains a control character (%U)", s, []rune(s[i:])[0])
	}
	parsed, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, nil, fmt.Errorf("invalid address %q", s)
	}
	// net/mail decodes a name written as =?charset?q?...?=: what it decodes to must be as
	// clean as a name typed in plain text.
	if !utf8.ValidString(parsed.Name) {
		return Address{}, nil, fmt.Errorf("address %q: the display name is not valid UTF-8 text", s)
	}
	if i := strings.IndexFunc(parsed.Name, isControl); i >= 0 {
		return Address{}, nil, fmt.Errorf("address %q: the display name %q contains a control character (%U) once its =?…?= encoding is decoded; write the name as plain text",
			s, parsed.Name, []rune(parsed.Name[i:])[0])
	}
	if strings.ContainsAny(parsed.Name, "<>@") {
		// "h@a.example (Evil <i@x.test>)" gives the name "Evil <i@x.test>": mail programs
		// would show that address, not the one the message goes to.
		return Address{}, nil, fmt.Errorf("address %q: the display name %q holds an address or angle brackets, which mail programs would show instead of the address the message goes to; write only the person's name before the address",
			s, parsed.Name)
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	local, domain := parsed.Address[:at], parsed.Address[at+1:]
	ascii, err := idnaProfile.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil {
		return Address{}, nil, fmt.Errorf("invalid address %q: domain %q is not a valid domain name", s, domain)
	}
	if !strings.Contains(ascii, ".") {
		return Address{}, nil, fmt.Errorf("invalid address %q: domain %q has no dot (a full domain such as justice.example is needed)", s, domain)
	}
	tld := ascii[strings.LastIndexByte(ascii, '.')+1:]
	if len(tld) < 2 || strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' && !unicode.IsDigit(r) }) >= 0 || isAllDigits(tld) {
		return Address{}, nil, fmt.Errorf("invalid address %q: %q is not a top-level domain", s, tld)
	}
	for _, r := range local {
		if r > unicode.MaxASCII {
			return Address{}, nil, fmt.Errorf("invalid address %q: the part before @ must be ASCII", s)
		}
	}
	if !isDotAtom(local) {
		// net/mail has removed the quotes of "john doe"@example.org. Such an address is
		// valid, but most mail servers refuse it, and it is nearly always a typing mistake.
		return Address{}, nil, fmt.Errorf("invalid address %q: the part before @ (%q) would need quotes, which mail servers rarely accept; "+
			"write it with letters, digits and . _ - + only, with no space and no two dots in a row", s, local)
	}
	if len(local) > maxLocal {
		return Address{}, nil, fmt.Errorf("invalid address %q: the part before @ is longer than %d characters", s, maxLocal)
	}
	if n := len(local) + 1 + len(ascii); n > maxAddr {
		return Address{}, nil, fmt.Errorf("invalid address %q: it is %d characters long, more than the %d that SMTP allows", s, n, maxAddr)
	}
	var notices []Notice
	if !strings.EqualFold(ascii, domain) {
		notices = append(notices, Notice(fmt.Sprintf("domain %q of %q is sent as %q", domain, parsed.Address, ascii)))
	}
	return Address{Name: parsed.Name, Addr: local + "@" + ascii}, notices, nil
}

// ParseList parses a cell or header value that may hold several addresses separated by ';'
// or ','. Separators inside a quoted display name or angle brackets do not split. An empty
// value is an empty list.
func ParseList(s string) ([]Address, []Notice, error) {
	var (
		list    []Address
		notices []Notice
	)
	for _, part := range splitList(s) {
		a, n, err := ParseAddress(part)
		if err != nil {
			return nil, nil, err
		}
		notices = append(notices, n...)
		list = append(list, a)
	}
	return list, notices, nil
}

// splitList splits on ',' and ';' outside quotes and angle brackets, dropping empty parts,
// so that "a@x.example; ;b@y.example," gives two addresses.
func splitList(s string) []string {
	var (
		parts           []string
		start           int
		quoted, inAngle bool
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			inAngle = true
		case c == '>' && !quoted:
			inAngle = false
		case (c == ',' || c == ';') && !quoted && !inAngle:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	parts = append(parts, s[start:])
	return slices.DeleteFunc(parts, func(p string) bool { return strings.TrimSpace(p) == "" })
}

// RecipientKey identifies one recipient of a campaign across runs: the sorted, normalised
// To addresses. Row numbers are deliberately not part of it, so reordering, inserting or
// deleting rows between runs changes nothing.
func RecipientKey(to []Address) string {
	keys := make([]string, len(to))
	for i, a := range to {
		keys[i] = a.Key()
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	return strings.Join(keys, ",")
}

// ContainsControl reports whether s holds a character that must never reach a header:
// CR, LF, NUL and the other C0/C1 controls (TAB included: it folds headers oddly).
func ContainsControl(s string) bool { return strings.IndexFunc(s, isControl) >= 0 }

func isControl(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }

// SMTP's limits (RFC 5321 §4.5.3.1): a local part of 64 octets, a path of 256 with its
// angle brackets.
const (
	maxLocal = 64
	maxAddr  = 254
)

// isDotAtom reports whether a local part can be written without quotes (RFC 5322 dot-atom):
// atext characters in runs separated by single dots.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
