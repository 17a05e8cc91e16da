package template

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mla-initiative/herald/templates"
)

// icalCheck is a C program that reads an .ics file with libical, the parser of Evolution and
// many servers, and applies its iTIP restrictions (icalrestriction_check: the properties RFC
// 5546 requires or forbids for the calendar's METHOD). It prints every X-LIC-ERROR libical
// records and exits 1 when there is one.
const icalCheck = `#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>

static int report(icalcomponent *c) {
	int n = 0;
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_XLICERROR_PROPERTY)) {
		printf("%s: %s\n", icalcomponent_kind_to_string(icalcomponent_isa(c)), icalproperty_get_xlicerror(p));
		n++;
	}
	for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
	     k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		n += report(k);
	return n;
}

int main(int argc, char **argv) {
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	icalcomponent *c = icalparser_parse_string(buf);
	if (!c) { printf("libical could not parse the file\n"); return 1; }
	int valid = icalrestriction_check(c);
	int errors = report(c);
	if (!valid && errors == 0) printf("icalrestriction_check failed\n");
	return valid && errors == 0 ? 0 : 1;
}
`

var (
	icalOnce    sync.Once
	icalChecker string
	icalSkip    string
)

// buildICalChecker compiles icalCheck once. Without gcc or libical's headers (Debian's
// libical-dev) the test is skipped, unless HERALD_REQUIRE_LIBICAL is set, as CI does.
func buildICalChecker(t *testing.T) string {
	t.Helper()
	icalOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			icalSkip = "gcc not found"
			return
		}
		dir, err := os.MkdirTemp("", "herald-ical-")
		if err != nil {
			icalSkip = err.Error()
			return
		}
		src := filepath.Join(dir, "check.c")
		if err := os.WriteFile(src, []byte(icalCheck), 0o600); err != nil {
			icalSkip = err.Error()
			return
		}
		bin := filepath.Join(dir, "icalcheck")
		out, err := exec.Command("gcc", "-o", bin, src, "-lical").CombinedOutput()
		if err != nil {
			icalSkip = "libical not available (apt-get install libical-dev): " + strings.TrimSpace(string(out))
			return
		}
		icalChecker = bin
	})
	if icalChecker == "" {
		if os.Getenv("HERALD_REQUIRE_LIBICAL") != "" {
			t.Fatalf("HERALD_REQUIRE_LIBICAL is set, but %s", icalSkip)
		}
		t.Skip(icalSkip)
	}
	return icalChecker
}

// runITIP runs libical's checks on a calendar file and returns what it says, and whether it
// accepts the file.
func runITIP(t *testing.T, cal []byte) (string, bool) {
	t.Helper()
	bin := buildICalChecker(t)
	path := filepath.Join(t.TempDir(), "invite.ics")
	if err := os.WriteFile(path, cal, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// checkITIP fails the test with what libical says about a calendar it refuses.
func checkITIP(t *testing.T, what string, cal []byte) {
	t.Helper()
	if out, ok := runITIP(t, cal); !ok {
		t.Errorf("%s: libical refuses the calendar:\n%s\n%s", what, out, cal)
	}
}

// TestCalendarITIP holds every calendar herald writes to libical's iTIP rules: the built-in
// templates in each language, with their facts set and still to be set, an event with
// times, and the organizer from a From with a placeholder.
func TestCalendarITIP(t *testing.T) {
	// The checker is strict: a PUBLISH without an organizer, as herald wrote them before, is
	// refused.
	noOrganizer := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//MLA Initiative//herald//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n" +
		"UID:a@herald\r\nDTSTAMP:20231101T093000Z\r\nDTSTART;VALUE=DATE:20240214\r\nSUMMARY:E\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if out, ok := runITIP(t, []byte(noOrganizer)); ok || !strings.Contains(out, "ORGANIZER") {
		t.Fatalf("libical accepts a PUBLISH without ORGANIZER (%q): the check proves nothing", out)
	}

	set := testOptions()
	set.From = "Protocol <protocol@ministry.example>"
	set.Facts = map[string]string{
		"information-link": "https://www.gov.si/en/", "letterhead": "KINGDOM OF BELGIUM", "signatory": "The Minister",
		"contact": "desk@ministry.example", "reply-deadline": "19 January 2024", "venue": "World Forum",
		"programme": "attached", "registration": "by reply", "full-powers": "at the Conference",
	}
	row := map[string]string{
		"Country": "Chile", "Authority": "Ministry of Justice", "Salutation": "Señor Ministro", "Title": "Excmo. Sr. D.",
		"FullName": "Rodrigo Aránguiz Mella", "Position": "Ministro", "Email": "rodrigo@justicia.example", "Cc": "", "Language": "",
	}
	for _, name := range templates.Names() {
		fsys, err := templates.Folder(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []Options{testOptions(), set} {
			tp, err := Load(fsys, name, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, lang := range tp.Languages() {
				m, _, err := tp.Render(row, lang)
				if err != nil {
					t.Fatalf("%s %q: %v", name, lang, err)
				}
				if m.Calendar != nil {
					checkITIP(t, name+" "+lang, m.Calendar)
				}
			}
		}
	}

	tp := loadFiles(t, map[string]string{"message.md": "Subject: S\nFrom: {{.Ministry}} <desk@ministry.example>\n" +
		"Event: Signing ceremony; \"Convention\", part 1\nEvent-ID: ceremony\nEvent-Start: 2024-02-14T09:30 Europe/Amsterdam\nEvent-End: 2024-02-14T12:00 Europe/Amsterdam\n" +
		"Event-Location: World Forum, Churchillplein 10\nEvent-Description: Line one.\n  Line two, with a comma; and a semicolon.\nEvent-Show-As: free\n\nText.\n"}, testOptions())
	m, _, err := tp.Render(testRow(), "")
	if err != nil {
		t.Fatal(err)
	}
	checkITIP(t, "timed event", m.Calendar)
	for _, want := range []string{"ORGANIZER;CN=Ministry of Justice:mailto:desk@ministry.example\r\n", "TRANSP:TRANSPARENT\r\n", "X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\n"} {
		if !strings.Contains(string(m.Calendar), want) {
			t.Errorf("calendar lacks %q:\n%s", want, m.Calendar)
		}
	}
}
