package campaign

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
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
