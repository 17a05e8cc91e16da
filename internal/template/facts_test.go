package template

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/problem"
)

// factTemplate uses facts in a header, the body, a link and the calendar.
var factTemplate = map[string]string{
	"message.md": "Subject: Conference, reply by {{fact \"reply-deadline\"}}\nFrom: Secretariat <secretariat@example.org>\nReply-To: {{fact \"contact\"}}\n" +
		"Event: Conference\nEvent-ID: conf-2024\nEvent-Start: 2024-02-14\nEvent-Location: {{fact \"venue\"}}\nEvent-Description: Write to {{fact \"contact\"}}.\n\n" +
		"**{{fact \"letterhead\"}}**\n\n{{.Salutation}},\n\nPlease reply by {{fact \"reply-deadline\"}} to [{{fact \"contact\"}}](mailto:{{fact \"contact\"}}).\n\n" +
		"{{if fact \"signatory\"}}\n\n{{fact \"signatory\"}}\n\n{{end}}\n",
	"message.fr.md": "Subject: Conférence, réponse avant le {{fact \"reply-deadline\"}}\nFrom: Secrétariat <secretariat@example.org>\nReply-To: {{fact \"contact\"}}\n" +
		"Event: Conférence\nEvent-ID: conf-2024\nEvent-Start: 2024-02-14\nEvent-Location: {{fact \"venue\"}}\n\n" +
		"**{{fact \"letterhead\"}}**\n\n{{.Salutation}},\n\nRéponse avant le {{fact \"reply-deadline\"}} à {{fact \"contact\"}}.\n",
	"facts.toml": "contact = \"desk@conference.example\"\nletterhead = { en = \"REPUBLIC OF SLOVENIA\\nMINISTRY OF FOREIGN AND EUROPEAN AFFAIRS\", fr = \"RÉPUBLIQUE DE SLOVÉNIE\" }\n",
}

func TestFactsUnsetAreMarkedAndReported(t *testing.T) {
	tp := loadFiles(t, factTemplate, testOptions())
	var unset []string
	for _, p := range tp.Check(testColumns) {
		if !errors.Is(p, ErrUnset) {
			t.Errorf("unexpected problem: %v", p)
			continue
		}
		if p.Warning {
			t.Errorf("%v is a warning, want an error", p)
		}
		unset = append(unset, inFolder(p))
	}
	want := []string{
		`message.md:1 (also message.fr.md:1): {{fact "reply-deadline"}} is not set`,
		`message.md:7 (also message.fr.md:7): {{fact "venue"}} is not set`,
	}
	if !slices.Equal(unset, want) {
		t.Errorf("unset facts:\n%q\nwant\n%q", unset, want)
	}

	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatalf("Render with unset facts: %v", err)
	}
	for what, s := range map[string]string{"Subject": m.Subject, "text": m.Text, "calendar": string(m.Calendar)} {
		if !strings.Contains(s, "«to be set: reply deadline»") && what != "calendar" {
			t.Errorf("%s lacks the marker of the reply deadline: %q", what, s)
		}
	}
	if !strings.Contains(string(m.Calendar), "LOCATION:«to be set: venue»") {
		t.Errorf("calendar lacks the venue's marker:\n%s", m.Calendar)
	}
	// The optional signatory is left out, without a marker.
	if strings.Contains(m.Text, "signatory") || strings.Contains(m.HTML, "signatory") {
		t.Errorf("an optional fact shows a marker:\n%s", m.Text)
	}
}

