package template

import (
	"errors"
	"fmt"
	"html"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mla-initiative/herald/internal/message"
)

// Campaign facts are the values a letter, its headers and its calendar entry share and that
// are set once for a campaign, not written into each file: the contact address, the
// letterhead, the reply deadline, the venue. A template reads one as {{fact "contact"}}.
// The loader finds every use in the parse trees, so that check knows which facts a template
// needs before any row is rendered.
//
// A fact has one value for every language, or one per language: the key "venue" holds the
// first, "venue.fr" a value for the French variants (message.fr.md, message.fr-BE.md) and
// "venue.fr-be" one for message.fr-BE.md only. A variant takes the most precise key there
// is. The values come from the settings (Options.Facts) and, for the facts the settings do
// not mention, from the file facts.toml of the template folder. A fact is taken as a whole
// from one place: a setting "venue" hides a default "venue.fr", so that what the user set is
// what every language gets.

// ErrUnset marks a problem about a value that herald ships as a placeholder and that the user
// has not set yet: a campaign fact without a value, the sender. A message can still be
// rendered, showing a marker such as «to be set: reply deadline» where the value goes, so
// that preview can show the letter; check reports the problem as an error and send refuses
// (a send to --test-to excepted).
var ErrUnset = errors.New("a value still to be set")

// UnsetError is the Err of a problem about a value still to be set; errors.Is(err, ErrUnset)
// holds for it.
type UnsetError struct {
	// Setting says what to give, as the command line writes it: "--from" for the sender,
	// "--fact venue" for a fact.
	Setting string
}

func (e *UnsetError) Error() string        { return e.Setting + " is still to be set" }
func (e *UnsetError) Is(target error) bool { return target == ErrUnset }

// FactsFile is the file of a template folder that gives defaults for the facts it uses.
const FactsFile = "facts.toml"

// marker is what an unset fact shows in a rendered message.
func marker(name string) string {
	return "«to be set: " + strings.ReplaceAll(name, "-", " ") + "»"
}

// placeholderDomain is the domain of the addresses that stand for an unset sender or contact
// in a rendered message: .invalid can never be delivered (RFC 2606).
const placeholderDomain = "to-be-set.invalid"

// placeholderAddress stands for an address that is still to be set, named by what it is.
func placeholderAddress(what string) message.Address {
	return message.Address{Name: marker(what), Addr: what + "@" + placeholderDomain}
}

// IsPlaceholder reports whether a is an address herald put in the place of one still to be
// set, which must never be mailed.
func IsPlaceholder(a message.Address) bool {
	return strings.HasSuffix(strings.ToLower(a.Addr), "@"+placeholderDomain)
}

// validFactName reports whether name is lower-case letters and digits in words joined by
// hyphens, starting with a letter: reply-deadline, venue, full-powers.
func validFactName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

const factNameRule = "a fact's name is lower-case letters, digits and hyphens, starting with a letter, such as reply-deadline"

// ParseFactKey checks a fact's key as the settings give it, "venue" or "venue.fr", and
// returns it in the form Options.Facts uses: the name, then the language in lower case.
func ParseFactKey(key string) (string, error) {
	name, lang, hasLang := strings.Cut(strings.TrimSpace(key), ".")
	name = strings.ToLower(name)
	if !validFactName(name) {
		return "", fmt.Errorf("%q is not a fact's name: %s", key, factNameRule)
	}
	if !hasLang {
		return name, nil
	}
	if !isLanguageTag(lang) {
		return "", fmt.Errorf("%q: %q is not a language code; write the fact's name, a dot and a code such as fr or fr-BE (venue.fr)", key, lang)
	}
	return name + "." + strings.ToLower(lang), nil
}

// factName is the name part of a key.
func factName(key string) string {
	name, _, _ := strings.Cut(key, ".")
	return name
}

// DecodeFacts reads a table of facts as TOML gives it ([facts] of herald.toml, or the whole
// of facts.toml): each key a fact, its value a string, or a table of strings by language:
//
//	contact = "mla-initiative@example.org"
//	venue = { en = "World Forum", fr = "World Forum" }
//	"venue.es" = "World Forum"
func DecodeFacts(table map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(table))
	for _, key := range slices.Sorted(maps.Keys(table)) {
		k, err := ParseFactKey(key)
		if err != nil {
			return nil, err
		}
		switch v := table[key].(type) {
		case string:
			out[k] = v
		case map[string]any:
			if strings.Contains(k, ".") {
				return nil, fmt.Errorf("%s: a fact for one language takes a text in quotes, not a table", key)
			}
			for _, lang := range slices.Sorted(maps.Keys(v)) {
				lk, err := ParseFactKey(k + "." + lang)
				if err != nil {
					return nil, err
				}
				s, ok := v[lang].(string)
				if !ok {
					return nil, fmt.Errorf("%s.%s: write the value in quotes, as text", key, lang)
				}
				out[lk] = s
			}
		default:
			return nil, fmt.Errorf("%s: write the value in quotes, as text (%s = \"…\"), or as a table by language (%s = { en = \"…\", fr = \"…\" })", key, key, key)
		}
	}
	return out, nil
}

