package template

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

	"github.com/mla-initiative/herald/internal/message"

	// Event times name their zone (Europe/Amsterdam); Windows has no zone database for Go
	// to read, so the program carries its own.
	_ "time/tzdata"
)

// eventTime is a parsed Event-Start or Event-End: a whole day, or an instant.
type eventTime struct {
	t      time.Time
	allDay bool
}

const eventFormats = "a date (2024-02-14) or a local time and a time zone (2024-02-14T09:30 Europe/Amsterdam)"

// parseEventTime reads "2024-02-14", "2024-02-14T09:30 Europe/Amsterdam",
// "2024-02-14 09:30:00 Europe/Amsterdam" or "2024-02-14T08:30 UTC".
func parseEventTime(s string) (eventTime, error) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return eventTime{t: d, allDay: true}, nil
	}
	fields := strings.Fields(s)
	var local, zone string
	switch len(fields) {
	case 2: // 2024-02-14T09:30 Europe/Amsterdam
		local, zone = fields[0], fields[1]
	case 3: // 2024-02-14 09:30 Europe/Amsterdam
		local, zone = fields[0]+"T"+fields[1], fields[2]
	default:
		if len(fields) == 1 && strings.Contains(s, "T") {
			return eventTime{}, fmt.Errorf("%q has no time zone; write it after the time, as in 2024-02-14T09:30 Europe/Amsterdam", s)
		}
		return eventTime{}, fmt.Errorf("%q is not %s", s, eventFormats)
	}
	layout := ""
	for _, l := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if _, err := time.Parse(l, local); err == nil {
			layout = l
		}
	}
	if layout == "" {
		return eventTime{}, fmt.Errorf("%q is not %s", s, eventFormats)
	}
	loc := time.UTC
	if !strings.EqualFold(zone, "UTC") && zone != "Z" {
		var err error
		if loc, err = time.LoadLocation(zone); err != nil || zone == "Local" {
			return eventTime{}, fmt.Errorf("%q: unknown time zone %q; use a name such as Europe/Amsterdam or UTC", s, zone)
		}
	}
	t, err := time.ParseInLocation(layout, local, loc)
	if err != nil {
		return eventTime{}, fmt.Errorf("%q is not %s", s, eventFormats)
	}
	return eventTime{t: t}, nil
}

// eventFields are the rendered Event headers of one message.
type eventFields struct {
	summary, start, end, location, description string
	sequence                                   int
	free                                       bool // shown as free time: TRANSP:TRANSPARENT
}

// lastMoment is when the event ends, the end of its last day for an all-day event, and that
// day or moment as people write it.
func (f eventFields) lastMoment() (time.Time, string, error) {
	s := f.end
	if strings.TrimSpace(s) == "" {
		s = f.start
	}
	e, err := parseEventTime(s)
	if err != nil {
		return time.Time{}, "", err
	}
	if e.allDay {
		return e.t.AddDate(0, 0, 1), e.t.Format("2 January 2006"), nil
	}
	return e.t, e.t.Format("2 January 2006 15:04 MST"), nil
}

// maxSequence is the largest SEQUENCE a calendar program is sure to read: RFC 5545 makes it
// an INTEGER, which is 32-bit signed.
const maxSequence = 1<<31 - 1

// parseSequence reads an Event-Sequence value: a whole number, 0 or more, digits only, so
// that "+1", "1.0" or "one" are refused rather than read as something the author did not
// write.
func parseSequence(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("Event-Sequence is empty")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("Event-Sequence %q is not a whole number (0, 1, 2, …)", s)
		}
		if n = n*10 + int(c-'0'); n > maxSequence {
			return 0, fmt.Errorf("Event-Sequence %q is too large (at most %d)", s, maxSequence)
		}
	}
	return n, nil
}