func TestFactsSetDefaultsAndLanguages(t *testing.T) {
	opt := testOptions()
	opt.Facts = map[string]string{
		"reply-deadline":    "Friday 19 January 2024",
		"reply-deadline.fr": "vendredi 19 janvier 2024",
		"venue":             "World Forum, The Hague",
		"signatory":         "Tanja Example\nMinister",
	}
	tp := loadFiles(t, factTemplate, opt)
	if ps := errorsOf(tp.Check(testColumns)); len(ps) != 0 {
		t.Fatalf("Check: %v", ps)
	}
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Conference, reply by Friday 19 January 2024"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	if len(m.ReplyTo) != 1 || m.ReplyTo[0].Addr != "desk@conference.example" {
		t.Errorf("Reply-To = %v, want the contact of facts.toml", m.ReplyTo)
	}
	for _, want := range []string{
		"REPUBLIC OF SLOVENIA\nMINISTRY OF FOREIGN AND EUROPEAN AFFAIRS\n",
		"Please reply by Friday 19 January 2024 to desk@conference.example.\n",
		"Tanja Example\nMinister\n",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.Text, "<mailto:") {
		t.Errorf("a mail link whose text is its address shows the address twice:\n%s", m.Text)
	}
	for _, want := range []string{
		"REPUBLIC OF SLOVENIA<br>\nMINISTRY OF FOREIGN AND EUROPEAN AFFAIRS</strong>",
		`href="mailto:desk@conference.example"`,
		"Tanja Example<br>\nMinister",
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, body(m.HTML))
		}
	}
	for _, want := range []string{"LOCATION:World Forum\\, The Hague", "DESCRIPTION:Write to desk@conference.example."} {
		if !strings.Contains(string(m.Calendar), want) {
			t.Errorf("calendar lacks %q:\n%s", want, m.Calendar)
		}
	}

	fr, _, err := tp.Render(testRow(), "fr-BE")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Conférence, réponse avant le vendredi 19 janvier 2024"; fr.Subject != want {
		t.Errorf("French Subject = %q, want %q", fr.Subject, want)
	}
	if !strings.Contains(fr.Text, "RÉPUBLIQUE DE SLOVÉNIE\n") {
		t.Errorf("French text lacks its letterhead:\n%s", fr.Text)
	}

	// A setting replaces the default as a whole, every language.
	opt.Facts["letterhead"] = "KINGDOM OF BELGIUM"
	tp = loadFiles(t, factTemplate, opt)
	fr, _, err = tp.Render(testRow(), "fr")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fr.Text, "KINGDOM OF BELGIUM\n") {
		t.Errorf("the letterhead set for every language does not replace the French default:\n%s", fr.Text)
	}
}

func TestFactsMissingForOneLanguage(t *testing.T) {
	opt := testOptions()
	opt.Facts = map[string]string{"reply-deadline.en": "19 January 2024", "venue": "World Forum"}
	tp := loadFiles(t, factTemplate, opt)
	var ps []problem.Problem
	for _, p := range tp.Check(testColumns) {
		if !p.Warning {
			ps = append(ps, p)
		}
	}
	if len(ps) != 1 || inFolder(ps[0]) != `message.fr.md:1: {{fact "reply-deadline"}} has no value for fr` {
		t.Fatalf("Check = %q, want the French reply deadline missing", ps)
	}
	hints := strings.Join(ps[0].Hints, "\n")
	for _, want := range []string{
		`set it in herald.toml, under [facts]: reply-deadline = "…", or one value per language: reply-deadline = { en = "…", fr = "…" }`,
		`or for one run: --fact reply-deadline="…" (or the variable HERALD_FACT_REPLY_DEADLINE)`,
	} {
		if !strings.Contains(hints, want) {
			t.Errorf("hints lack %q:\n%s", want, hints)
		}
	}
}

func TestFactProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"not a name", map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n{{fact \"Reply Deadline\"}}\n"},
			`message.md:4: {{fact "Reply Deadline"}}: "Reply Deadline" is not a fact's name: a fact's name is lower-case letters, digits and hyphens, starting with a letter, such as reply-deadline`},
		{"not a literal", map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n{{fact .Country}}\n"},
			`message.md:4: {{fact .Country}}: fact takes the fact's name in quotes, as in {{fact "venue"}}`},
		{"broken facts.toml", map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nText.\n", "facts.toml": "contact = \n"},
			`facts.toml:1: expected value but found '\n' instead`},
		{"number in facts.toml", map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nText.\n", "facts.toml": "year = 2024\n"},
			`facts.toml: year: write the value in quotes, as text (year = "…"), or as a table by language (year = { en = "…", fr = "…" })`},
		{"empty fact", map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\n{{fact \"venue\"}}\n", "facts.toml": "venue = \"\"\n"},
			`facts.toml: fact venue is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := loadFiles(t, tt.files, testOptions())
			got := errorsOf(tp.Check(testColumns))
			if len(got) == 0 || got[0] != tt.want {
				t.Errorf("errors = %q, want %q first", got, tt.want)
			}
		})
	}
}

func TestParseFactKey(t *testing.T) {
	for key, want := range map[string]string{
		"venue": "venue", "reply-deadline": "reply-deadline", "Venue.FR": "venue.fr", "letterhead.fr-BE": "letterhead.fr-be",
		"reply_deadline": "", "venue.french": "", "2venue": "", "venue-": "", "": "",
	} {
		got, err := ParseFactKey(key)
		if want == "" {
			if err == nil {
				t.Errorf("ParseFactKey(%q) = %q, want an error", key, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseFactKey(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
}

func TestDecodeAndMergeFacts(t *testing.T) {
	got, err := DecodeFacts(map[string]any{
		"contact":  "a@example.org",
		"venue":    map[string]any{"en": "World Forum", "fr": "Forum mondial"},
		"venue.es": "Foro Mundial",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"contact": "a@example.org", "venue.en": "World Forum", "venue.fr": "Forum mondial", "venue.es": "Foro Mundial"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeFacts = %v, want %v", got, want)
	}
	merged := MergeFacts(map[string]string{"venue": "Flag venue"}, map[string]string{"venue.fr": "File venue", "contact": "file@example.org"})
	if want := map[string]string{"venue": "Flag venue", "contact": "file@example.org"}; !reflect.DeepEqual(merged, want) {
		t.Errorf("MergeFacts = %v, want %v: the first set that names a fact gives all of it", merged, want)
	}
}

func TestFactsList(t *testing.T) {
	tp := loadFiles(t, factTemplate, testOptions())
	var names []string
	for _, f := range tp.Facts() {
		names = append(names, f.Name)
		switch f.Name {
		case "contact":
			if !f.Default || f.Values[""] != "desk@conference.example" {
				t.Errorf("contact = %+v, want the default of facts.toml", f)
			}
		case "signatory":
			if f.Required {
				t.Errorf("signatory is required, but it is only printed inside {{if fact \"signatory\"}}")
			}
		case "venue":
			if !f.Required || len(f.Values) != 0 {
				t.Errorf("venue = %+v, want required and without a value", f)
			}
		}
	}
	if want := []string{"contact", "letterhead", "reply-deadline", "signatory", "venue"}; !slices.Equal(names, want) {
		t.Errorf("Facts() = %q, want %q", names, want)
	}
}

func TestUnsetSender(t *testing.T) {
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nEvent: E\nEvent-ID: e\nEvent-Start: 2024-02-14\n\nText.\n"}, testOptions())
	ps := tp.Check(testColumns)
	if len(ps) != 1 || !errors.Is(ps[0], ErrUnset) || !strings.Contains(ps[0].Message, "no sender") {
		t.Fatalf("Check = %v, want the sender still to be set", ps)
	}
	if !strings.Contains(hintOf(ps[0]), `--from "Name <address>"`) {
		t.Errorf("hint %q does not say how to give the sender", hintOf(ps[0]))
	}
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !IsPlaceholder(m.From) || m.From.Name != "«to be set: sender»" {
		t.Errorf("From = %v, want the placeholder", m.From)
	}
	if !strings.Contains(string(m.Calendar), "ORGANIZER;CN=«to be set sender»:mailto:sender@to-be-set.invalid") {
		t.Errorf("calendar's organizer is not the placeholder sender:\n%s", m.Calendar)
	}

	// A fact still to be set in an address header gives an address standing for it.
	tp = loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nReply-To: {{fact \"contact\"}}\n\nText.\n"}, testOptions())
	m, _, err = tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ReplyTo) != 1 || !IsPlaceholder(m.ReplyTo[0]) || m.ReplyTo[0].Name != "«to be set: contact»" {
		t.Errorf("Reply-To = %v, want the placeholder of the contact", m.ReplyTo)
	}
}

func TestRequiredFields(t *testing.T) {
	tp := loadFiles(t, map[string]string{
		"message.md": "Subject: Letter for {{.Country}}\nFrom: a@example.org\nTo: {{.Email | named .Title .FirstName .LastName}}\nCc: {{.Cc}}\nAttach: {{if .Letter}}{{.Letter}}{{end}}\n\n" +
			"{{if .Title}}{{.Title}} {{end}}{{.FirstName | default \"Sir or Madam\"}} {{or .Nickname .LastName}}\n\n" +
			"{{.Salutation}},\n\n{{with .Ministry}}{{.}}{{end}}\n\n{{if not .Position}}Dear colleague{{else}}{{.Position}}{{end}}\n\n" +
			"{{if eq .Language \"fr\"}}{{.Language}}{{end}} {{.Country | upper}}\n",
	}, testOptions())
	var got []string
	for _, u := range tp.Required("") {
		got = append(got, fmt.Sprintf("%s@%s:%d", u.Column, u.File, u.Line))
	}
	want := []string{"Country@message.md:1", "Email@message.md:3", "Salutation@message.md:9"}
	if !slices.Equal(got, want) {
		t.Errorf("Required = %q, want %q", got, want)
	}
}

func TestNamed(t *testing.T) {
	tests := []struct {
		args []string
		want []message.Address
	}{
		{[]string{"Dra.", "Lucía Belén Ferreyra", "lferreyra@cancilleria.example"}, []message.Address{{Name: "Dra. Lucía Belén Ferreyra", Addr: "lferreyra@cancilleria.example"}}},
		// The person's name goes to the first address, not to the office's beside it.
		{[]string{"Mr", "", "MORITA Kenji", "kenji@mofa.example; office@mofa.example"}, []message.Address{{Name: "Mr MORITA Kenji", Addr: "kenji@mofa.example"}, {Addr: "office@mofa.example"}}},
		// An address with a name of its own keeps it.
		{[]string{"Mr", "WANG Minghua", "王明华 <wang@moj.example>"}, []message.Address{{Name: "王明华", Addr: "wang@moj.example"}}},
		{[]string{"", "", "a@x.example"}, []message.Address{{Addr: "a@x.example"}}},
	}
	for _, tt := range tests {
		got := named(tt.args...)
		list, _, err := message.ParseList(got)
		if err != nil || !reflect.DeepEqual(list, tt.want) {
			t.Errorf("named(%q) = %q, read back as %v (%v); want %v", tt.args, got, list, err, tt.want)
		}
	}
	if got := named("Ms", "not an address"); got != "not an address" {
		t.Errorf("named of a list that cannot be read = %q, want it unchanged for the To header to report", got)
	}
}

func TestNoBreakSpacesInText(t *testing.T) {
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nLes 14\u00a0et 15\u00a0février 2024 à La Haye\u00a0: réservez la date.\n"}, testOptions())
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Les 14\u00a0et 15\u00a0février 2024 à La Haye\u00a0: réservez la date.\n"; m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
}

func TestAttachProblems(t *testing.T) {
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nAttach:\nAttach: {{.Letter}}\n\nText.\n"}, testOptions())
	if got := errorsOf(tp.Check(append(testColumns, "Letter"))); !slices.Equal(got, []string{"message.md:3: Attach names no file"}) {
		t.Errorf("errors = %q, want the empty Attach line", got)
	}
	tp = loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nAttach: {{.Letter}}\n\nText.\n", "a.pdf": "%PDF"}, testOptions())
	if ps := tp.UnusedAttachments(); len(ps) != 0 {
		t.Errorf("UnusedAttachments before any row = %v, want none", ps)
	}
	row := testRow()
	row["Letter"] = ""
	for range 3 {
		if _, _, err := tp.Render(row, ""); err != nil {
			t.Fatal(err)
		}
	}
	ps := tp.UnusedAttachments()
	if len(ps) != 1 || inFolder(ps[0]) != "message.md:3: Attach: {{.Letter}} attaches no file to any row: it is empty for every one" {
		t.Fatalf("UnusedAttachments = %v", ps)
	}
	row["Letter"] = "a.pdf"
	if _, _, err := tp.Render(row, ""); err != nil {
		t.Fatal(err)
	}
	if ps := tp.UnusedAttachments(); len(ps) != 0 {
		t.Errorf("UnusedAttachments after a row with a file = %v, want none", ps)
	}
}

func TestEventEnded(t *testing.T) {
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nEvent: E\nEvent-ID: e\nEvent-Start: 2023-10-30\nEvent-End: 2023-10-31\n\nText.\n"}, testOptions())
	want := []string{"message.md:3: the event ended on 31 October 2023: the calendar entry would be in the past"}
	if got := warningsOf(tp.Check(testColumns)); !slices.Equal(got, want) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}

// TestNamedHeader: a To of the form {{.Email | named …}}, rendered directly for speed, gives
// what the function gives through text.
func TestNamedHeader(t *testing.T) {
	row := testRow()
	row["Email"] = "jean.dupont@justice.example; office@justice.example"
	var got [][]message.Address
	for _, to := range []string{
		`{{.Email | named .Title "Jean" .LastName}}`,         // rendered directly
		`{{named .Title "Jean" .LastName .Email}}`,           // rendered directly
		`{{.Email | named (print .Title) "Jean" .LastName}}`, // through the function
	} {
		tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\nTo: " + to + "\n\nText.\n"}, testOptions())
		if p := tp.variants[0].headers["To"]; (p.named != nil) == strings.Contains(to, "print") {
			t.Errorf("To: %s: rendered directly = %v", to, p.named != nil)
		}
		m, _, err := tp.Render(row, "")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.To)
	}
	want := []message.Address{{Name: "Minister Jean Dupont", Addr: "jean.dupont@justice.example"}, {Addr: "office@justice.example"}}
	for i, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Errorf("form %d: To = %v, want %v", i, g, want)
		}
	}
}

// TestFactsEscaped: a fact is text wherever it stands, escaped once for its place when the
// folder is loaded: in the text of the HTML, in a link's address, and a javascript: address
// is refused as html/template refuses it.
func TestFactsEscaped(t *testing.T) {
	opt := testOptions()
	opt.Facts = map[string]string{"venue": `<b>Hall</b> & "Annex"`, "link": `https://conference.example/?a=1&b="2"`, "bad": "javascript:alert(1)"}
	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n\nVenue: {{fact \"venue\"}}. [Page]({{fact \"link\"}}), [x]({{fact \"bad\"}}).\n"}, opt)
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Venue: &lt;b&gt;Hall&lt;/b&gt; &amp; &#34;Annex&#34;.",
		`href="https://conference.example/?a=1&amp;b=%222%22"`,
		`href="#ZgotmplZ"`,
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, body(m.HTML))
		}
	}
	if want := "Venue: <b>Hall</b> & \"Annex\". Page <https://conference.example/?a=1&b=\"2\">"; !strings.Contains(m.Text, want) {
		t.Errorf("text lacks %q:\n%s", want, m.Text)
	}
}