// MergeFacts combines sets of facts, the first set that mentions a fact giving all of it: a
// fact set for every language in an earlier set hides a value for one language in a later
// one, as a flag hides a key of the config file.
func MergeFacts(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	taken := map[string]bool{}
	for _, set := range sets {
		mentioned := map[string]bool{}
		for key, value := range set {
			name := factName(key)
			if taken[name] {
				continue
			}
			mentioned[name] = true
			out[key] = value
		}
		for name := range mentioned {
			taken[name] = true
		}
	}
	return out
}

// lookupFact finds the value of a fact for a variant written in lang: the key for lang, then
// for its primary language, then the key for every language.
func lookupFact(values map[string]string, name, lang string) (string, bool) {
	lang = strings.ToLower(lang)
	if lang != "" {
		if v, ok := values[name+"."+lang]; ok {
			return v, true
		}
		if p := primary(lang); p != lang {
			if v, ok := values[name+"."+p]; ok {
				return v, true
			}
		}
	}
	v, ok := values[name]
	return v, ok
}

// loadFactsFile reads the folder's facts.toml, when there is one.
func (t *Template) loadFactsFile() map[string]string {
	data, err := readSource(t.files.fsys, FactsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.problems = append(t.problems, fault{File: FactsFile, Message: err.Error()})
		return nil
	}
	t.order[FactsFile] = len(t.order)
	t.checkUTF8(FactsFile, data)
	var raw map[string]any
	if _, err := toml.Decode(normalizeSource(string(data)), &raw); err != nil {
		line := 0
		var perr toml.ParseError
		if errors.As(err, &perr) {
			line = perr.Position.Line
			err = errors.New(perr.Message)
		}
		t.problems = append(t.problems, fault{File: FactsFile, Line: line, Message: err.Error(),
			Hint: "write one fact a line, its value in quotes: contact = \"mla-initiative@example.org\""})
		return nil
	}
	facts, err := DecodeFacts(raw)
	if err != nil {
		t.problems = append(t.problems, fault{File: FactsFile, Message: err.Error()})
		return nil
	}
	return facts
}

// factUse is one {{fact "name"}} in a file.
type factUse struct {
	name     string
	line     int
	required bool // printed as it is, not tested by an if or with, nor given a default
}

// resolveFacts works out the value of every fact the variant uses, for its language: the
// value set, or for a fact that is not set a marker where it is printed as it is and an
// empty text where it is only tested or given a default.
func (t *Template) resolveFacts(v *variant) {
	v.facts = map[string]string{}
	v.factsHTML = map[string]any{}
	for _, p := range v.parts() {
		for _, u := range p.facts {
			value, ok := lookupFact(t.factValues, u.name, v.lang)
			switch {
			case ok:
			case u.required:
				value = marker(u.name)
				v.unset = append(v.unset, unsetFact{name: u.name, file: p.file, line: u.line})
			default:
				if _, seen := v.facts[u.name]; seen {
					continue // a marker already
				}
			}
			v.facts[u.name] = value
		}
	}
	for name, value := range v.facts {
		v.factsHTML[name] = factHTML(value)
	}
}

