package templates

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mla-initiative/herald/internal/message"
	"github.com/mla-initiative/herald/internal/template"
)

// The built-in letters are held to the original save-the-date
// (/work/shared/reference/save-the-date-original.txt in the project's notes): they carry its
// facts in each language and state no fact it does not, so that a protocol office can sign
// them unedited. What the original leaves open (a reply deadline, a venue, a programme, a
// registration procedure, who signs, the address of the MLA Initiative's page) is a campaign
// fact that the user sets.

// original are the facts of the original, as each language words them.
var original = map[string]struct {
	states                                                 []string
	dates, place, title, aim                               string
	forward, dueCourse, cooperation, ljubljana, letterhead string
}{
	"en": {
		states: []string{"Argentine Republic", "Kingdom of Belgium", "Mongolia", "Kingdom of the Netherlands", "Republic of Senegal", "Republic of Slovenia"},
		dates:  "14 and 15 February 2024", place: "The Hague, the Netherlands",
		title:       "Ljubljana–The Hague Convention on International Cooperation in the Investigation and Prosecution of the Crime of Genocide, Crimes against Humanity, War Crimes and other International Crimes",
		aim:         "by all States ready to do so",
		forward:     "forward this save-the-date to the persons concerned in your national authorities and/or in any other organisations",
		dueCourse:   "A formal invitation and further details will follow in due course.",
		cooperation: "Effective international legal cooperation is one of the fundamental instruments for prosecuting the perpetrators of the most serious international crimes.",
		ljubljana:   "MLA Diplomatic Conference held in Ljubljana, Slovenia, in May 2023",
		letterhead:  "REPUBLIC OF SLOVENIA\nMINISTRY OF FOREIGN AND EUROPEAN AFFAIRS\n",
	},
	"fr": {
		states: []string{"République argentine", "Royaume de Belgique", "Mongolie", "Royaume des Pays-Bas", "République du Sénégal", "République de Slovénie"},
		dates:  "les 14 et 15 février 2024", place: "La Haye (Pays-Bas)",
		title:       "Convention de Ljubljana-La Haye sur la coopération internationale en matière d’enquête et de poursuite du crime de génocide, des crimes contre l’humanité, des crimes de guerre et autres crimes internationaux",
		aim:         "par tous les États qui y sont prêts",
		forward:     "transmettre la présente annonce aux personnes concernées de vos autorités nationales et/ou de toute autre organisation",
		dueCourse:   "Une invitation officielle et de plus amples informations suivront en temps utile.",
		cooperation: "Une coopération juridique internationale efficace est l’un des instruments fondamentaux de la poursuite des auteurs des crimes internationaux les plus graves.",
		ljubljana:   "Conférence diplomatique sur l’entraide judiciaire (MLA) tenue avec succès à Ljubljana (Slovénie) en mai 2023",
		letterhead:  "RÉPUBLIQUE DE SLOVÉNIE\nMINISTÈRE DES AFFAIRES ÉTRANGÈRES ET EUROPÉENNES\n",
	},
	"es": {
		states: []string{"República Argentina", "Reino de Bélgica", "Mongolia", "Reino de los Países Bajos", "República del Senegal", "República de Eslovenia"},
		dates:  "14 y 15 de febrero de 2024", place: "La Haya (Países Bajos)",
		title:       "Convención de Liubliana-La Haya sobre Cooperación Internacional en la Investigación y el Enjuiciamiento del Crimen de Genocidio, los Crímenes de Lesa Humanidad, los Crímenes de Guerra y otros Crímenes Internacionales",
		aim:         "por todos los Estados dispuestos a hacerlo",
		forward:     "transmitir este anuncio a las personas pertinentes de sus autoridades nacionales y/o de cualquier otra organización",
		dueCourse:   "Una invitación oficial y más información se enviarán oportunamente.",
		cooperation: "Una cooperación jurídica internacional eficaz es uno de los instrumentos fundamentales para enjuiciar a los autores de los crímenes internacionales más graves.",
		ljubljana:   "Conferencia Diplomática sobre Asistencia Judicial Recíproca (MLA) celebrada en Liubliana (Eslovenia) en mayo de 2023",
		letterhead:  "REPÚBLICA DE ESLOVENIA\nMINISTERIO DE ASUNTOS EXTERIORES Y EUROPEOS\n",
	},
}

