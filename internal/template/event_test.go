package template

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/mla-initiative/herald/templates"
)

// parseCalendar reads an .ics back with golang-ical and returns its only event.
func parseCalendar(t *testing.T, data []byte) (*ics.Calendar, *ics.VEvent) {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parsing the calendar file: %v\n%s", err, data)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("calendar has %d events, want 1:\n%s", len(events), data)
	}
	return cal, events[0]
}

func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if ip := e.GetProperty(p); ip != nil {
		return ip.Value
	}
	return ""
}

func TestCalendarAllDay(t *testing.T) {
	tp, err := Load(os.DirFS("testdata/full"), "testdata/full", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"\r\nMETHOD:PUBLISH\r\n",
		"\r\nDTSTART;VALUE=DATE:20240214\r\n",
		"\r\nDTEND;VALUE=DATE:20240216\r\n",
		"\r\nDTSTAMP:20231101T093000Z\r\n",
		"\r\nLOCATION:World Forum\\, The Hague\\, the Netherlands\r\n",
	} {
		if !bytes.Contains(m.Calendar, []byte(line)) {
			t.Errorf("calendar lacks %q:\n%s", line, m.Calendar)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(m.Calendar, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("calendar has a line end other than CRLF")
	}
	for _, line := range strings.Split(string(m.Calendar), "\r\n") {
		if len(line) > 75 {
			t.Errorf("calendar line longer than 75 octets: %q", line)
		}
	}

	cal, ev := parseCalendar(t, m.Calendar)
	var method string
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(ics.PropertyMethod) {
			method = p.Value
		}
	}
	start, err := ev.GetAllDayStartAt()
	if err != nil {
		t.Fatal(err)
	}
	end, err := ev.GetAllDayEndAt()
	if err != nil {
		t.Fatal(err)
	}
	stamp, err := ev.GetDtStampTime()
	if err != nil {
		t.Fatal(err)
	}
	got := []string{method, start.Format("2006-01-02"), end.Format("2006-01-02"), stamp.UTC().Format(time.RFC3339),
		prop(ev, ics.ComponentPropertySummary), prop(ev, ics.ComponentPropertyLocation), prop(ev, ics.ComponentPropertyDescription)}
	want := []string{"PUBLISH", "2024-02-14", "2024-02-16", "2023-11-01T09:30:00Z",
		"Signing Conference of the Ljubljana–The Hague Convention",
		"World Forum, The Hague, the Netherlands",
		"Signing Conference of the Ljubljana–The Hague Convention on international cooperation, co-hosted by Argentina, Belgium, Mongolia, the Netherlands, Senegal and Slovenia."}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("calendar field %d = %q, want %q", i, got[i], want[i])
		}
	}

	// The entry keeps its identity across languages and loads, so sending again updates it.
	fr, _, err := tp.Render(testRow(), "fr")
	if err != nil {
		t.Fatal(err)
	}
	_, frEv := parseCalendar(t, fr.Calendar)
	if frEv.Id() != ev.Id() {
		t.Errorf("French UID %q differs from the default's %q", frEv.Id(), ev.Id())
	}
	if got := prop(frEv, ics.ComponentPropertySummary); got != "Conférence de signature de la Convention de Ljubljana–La Haye" {
		t.Errorf("French SUMMARY = %q", got)
	}
	tp2, err := Load(os.DirFS("testdata/full"), "elsewhere", Options{})
	if err != nil {
		t.Fatal(err)
	}
	m2, _, err := tp2.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ev2 := parseCalendar(t, m2.Calendar); ev2.Id() != ev.Id() {
		t.Errorf("UID changed between loads: %q, then %q", ev.Id(), ev2.Id())
	}
}