// TestFactOneValueForSeveralLanguages: a value given once, printed by letters in several
// languages, is a warning (an English date in a French letter); addresses and links, and
// values given per language, are not.
func TestFactOneValueForSeveralLanguages(t *testing.T) {
	files := map[string]string{
		"message.md":    "Subject: S\nFrom: a@example.org\n\nReply by {{fact \"reply-deadline\"}} to {{fact \"contact\"}}, see {{fact \"link\"}}.\n",
		"message.fr.md": "Subject: S\nFrom: a@example.org\n\nRépondre avant le {{fact \"reply-deadline\"}} à {{fact \"contact\"}}, voir {{fact \"link\"}}.\n",
	}
	opt := testOptions()
	opt.Facts = map[string]string{"reply-deadline": "Friday 19 January 2024", "contact": "mla@example.org", "link": "https://mla.example/convention"}
	warnings := warningsOf(loadFiles(t, files, opt).Check(testColumns))
	want := `fact reply-deadline has one value for every language ("Friday 19 January 2024"), and the letters in en, fr all print it as it is`
	if len(warnings) != 1 || warnings[0] != want {
		t.Errorf("warnings = %q, want only %q", warnings, want)
	}
	opt.Facts = map[string]string{"reply-deadline": "Friday 19 January 2024", "reply-deadline.fr": "vendredi 19 janvier 2024", "contact": "mla@example.org", "link": "https://mla.example/convention"}
	if warnings := warningsOf(loadFiles(t, files, opt).Check(testColumns)); len(warnings) != 0 {
		t.Errorf("with a French value: warnings = %q, want none", warnings)
	}
}
