package contacts

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// identifierPrefix goes before an identifier that would start with a digit, which a
// template cannot name.
const identifierPrefix = "Col"

// Identifier turns a column header into the name templates use for it: the letters and
// digits of each word, each word starting with a capital letter. Words are separated by
// anything that is not a letter or digit, except hyphens and apostrophes, which join:
//
//	"First name"             → FirstName
//	"E-mail", "e-mail"       → Email
//	"e-mail address"         → EmailAddress
//	"Country / Organisation" → CountryOrganisation
//	"Título"                 → Título
//	"2nd address"            → Col2ndAddress
//
// Letters of any script are kept as they are (Go templates accept them in field names);
// the header is first put in Unicode NFC form so that an accented letter typed as two code
// points gives the same name as the same letter typed as one. A header with no letter or
// digit gives "".
func Identifier(header string) string {
	header = norm.NFC.String(header)
	var b strings.Builder
	b.Grow(len(header))
	wordStart := true
	for _, r := range header {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if b.Len() == 0 && unicode.IsDigit(r) {
				b.WriteString(identifierPrefix)
			}
			if wordStart {
				r = unicode.ToTitle(r)
				wordStart = false
			}
			b.WriteRune(r)
		case isJoiner(r):
			// Dropped without starting a new word, so "E-mail" stays one word.
		default:
			wordStart = true
		}
	}
	return b.String()
}

// isJoiner reports whether r is dropped from an identifier without splitting the word:
// hyphens and apostrophes ("E-mail", "Minister's"), invisible format characters (soft
// hyphens, zero-width joiners) and combining marks left after NFC, none of which may
// appear in a template field name.
func isJoiner(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\'', '\u2019', '\u02BC':
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Mn, unicode.Mc, unicode.Me)
}

// alias lists, for a column herald itself uses, the other identifiers that mean it. Names
// compare without regard to case, so "CC", "cc" and "E-MAIL" are Cc and Email already.
type alias struct {
	name   string
	others []string
	// headers is how the hint spells a few of the accepted headers.
	headers string
}

var aliases = []alias{
	{
		name:    "Email",
		others:  []string{"EmailAddress", "Mail", "MailAddress", "Courriel", "AdresseEmail", "AdresseÉlectronique", "AdresseElectronique", "CorreoElectrónico", "CorreoElectronico", "Correo"},
		headers: `"Email", "E-mail", "Email address", "Mail", "Courriel" or "Correo electrónico"`,
	},
	{
		name:    "Cc",
		others:  []string{"CcEmail", "CcAddress", "CcEmailAddress"},
		headers: `"Cc", "CC" or "Cc e-mail"`,
	},
	{
		name:    "Bcc",
		others:  []string{"BccEmail", "BccAddress", "BccEmailAddress"},
		headers: `"Bcc", "BCC" or "Bcc e-mail"`,
	},
	{
		name:    "Language",
		others:  []string{"Lang", "LanguageCode", "Langue", "Idioma"},
		headers: `"Language", "Lang", "Langue" or "Idioma"`,
	},
}

func findAlias(name string) (alias, bool) {
	for _, a := range aliases {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return alias{}, false
}

// columnName is the name of the column under header: its Identifier, or, when that is
// one of the spellings of a column herald itself uses, in any case, that column's name.
// A column headed "E-MAIL", "Courriel" or "Adresse électronique" is Email; "CC" is Cc.
func columnName(header string) string {
	id := Identifier(header)
	if a, ok := ownColumn(id); ok {
		return a.name
	}
	return id
}

// ownColumn returns the column herald uses that id names, if any.
func ownColumn(id string) (alias, bool) {
	for _, a := range aliases {
		if strings.EqualFold(id, a.name) {
			return a, true
		}
		for _, o := range a.others {
			if strings.EqualFold(id, o) {
				return a, true
			}
		}
	}
	return alias{}, false
}

// isOwnColumn reports whether name is that of a column herald itself uses.
func isOwnColumn(name string) bool {
	_, ok := findAlias(name)
	return ok
}