// contact is the address the original gives for questions: the default of the contact fact.
const contact = "MLA-initiative@minjenv.nl"

// testRow is a recipient whose cells hold no digit, so that every number of a letter is the
// template's own.
var testRow = map[string]string{
	"Country": "Chile", "Authority": "Ministerio de Justicia", "Salutation": "Señor Ministro", "Title": "Excmo. Sr. D.",
	"FullName": "Rodrigo Aránguiz Mella", "Position": "Ministro", "Email": "ministro@minjusticia.cl.example", "Cc": "", "Language": "",
}

// load loads a built-in template with the given settings.
func load(t *testing.T, name string, from string, facts map[string]string) *template.Template {
	t.Helper()
	fsys, err := Folder(name)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2023, 11, 14, 9, 0, 0, 0, time.UTC)
	tp, err := template.Load(fsys, name, template.Options{From: from, Facts: facts, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// render renders the variant of lang ("en", "fr", "es").
func render(t *testing.T, tp *template.Template, lang string) *message.Message {
	t.Helper()
	if lang == "en" {
		lang = ""
	}
	m, _, err := tp.Render(testRow, lang)
	if err != nil {
		t.Fatalf("%s %q: %v", tp.Name(), lang, err)
	}
	return m
}

// TestOriginalFacts holds the built-in save-the-date to every fact of the original, in each
// language, and the invitation and the reminder to those they repeat.
func TestOriginalFacts(t *testing.T) {
	std := load(t, "save-the-date", "Protocol <protocol@mfa.example>", map[string]string{"information-link": "https://mla-initiative.example/convention"})
	if ps := std.Check(slices.Collect(func(yield func(string) bool) {
		for c := range testRow {
			if !yield(c) {
				return
			}
		}
	})); len(ps) != 0 {
		t.Fatalf("save-the-date with its link set has problems: %v", ps)
	}
	inv := load(t, "invitation", "", nil)
	rem := load(t, "reminder", "", nil)
	for lang, o := range original {
		m := render(t, std, lang)
		text := m.Text
		if !strings.HasPrefix(text, o.letterhead) {
			t.Errorf("save-the-date %s does not start with the letterhead %q:\n%s", lang, o.letterhead, text)
		}
		for _, want := range append(slices.Clone(o.states), o.dates, o.place, o.title, o.aim, o.forward, o.dueCourse, o.cooperation, o.ljubljana,
			"MLA Initiative | GOV.SI <https://mla-initiative.example/convention>", contact) {
			if !strings.Contains(text, want) {
				t.Errorf("save-the-date %s lacks %q:\n%s", lang, want, text)
			}
		}
		if len(m.ReplyTo) != 1 || m.ReplyTo[0].Addr != contact {
			t.Errorf("save-the-date %s: Reply-To %v, want %s", lang, m.ReplyTo, contact)
		}
		cal := strings.ReplaceAll(string(m.Calendar), "\r\n ", "")
		for _, want := range []string{"DTSTART;VALUE=DATE:20240214", "DTEND;VALUE=DATE:20240216", "TRANSP:TRANSPARENT", contact} {
			if !strings.Contains(cal, want) {
				t.Errorf("save-the-date %s: calendar lacks %q:\n%s", lang, want, cal)
			}
		}

		for _, tp := range []*template.Template{inv, rem} {
			text := render(t, tp, lang).Text
			for _, want := range append(slices.Clone(o.states), o.dates, o.place, o.title, o.aim) {
				if !strings.Contains(text, want) {
					t.Errorf("%s %s lacks %q:\n%s", tp.Name(), lang, want, text)
				}
			}
		}
		if text := render(t, rem, lang).Text; !strings.Contains(text, contact) {
			t.Errorf("reminder %s lacks the contact %s:\n%s", lang, contact, text)
		}
	}
}

// TestNothingInvented renders every built-in letter with nothing set: every number in it is
// one of the original's (the dates of the Conference, May 2023 in Ljubljana), and every fact
// the original leaves open shows as a marker, not as a value made up.
func TestNothingInvented(t *testing.T) {
	allowed := []string{"14", "15", "2023", "2024"}
	digits := regexp.MustCompile(`[0-9]+`)
	for _, name := range Names() {
		tp := load(t, name, "", nil)
		for _, lang := range []string{"en", "fr", "es"} {
			m := render(t, tp, lang)
			for _, part := range []string{m.Subject, m.Text, eventText(m.Calendar)} {
				for _, n := range digits.FindAllString(part, -1) {
					if !slices.Contains(allowed, n) {
						t.Errorf("%s %s has the number %s, which the original does not give:\n%s", name, lang, n, part)
					}
				}
			}
		}
	}
}

// eventText is what a calendar entry says, without the stamps and identifiers herald adds.
func eventText(cal []byte) string {
	var keep []string
	for _, line := range strings.Split(strings.ReplaceAll(string(cal), "\r\n ", ""), "\r\n") {
		for _, p := range []string{"SUMMARY:", "LOCATION:", "DESCRIPTION:"} {
			if strings.HasPrefix(line, p) {
				keep = append(keep, line)
			}
		}
	}
	return strings.Join(keep, "\n")
}

// TestFactsStillToSet: check lists exactly the facts the original leaves open.
func TestFactsStillToSet(t *testing.T) {
	want := map[string][]string{
		"save-the-date": {"information-link"},
		"invitation":    {"contact", "full-powers", "letterhead", "programme", "registration", "reply-deadline", "signatory", "venue"},
		"reminder":      nil,
	}
	for _, name := range Names() {
		tp := load(t, name, "Protocol <protocol@mfa.example>", nil)
		var unset []string
		for _, f := range tp.Facts() {
			if f.Required && len(f.Values) == 0 {
				unset = append(unset, f.Name)
			}
		}
		if !slices.Equal(unset, want[name]) {
			t.Errorf("%s: facts still to be set %q, want %q", name, unset, want[name])
		}
	}
}

// TestRegister keeps the letters in the register of a protocol office: none of the phrases
// the first drafts had, that a minister's office would strike out.
func TestRegister(t *testing.T) {
	forbidden := []string{
		// facts the original does not state
		"impunity", "impunité", "impunidad", "decisive", "décisive", "decisivo",
		"core group", "groupe central", "grupo central", "Secretariat", "Secrétariat", "Secretaría",
		"19 January", "19 janvier", "19 de enero", "Friday", "vendredi", "viernes",
		"shortly", "prochainement", "en breve",
		// customer-service phrasing and calques
		"simply", "il vous suffit", "basta con", "simplemente",
		"calendar entry", "entrée de calendrier", "entrada de calendario",
		// the French and Spanish names take a hyphen
		"Ljubljana–La Haye", "Liubliana–La Haya",
	}
	for _, v := range allVariants(t) {
		for part, src := range v.sources() {
			for _, bad := range forbidden {
				if strings.Contains(strings.ToLower(src), strings.ToLower(bad)) {
					t.Errorf("%s: %s has %q", v.path, part, bad)
				}
			}
		}
		if strings.HasSuffix(v.path, ".fr.md") && !strings.Contains(v.body, "l’assurance de notre très haute considération.") {
			t.Errorf("%s: the closing is not « très haute considération »", v.path)
		}
		// Every paragraph of prose ends its sentence: none runs on into a bold block.
		for _, para := range strings.Split(strings.TrimSpace(v.body), "\n\n") {
			para = strings.TrimSpace(para)
			if para == "" || strings.HasPrefix(para, "{{") || strings.HasPrefix(para, "**") || strings.HasPrefix(para, "- ") || strings.Contains(para, "\\\n") {
				continue
			}
			if last := para[len(para)-1:]; !strings.ContainsAny(last, ".:,") {
				t.Errorf("%s: paragraph %q does not end a sentence", v.path, around(para, len(para)-1))
			}
		}
	}
}

// coHosts are the six States in the names the sample's Country column could give them.
var coHosts = []string{"Argentina", "Belgium", "Belgique", "België", "Mongolia", "Netherlands", "Pays-Bas", "Nederland", "Senegal", "Sénégal", "Slovenia", "Slovénie", "Slovenija"}

// TestSampleRealistic keeps the sample a list a ministry would send to: not the co-hosts
// themselves, names written in the script of the letter, in the person's own order.
func TestSampleRealistic(t *testing.T) {
	columns, rows := sample(t)
	for _, c := range []string{"Country", "Authority", "Salutation", "Title", "FullName", "Position", "Email", "Cc", "Language"} {
		if !slices.Contains(columns, c) {
			t.Errorf("the sample has no column %s", c)
		}
	}
	byCountry := map[string]map[string]string{}
	for i, row := range rows {
		line := i + 2
		byCountry[row["Country"]] = row
		if slices.Contains(coHosts, row["Country"]) {
			t.Errorf("%s line %d: %s is a co-host; it is not invited to its own conference", SampleName, line, row["Country"])
		}
		for _, cell := range []string{"Salutation", "Title", "FullName", "Position", "Authority"} {
			if strings.TrimSpace(row[cell]) == "" {
				t.Errorf("%s line %d: %s is empty; the letters print it", SampleName, line, cell)
			}
		}
		// A letter in English, French or Spanish writes names in Latin script.
		for _, cell := range []string{"Salutation", "Title", "FullName"} {
			for _, r := range row[cell] {
				if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
					t.Errorf("%s line %d: %s %q is not in Latin script", SampleName, line, cell, row[cell])
					break
				}
			}
		}
	}
	for country, want := range map[string][2]string{
		"China":   {"WANG Minghua", "Dear Mr Wang"},
		"Japan":   {"MORITA Kenji", "Dear Mr Morita"},
		"Austria": {"Erdenebat Bolormaa", "Dear Ms Bolormaa"}, // a Mongolian name: addressed by the given name
		"Ukraine": {"Olena Kovalenko", "Dear Ms Kovalenko"},
		"España":  {"Ignacio Aldecoa Ruiz", "Señor Secretario de Estado"},
		"Kenya":   {"Wanjiru Kamau", "Dear Director of Public Prosecutions"},
	} {
		row := byCountry[country]
		if row == nil || row["FullName"] != want[0] || row["Salutation"] != want[1] {
			t.Errorf("%s: full name %q and salutation %q, want %q", country, row["FullName"], row["Salutation"], want)
		}
	}
	if byCountry["España"]["Title"] != "Excmo. Sr. D." || byCountry["Costa Rica"]["Salutation"] != "Señora Directora General" {
		t.Errorf("the Spanish forms of address are not as used: %q, %q", byCountry["España"]["Title"], byCountry["Costa Rica"]["Salutation"])
	}
}

// TestRenderSample renders every sample row with every built-in, as check does, so that a
// row whose language has no variant, an empty cell the letter prints, or a greeting that
// does not reach the text shows here.
func TestRenderSample(t *testing.T) {
	_, rows := sample(t)
	for _, name := range Names() {
		tp := load(t, name, "Protocol <protocol@mfa.example>", nil)
		for _, row := range rows {
			lang, fellBack := tp.Variant(row["Language"])
			if fellBack && row["Language"] != "" && !strings.HasPrefix(row["Language"], "en") {
				t.Errorf("%s, %s: language %q has no variant", name, row["Country"], row["Language"])
			}
			for _, u := range tp.Required(lang) {
				if strings.TrimSpace(row[u.Column]) == "" {
					t.Errorf("%s, %s: %s is empty, and %s:%d prints it", name, row["Country"], u.Column, u.File, u.Line)
				}
			}
			m, _, err := tp.Render(row, lang)
			if err != nil {
				t.Errorf("render %s for %s: %v", name, row["Country"], err)
				continue
			}
			for _, want := range []string{row["Salutation"], row["FullName"], row["Authority"], row["Country"]} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("%s rendered for %s does not contain %q", name, row["Country"], want)
				}
			}
			if m.To[0].Name == "" {
				t.Errorf("%s for %s: To %v carries no name", name, row["Country"], m.To)
			}
			min, max := 150, 420
			if name == "reminder" {
				min = 80
			}
			if n := len(strings.Fields(m.Text)); n < min || n > max {
				t.Errorf("%s rendered for %s has %d words, want %d to %d", name, row["Country"], n, min, max)
			}
		}
	}
}