// factHTML is a fact's value for the HTML part: a value of several lines, such as a
// letterhead, keeps its line breaks.
func factHTML(value string) any {
	if !strings.Contains(value, "\n") {
		return value
	}
	lines := strings.Split(strings.ReplaceAll(value, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return htmltemplate.HTML(strings.Join(lines, "<br>\n"))
}

// unsetFact is a fact a variant prints and that has no value for its language.
type unsetFact struct {
	name, file string
	line       int
}

// reportUnset adds one problem for each fact still to be set, in each file that prints it.
func (t *Template) reportUnset() {
	missing := map[string][]string{} // fact → primary languages lacking it
	for _, v := range t.variants {
		for _, u := range v.unset {
			missing[u.name] = append(missing[u.name], primary(v.lang))
		}
	}
	var langs []string
	for _, v := range t.variants {
		langs = append(langs, primary(v.lang))
	}
	langs = slices.Compact(sorted(langs))
	for _, v := range t.variants {
		seen := map[string]bool{}
		for _, u := range v.unset {
			if seen[u.name] {
				continue
			}
			seen[u.name] = true
			msg := fmt.Sprintf("{{fact %q}} is not set", u.name)
			if _, elsewhere := lookupFact(t.factValues, u.name, ""); elsewhere || hasAnyLanguage(t.factValues, u.name) {
				msg = fmt.Sprintf("{{fact %q}} has no value for %s", u.name, primary(v.lang))
			}
			t.problems = append(t.problems, fault{File: u.file, Line: u.line, Err: &UnsetError{Setting: "--fact " + u.name},
				Message: msg, Hints: factHints(u.name, langs)})
		}
	}
}

func hasAnyLanguage(values map[string]string, name string) bool {
	for k := range values {
		if strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

// factHints say exactly what to write to set a fact, in each of the three places settings
// come from.
func factHints(name string, langs []string) []string {
	env := "HERALD_FACT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	perLang := make([]string, len(langs))
	for i, l := range langs {
		perLang[i] = l + " = \"…\""
	}
	h := []string{fmt.Sprintf("set it in herald.toml, under [facts]: %s = \"…\"", name)}
	if len(langs) > 1 {
		h[0] += fmt.Sprintf(", or one value per language: %s = { %s }", name, strings.Join(perLang, ", "))
	}
	h = append(h, fmt.Sprintf("or for one run: --fact %s=\"…\" (or the variable %s)", name, env))
	return h
}

// checkFactValues refuses fact values that cannot be what they are meant to be.
func (t *Template) checkFactValues() {
	for _, key := range slices.Sorted(maps.Keys(t.factValues)) {
		if strings.TrimSpace(t.factValues[key]) == "" {
			// An empty value would print nothing where the letter needs something; leaving
			// the fact out makes check say so.
			t.problems = append(t.problems, fault{File: t.factSource(key), Message: fmt.Sprintf("fact %s is empty", key),
				Hint: "give it a value, or leave it out"})
		}
	}
}

// factSource names where a fact's value comes from, for a problem about it.
func (t *Template) factSource(key string) string {
	if _, ok := t.opt.Facts[key]; ok {
		return ""
	}
	return FactsFile
}

// usedFacts lists the facts a template uses, sorted.
func (t *Template) usedFacts() []string {
	seen := map[string]bool{}
	for _, v := range t.variants {
		for _, p := range v.parts() {
			for _, u := range p.facts {
				seen[u.name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Fact is a campaign fact as a template uses it.
type Fact struct {
	Name string
	// Required tells whether a variant prints it as it is, so that it must be set; a fact
	// only tested ({{if fact "signatory"}}) or given a default is optional.
	Required bool
	// Values holds the value for each language of the template ("" for message.md's), as
	// the variants will show it; a language without a value is absent.
	Values map[string]string
	// Default tells whether the values come from the folder's facts.toml.
	Default bool
}

// Facts lists the campaign facts the template uses, by name.
func (t *Template) Facts() []Fact {
	var out []Fact
	for _, name := range t.usedFacts() {
		f := Fact{Name: name, Values: map[string]string{}}
		_, set := t.opt.Facts[name]
		set = set || hasAnyLanguage(t.opt.Facts, name)
		for _, v := range t.variants {
			for _, p := range v.parts() {
				for _, u := range p.facts {
					if u.name == name && u.required {
						f.Required = true
					}
				}
			}
			if value, ok := lookupFact(t.factValues, name, v.lang); ok {
				f.Values[v.tag] = value
				f.Default = f.Default || !set
			}
		}
		out = append(out, f)
	}
	return out
}

// checkFactLanguages warns about a fact the user gave one value for every language while
// letters in several languages print it: "Friday 19 January 2024" in a French letter is a
// sentence half in English. Addresses and links read the same in every language.
func (t *Template) checkFactLanguages() {
	for _, name := range t.usedFacts() {
		value, ok := t.opt.Facts[name]
		if !ok || looksLanguageNeutral(value) {
			continue
		}
		var langs []string
		for _, v := range t.variants {
			if _, own := t.opt.Facts[name+"."+primary(v.lang)]; own {
				continue
			}
			for _, p := range v.parts() {
				for _, u := range p.facts {
					if u.name == name && u.required && !slices.Contains(langs, primary(v.lang)) {
						langs = append(langs, primary(v.lang))
					}
				}
			}
		}
		if len(langs) < 2 {
			continue
		}
		perLang := make([]string, len(langs))
		for i, l := range langs {
			perLang[i] = l + " = \"…\""
		}
		t.problems = append(t.problems, fault{Warning: true,
			Message: fmt.Sprintf("fact %s has one value for every language (%q), and the letters in %s all print it as it is", name, value, strings.Join(langs, ", ")),
			Hint:    fmt.Sprintf("give it in each language, under [facts] in herald.toml: %s = { %s }, or --fact %s.%s=\"…\"", name, strings.Join(perLang, ", "), name, langs[len(langs)-1])})
	}
}

// looksLanguageNeutral reports whether a fact's value reads the same in every language: an
// e-mail address or a web address.
func looksLanguageNeutral(value string) bool {
	v := strings.TrimSpace(value)
	if strings.ContainsAny(v, " \n") {
		return false
	}
	return strings.Contains(v, "@") || strings.Contains(v, "://") || strings.HasPrefix(v, "www.")
}