// buildCalendar writes the iCalendar object of the event. All-day events use DATE values with
// the exclusive end the standard requires (the day after the last day). Timed events are
// written in UTC: every calendar program, Outlook included, converts UTC to the reader's
// zone, whereas a TZID needs a VTIMEZONE block that has to be generated from zone rules and
// that Outlook is known to misread.
//
// The organizer is the message's sender: iTIP (RFC 5546 §3.2.1) requires an ORGANIZER in a
// PUBLISH, and strict readers (libical's restriction check) refuse the event without one.
func buildCalendar(f eventFields, uid string, stamp time.Time, organizer message.Address) ([]byte, error) {
	start, err := parseEventTime(f.start)
	if err != nil {
		return nil, fmt.Errorf("Event-Start: %w", err)
	}
	end := start
	if strings.TrimSpace(f.end) != "" {
		if end, err = parseEventTime(f.end); err != nil {
			return nil, fmt.Errorf("Event-End: %w", err)
		}
	}
	switch {
	case start.allDay != end.allDay:
		return nil, errors.New("Event-Start and Event-End must both be dates or both be times")
	case end.t.Before(start.t):
		return nil, fmt.Errorf("Event-End %s is before Event-Start %s", strings.TrimSpace(f.end), strings.TrimSpace(f.start))
	case strings.TrimSpace(f.summary) == "":
		return nil, errors.New("the Event header is empty; it is the title of the calendar entry")
	}

	cal := ics.NewCalendarFor("herald")
	cal.SetProductId("-//MLA Initiative//herald//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	ev := cal.AddEvent(uid)
	ev.SetDtStampTime(stamp)
	var params []ics.PropertyParameter
	if cn := calendarParam(organizer.Name); cn != "" {
		params = append(params, ics.WithCN(cn))
	}
	ev.SetOrganizer("mailto:"+organizer.Addr, params...)
	// A calendar program replaces an entry it already has (same UID) only when the new one
	// has a higher SEQUENCE (RFC 5545 §3.8.7.4).
	ev.SetSequence(f.sequence)
	if start.allDay {
		ev.SetAllDayStartAt(start.t)
		ev.SetAllDayEndAt(end.t.AddDate(0, 0, 1))
	} else {
		ev.SetStartAt(start.t)
		ev.SetEndAt(end.t)
	}
	ev.SetSummary(strings.TrimSpace(f.summary))
	if s := strings.TrimSpace(f.location); s != "" {
		ev.SetLocation(s)
	}
	if s := strings.TrimSpace(f.description); s != "" {
		ev.SetDescription(s)
	}
	ev.SetStatus(ics.ObjectStatusConfirmed)
	if f.free {
		// A save-the-date keeps the days free in the recipient's calendar until the
		// invitation, a later SEQUENCE, makes them busy. Outlook reads its own property
		// before TRANSP.
		ev.SetTimeTransparency(ics.TransparencyTransparent)
		ev.SetProperty("X-MICROSOFT-CDO-BUSYSTATUS", "FREE")
	} else {
		ev.SetTimeTransparency(ics.TransparencyOpaque)
	}
	// RFC 5545 lines end in CRLF; the library's default is LF on every system.
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil
}

// eventIDUID is the calendar entry's identity when the template names it with Event-ID: every
// template and every language with the same Event-ID updates the same entry, whatever their
// titles say.
func eventIDUID(id string) string {
	sum := sha256.Sum256([]byte("herald event-id\x00" + strings.TrimSpace(id)))
	return hex.EncodeToString(sum[:16]) + "@herald"
}

// calendarParam makes text fit a parameter value such as the organizer's name. The library
// writes parameter values unquoted, with a backslash before , ; : ' " and \, which RFC 5545
// does not provide for (§3.1: a value with those characters is quoted, and cannot hold a
// double quote or a control character) and strict readers refuse; a name has no need of
// them, so they become spaces, and quotes typographic apostrophes.
func calendarParam(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == '\'':
			return '’'
		case r == ',' || r == ';' || r == ':' || r == '\\':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// eventUID is the calendar entry's identity without an Event-ID: a digest of the event's
// title and start as the default message file writes them. Sending again, in any language, or sending the
// invitation after the save-the-date with the same Event and Event-Start lines, updates
// the entry already in the recipient's calendar instead of adding a second one.
func eventUID(title, start string) string {
	sum := sha256.Sum256([]byte("herald event\x00" + strings.TrimSpace(title) + "\x00" + strings.TrimSpace(start)))
	return hex.EncodeToString(sum[:16]) + "@herald"
}