func TestCalendarTimesAndCells(t *testing.T) {
	tp := loadFiles(t, map[string]string{
		"message.md": "Subject: S\nFrom: a@example.org\nEvent: Bilateral meeting with {{.Country}}\n" +
			"Event-Start: 2024-02-14T09:30 Europe/Amsterdam\nEvent-End: 2024-02-14 17:00 Europe/Amsterdam\n" +
			"Event-Location: Room {{.Title}}\n\nText.\n",
	}, testOptions())
	if errs := errorsOf(tp.Check(testColumns)); len(errs) > 0 {
		t.Fatal(errs)
	}
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\r\nDTSTART:20240214T083000Z\r\n", "\r\nDTEND:20240214T160000Z\r\n"} {
		if !bytes.Contains(m.Calendar, []byte(line)) {
			t.Errorf("calendar lacks %q:\n%s", line, m.Calendar)
		}
	}
	_, ev := parseCalendar(t, m.Calendar)
	if got, want := prop(ev, ics.ComponentPropertySummary)+" / "+prop(ev, ics.ComponentPropertyLocation), "Bilateral meeting with Chile / Room Minister"; got != want {
		t.Errorf("SUMMARY / LOCATION = %q, want %q", got, want)
	}
	start, err := ev.GetStartAt()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 2, 14, 8, 30, 0, 0, time.UTC); !start.Equal(want) {
		t.Errorf("start = %v, want %v", start, want)
	}
}

func TestParseEventTime(t *testing.T) {
	tests := []struct {
		in      string
		want    string // RFC 3339 in UTC, or the error
		allDay  bool
		wantErr bool
	}{
		{in: "2024-02-14", want: "2024-02-14T00:00:00Z", allDay: true},
		{in: " 2024-02-14 ", want: "2024-02-14T00:00:00Z", allDay: true},
		{in: "2024-02-14T09:30 Europe/Amsterdam", want: "2024-02-14T08:30:00Z"},
		{in: "2024-07-14T09:30 Europe/Amsterdam", want: "2024-07-14T07:30:00Z"},
		{in: "2024-02-14 09:30:15 America/Argentina/Buenos_Aires", want: "2024-02-14T12:30:15Z"},
		{in: "2024-02-14T09:30 UTC", want: "2024-02-14T09:30:00Z"},
		{in: "2024-02-14T09:30", want: `"2024-02-14T09:30" has no time zone; write it after the time, as in 2024-02-14T09:30 Europe/Amsterdam`, wantErr: true},
		{in: "2024-02-14T09:30 Mars/Olympus", want: `"2024-02-14T09:30 Mars/Olympus": unknown time zone "Mars/Olympus"; use a name such as Europe/Amsterdam or UTC`, wantErr: true},
		{in: "2024-02-14T09:30 Local", want: `"2024-02-14T09:30 Local": unknown time zone "Local"; use a name such as Europe/Amsterdam or UTC`, wantErr: true},
		{in: "14/02/2024", want: `"14/02/2024" is not ` + eventFormats, wantErr: true},
		{in: "2024-02-30", want: `"2024-02-30" is not ` + eventFormats, wantErr: true},
		{in: "2024-02-14T25:00 UTC", want: `"2024-02-14T25:00 UTC" is not ` + eventFormats, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseEventTime(tt.in)
		switch {
		case tt.wantErr:
			if err == nil || err.Error() != tt.want {
				t.Errorf("parseEventTime(%q) error = %v, want %s", tt.in, err, tt.want)
			}
		case err != nil:
			t.Errorf("parseEventTime(%q): %v", tt.in, err)
		case got.t.UTC().Format(time.RFC3339) != tt.want || got.allDay != tt.allDay:
			t.Errorf("parseEventTime(%q) = %s all-day %v, want %s all-day %v", tt.in, got.t.UTC().Format(time.RFC3339), got.allDay, tt.want, tt.allDay)
		}
	}
}

func TestEventProblems(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		want    string
	}{
		{"start without event", "Event-Start: 2024-02-14", "message.md:3: Event-Start without an Event header"},
		{"event without start", "Event: E", "message.md:3: Event without an Event-Start header"},
		{"bad start", "Event: E\nEvent-Start: 14 February 2024", `message.md:4: Event-Start: "14 February 2024" is not ` + eventFormats},
		{"end before start", "Event: E\nEvent-Start: 2024-02-15\nEvent-End: 2024-02-14", "message.md:3: Event-End 2024-02-14 is before Event-Start 2024-02-15"},
		{"date and time", "Event: E\nEvent-Start: 2024-02-14\nEvent-End: 2024-02-14T18:00 UTC", "message.md:3: Event-Start and Event-End must both be dates or both be times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n" + tt.headers + "\n\nText.\n"}, testOptions())
			errs := errorsOf(tp.Check(testColumns))
			if len(errs) != 1 || errs[0] != tt.want {
				t.Errorf("errors = %q, want [%q]", errs, tt.want)
			}
			if _, _, err := tp.Render(testRow(), ""); err == nil || err.Error() != tt.want {
				t.Errorf("Render error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseSequence(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  string
	}{
		{in: "0", want: 0},
		{in: " 1 ", want: 1},
		{in: "0042", want: 42},
		{in: "2147483647", want: 2147483647},
		{in: "", err: "Event-Sequence is empty"},
		{in: "2147483648", err: `Event-Sequence "2147483648" is too large (at most 2147483647)`},
		{in: "99999999999999999999999", err: `Event-Sequence "99999999999999999999999" is too large (at most 2147483647)`},
		{in: "-1", err: `Event-Sequence "-1" is not a whole number (0, 1, 2, …)`},
		{in: "+1", err: `Event-Sequence "+1" is not a whole number (0, 1, 2, …)`},
		{in: "1.0", err: `Event-Sequence "1.0" is not a whole number (0, 1, 2, …)`},
		{in: "one", err: `Event-Sequence "one" is not a whole number (0, 1, 2, …)`},
		{in: "1 2", err: `Event-Sequence "1 2" is not a whole number (0, 1, 2, …)`},
		{in: "١", err: `Event-Sequence "١" is not a whole number (0, 1, 2, …)`}, // Arabic-Indic one
	}
	for _, tt := range tests {
		got, err := parseSequence(tt.in)
		switch {
		case tt.err != "":
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseSequence(%q) = %d, %v, want error %s", tt.in, got, err, tt.err)
			}
		case err != nil:
			t.Errorf("parseSequence(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("parseSequence(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestEventSequence covers the Event-Sequence header from the file to the SEQUENCE line of
// the .ics, and its errors with the file, the line and a hint.
func TestEventSequence(t *testing.T) {
	const event = "Event: E\nEvent-Start: 2024-02-14\n"
	tests := []struct {
		name    string
		headers string
		want    string // the SEQUENCE line, or the error
		wantErr bool
	}{
		{name: "default", headers: event, want: "SEQUENCE:0"},
		{name: "zero", headers: event + "Event-Sequence: 0", want: "SEQUENCE:0"},
		{name: "one", headers: event + "Event-Sequence: 1", want: "SEQUENCE:1"},
		{name: "before the Event lines, any case", headers: "event-sequence: 12\n" + event, want: "SEQUENCE:12"},
		{name: "calendar made per row", headers: "Event: Meeting with {{.Country}}\nEvent-Start: 2024-02-14\nEvent-Sequence: 3", want: "SEQUENCE:3"},
		{name: "negative", headers: event + "Event-Sequence: -1", want: `message.md:5: Event-Sequence "-1" is not a whole number (0, 1, 2, …)`, wantErr: true},
		{name: "word", headers: event + "Event-Sequence: second", want: `message.md:5: Event-Sequence "second" is not a whole number (0, 1, 2, …)`, wantErr: true},
		{name: "empty", headers: event + "Event-Sequence:", want: "message.md:5: Event-Sequence is empty", wantErr: true},
		{name: "placeholder", headers: event + "Event-Sequence: {{.Title}}", want: "message.md:5: Event-Sequence cannot have a placeholder: it is the version of the calendar entry", wantErr: true},
		{name: "without event", headers: "Event-Sequence: 1", want: "message.md:3: Event-Sequence without an Event header", wantErr: true},
		{name: "twice", headers: event + "Event-Sequence: 1\nEvent-Sequence: 2", want: "message.md:6: Event-Sequence given twice (first on line 5)", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: a@example.org\n" + tt.headers + "\n\nText.\n"}, testOptions())
			problems := tp.Check(testColumns)
			errs := errorsOf(problems)
			if !tt.wantErr {
				if len(errs) > 0 {
					t.Fatalf("errors = %q, want none", errs)
				}
				m, _, err := tp.Render(testRow(), "")
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(m.Calendar, []byte("\r\n"+tt.want+"\r\n")) {
					t.Errorf("calendar lacks %q:\n%s", tt.want, m.Calendar)
				}
				_, ev := parseCalendar(t, m.Calendar)
				if got, want := prop(ev, ics.ComponentPropertySequence), strings.TrimPrefix(tt.want, "SEQUENCE:"); got != want {
					t.Errorf("SEQUENCE read back = %q, want %q", got, want)
				}
				return
			}
			if len(errs) != 1 || errs[0] != tt.want {
				t.Fatalf("errors = %q, want [%q]", errs, tt.want)
			}
			for _, p := range problems {
				if !p.Warning && hintOf(p) == "" {
					t.Errorf("%s has no hint", p)
				}
			}
			if _, _, err := tp.Render(testRow(), ""); err == nil || err.Error() != tt.want {
				t.Errorf("Render error = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestEventSequenceDiffersByLanguage: a language whose calendar entry has another version
// than message.md's would leave those rows' calendars behind.
func TestEventSequenceDiffersByLanguage(t *testing.T) {
	const event = "Subject: S\nFrom: a@example.org\nEvent: E\nEvent-Start: 2024-02-14\n"
	tp := loadFiles(t, map[string]string{
		"message.md":    event + "Event-Sequence: 1\n\nText.\n",
		"message.fr.md": event + "\nTexte.\n",
	}, testOptions())
	ps := tp.Check(testColumns)
	if errs := errorsOf(ps); len(errs) > 0 {
		t.Fatalf("errors = %q, want none", errs)
	}
	want := "message.fr.md: message.fr.md has Event-Sequence 0 and message.md has 1: calendars of some rows will not take the update"
	if got := warningsOf(ps); !slices.Contains(got, want) {
		t.Errorf("warnings = %q, want them to contain %q", got, want)
	}
}

// TestBuiltinInvitationUpdatesSaveTheDate: the built-in invitation revises the entry the
// save-the-date created, in every language, so it must keep its UID and raise its SEQUENCE,
// or calendar programs ignore it.
func TestBuiltinInvitationUpdatesSaveTheDate(t *testing.T) {
	row := map[string]string{
		"Country": "Chile", "Authority": "Ministry of Justice", "Salutation": "Excellency",
		"Title": "H.E. Mr", "FullName": "Jean Dupont", "Position": "Minister",
		"Email": "jean.dupont@justice.example", "Cc": "", "Language": "",
	}
	for _, lang := range []string{"", "fr", "es"} {
		var uids, seqs, transp []string
		for _, name := range []string{"save-the-date", "invitation"} {
			fsys, err := templates.Folder(name)
			if err != nil {
				t.Fatal(err)
			}
			tp, err := Load(fsys, name, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := tp.Render(row, lang)
			if err != nil {
				t.Fatalf("%s %q: %v", name, lang, err)
			}
			_, ev := parseCalendar(t, m.Calendar)
			uids = append(uids, ev.Id())
			seqs = append(seqs, prop(ev, ics.ComponentPropertySequence))
			transp = append(transp, prop(ev, ics.ComponentPropertyTransp))
		}
		// The save-the-date leaves the days free; the invitation, its update, books them.
		if got, want := strings.Join(transp, ","), "TRANSPARENT,OPAQUE"; got != want {
			t.Errorf("language %q: TRANSP of save-the-date,invitation = %s, want %s", lang, got, want)
		}
		if uids[0] != uids[1] {
			t.Errorf("language %q: UIDs %q, want the save-the-date's and the invitation's the same", lang, uids)
		}
		if got, want := strings.Join(seqs, ","), "0,1"; got != want {
			t.Errorf("language %q: SEQUENCE of save-the-date,invitation = %s, want %s", lang, got, want)
		}
	}
}
