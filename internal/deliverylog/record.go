package deliverylog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
	"unicode/utf8"
)

// Record types.
const (
	TypeAttempt = "attempt"
	TypeOutcome = "outcome"
	// The types herald inbox writes: what it found in the sender's mailbox, and how far it
	// read each folder. The package documentation describes their fields.
	TypeBounce    = "bounce"
	TypeDelayed   = "delayed"
	TypeAutoReply = "auto_reply"
	TypeReply     = "reply"
	TypeUnmatched = "unmatched"
	TypeCursor    = "inbox_cursor"
	// TypeSentCopy records that herald send --copy-to-sent filed a copy of a delivered
	// message in an IMAP folder, or could not.
	TypeSentCopy = "sent_copy"
)

// inbound reports whether records of type t describe a message found in the mailbox.
func inbound(t string) bool {
	switch t {
	case TypeBounce, TypeDelayed, TypeAutoReply, TypeReply, TypeUnmatched:
		return true
	}
	return false
}

// Statuses of outcome records, and of a [State]. StatusPending only appears in a State: the
// recipient has no attempt yet.
const (
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
	StatusUnknown   = "unknown"
	StatusSkipped   = "skipped"
	StatusPending   = "pending"
	// StatusNotSent ends an attempt whose message never left herald after all: the run
	// stopped or was interrupted after recording the attempt but before handing the
	// message to the server. The recipient stands where it stood before that attempt.
	StatusNotSent = "not_sent"
)

// Failure classes of a failed outcome.
const (
	FailureTemporary = "temporary"
	FailurePermanent = "permanent"
)

// timeLayout fixes milliseconds, so that lines line up and sort as text.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Record is one line of the log. The package documentation describes each field.
type Record struct {
	Type      string    `json:"type"`
	Time      time.Time `json:"time"`
	Campaign  string    `json:"campaign"`
	Run       string    `json:"run,omitempty"`
	Key       string    `json:"key"`
	Row       int       `json:"row,omitempty"`
	To        []string  `json:"to,omitempty"`
	Cc        []string  `json:"cc,omitempty"`
	Bcc       []string  `json:"bcc,omitempty"`
	Withheld  []string  `json:"withheld,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Status    string    `json:"status,omitempty"`
	Failure   string    `json:"failure,omitempty"`
	Code      int       `json:"code,omitempty"`
	Enhanced  string    `json:"enhanced_code,omitempty"`
	Reply     string    `json:"reply,omitempty"`
	Error     string    `json:"error,omitempty"`
	Test      bool      `json:"test,omitempty"`

	// Fields of the records of herald inbox and --copy-to-sent; see the package
	// documentation.
	Account           string    `json:"account,omitempty"`
	Host              string    `json:"host,omitempty"`
	Folder            string    `json:"folder,omitempty"`
	UIDValidity       uint32    `json:"uidvalidity,omitempty"`
	UID               uint32    `json:"uid,omitempty"`
	LastUID           uint32    `json:"last_uid,omitempty"`
	Rescan            bool      `json:"rescan,omitempty"`
	MatchedID         string    `json:"matched_id,omitempty"`
	MatchedBy         string    `json:"matched_by,omitempty"`
	Trusted           bool      `json:"trusted,omitempty"`
	Nature            string    `json:"nature,omitempty"`
	Recipient         string    `json:"recipient,omitempty"`
	OriginalRecipient string    `json:"original_recipient,omitempty"`
	Action            string    `json:"action,omitempty"`
	Diagnostic        string    `json:"diagnostic,omitempty"`
	From              string    `json:"from,omitempty"`
	FromName          string    `json:"from_name,omitempty"`
	Date              time.Time `json:"date,omitzero"`
	Subject           string    `json:"subject,omitempty"`
	Reason            string    `json:"reason,omitempty"`
}

// MarshalJSON encodes r exactly as a line of the log, without the newline, so that exports
// built from records show the same text as the file.
func (r Record) MarshalJSON() ([]byte, error) {
	return r.appendJSON(nil), nil
}

// appendJSON is written by hand rather than with encoding/json for the fixed time format and
// field order, and because encoding/json would turn the "<>" of SMTP replies into \u003c…
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, r.Type)
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","campaign":`...)
	b = appendString(b, r.Campaign)
	b = appendField(b, "run", r.Run)
	b = append(b, `,"key":`...)
	b = appendString(b, r.Key)
	if r.Row != 0 {
		b = append(b, `,"row":`...)
		b = strconv.AppendInt(b, int64(r.Row), 10)
	}
	b = appendList(b, "to", r.To)
	b = appendList(b, "cc", r.Cc)
	b = appendList(b, "bcc", r.Bcc)
	b = appendList(b, "withheld", r.Withheld)
	b = appendField(b, "message_id", r.MessageID)
	b = appendField(b, "status", r.Status)
	b = appendField(b, "failure", r.Failure)
	if r.Code != 0 {
		b = append(b, `,"code":`...)
		b = strconv.AppendInt(b, int64(r.Code), 10)
	}
	b = appendField(b, "enhanced_code", r.Enhanced)
	b = appendField(b, "reply", r.Reply)
	b = appendField(b, "error", r.Error)
	if r.Test {
		b = append(b, `,"test":true`...)
	}
	b = appendField(b, "account", r.Account)
	b = appendField(b, "host", r.Host)
	b = appendField(b, "folder", r.Folder)
	b = appendUint(b, "uidvalidity", r.UIDValidity)
	b = appendUint(b, "uid", r.UID)
	if r.Type == TypeCursor {
		// 0 is a value here: a folder read while it was empty.
		b = append(b, `,"last_uid":`...)
		b = strconv.AppendUint(b, uint64(r.LastUID), 10)
	} else {
		b = appendUint(b, "last_uid", r.LastUID)
	}
	if r.Rescan {
		b = append(b, `,"rescan":true`...)
	}
	b = appendField(b, "matched_id", r.MatchedID)
	b = appendField(b, "matched_by", r.MatchedBy)
	if inbound(r.Type) && r.Type != TypeUnmatched {
		// Written either way: an untrusted message is as much a fact as a trusted one.
		b = append(b, `,"trusted":`...)
		b = strconv.AppendBool(b, r.Trusted)
	}
	b = appendField(b, "nature", r.Nature)
	b = appendField(b, "recipient", r.Recipient)
	b = appendField(b, "original_recipient", r.OriginalRecipient)
	b = appendField(b, "action", r.Action)
	b = appendField(b, "diagnostic", r.Diagnostic)
	b = appendField(b, "from", r.From)
	b = appendField(b, "from_name", r.FromName)
	if !r.Date.IsZero() {
		b = append(b, `,"date":"`...)
		b = r.Date.UTC().AppendFormat(b, timeLayout)
		b = append(b, '"')
	}
	b = appendField(b, "subject", r.Subject)
	b = appendField(b, "reason", r.Reason)
	return append(b, '}')
}

func appendUint(b []byte, name string, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, uint64(v), 10)
}

func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendList(b []byte, name string, values []string) []byte {
	if len(values) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json
// does; U+2028 and U+2029 are escaped because some editors break lines at them.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Read returns every record of the log at path, for reporting. It takes no lock, so it can
// read a log that a run is writing, and it ignores a last line that is cut short. A missing
// file is an error that matches [fs.ErrNotExist].
func Read(path string) ([]Record, error) {
	data, err := readLog(path)
	if err != nil {
		return nil, fmt.Errorf("read delivery log: %w", err)
	}
	records, _, err := parse(data, path)
	return records, err
}

// parse decodes the lines of a log. It returns the records and the length of the part of
// data they occupy. A last line without a newline is a write cut short by a crash unless it
// holds a whole record; such a line is left out of both. Blank lines are skipped.
func parse(data []byte, path string) ([]Record, int, error) {
	records := make([]Record, 0, bytes.Count(data, []byte{'\n'})+1)
	for start, line := 0, 1; start < len(data); line++ {
		end := bytes.IndexByte(data[start:], '\n')
		torn := end < 0
		if torn {
			end = len(data)
		} else {
			end += start
		}
		text := data[start:end]
		if len(bytes.TrimSpace(text)) == 0 && !torn {
			start = end + 1
			continue
		}
		var r Record
		err := json.Unmarshal(text, &r)
		if err == nil && r.Type == "" {
			err = fmt.Errorf("it has no %q field", "type")
		}
		if err != nil {
			if torn && cutShort(text) {
				return records, start, nil
			}
			if torn {
				return nil, 0, withHint(fmt.Errorf("delivery log %s, line %d: the end of the file is not a record, nor a record cut short by a crash (%d bytes%s)", path, line, len(text), lineEndNote(text)),
					"the file was changed outside herald (an editor may have saved it with other line ends); keep a copy of it, then restore it from that copy with one record a line, each ending in a line feed")
			}
			return nil, 0, withHint(fmt.Errorf("delivery log %s, line %d: not a valid record: %v", path, line, err),
				"the file was changed or damaged outside herald; keep a copy of it, then correct or delete that line")
		}
		records = append(records, r)
		start = end + 1
	}
	return records, len(data), nil
}

// maxRecord bounds a record's line: its texts are cut to a few KiB, and its address lists
// come from cells of at most 32,767 characters.
const maxRecord = 256 << 10

// cutShort reports whether a last line without a line feed can be a record that a crash
// cut short, which Open may drop: the start of one record as herald writes it, no longer
// than a record, holding no line end, perhaps followed by zeros. Anything else (a whole log saved with CR line ends,
// say) is not herald's to drop.
func cutShort(text []byte) bool {
	// A power cut can also leave the end of the file filled with zeros.
	text = bytes.TrimRight(text, "\x00")
	if len(text) == 0 {
		return true
	}
	start := []byte(`{"type":`)
	begins := bytes.HasPrefix(text, start) || bytes.HasPrefix(start, text)
	return begins && len(text) <= maxRecord && bytes.IndexByte(text, '\r') < 0
}

func lineEndNote(text []byte) string {
	if bytes.IndexByte(text, '\r') >= 0 {
		return ", with carriage returns but no line feed"
	}
	return ""
}

// hintError is an error the user can act on. Its HintList method tells how, a sentence a
// hint; package problem collects it along the Unwrap chain like its own.
type hintError struct {
	err   error
	hints []string
}

func (e *hintError) Error() string      { return e.err.Error() }
func (e *hintError) Unwrap() error      { return e.err }
func (e *hintError) HintList() []string { return e.hints }

func withHint(err error, hints ...string) error { return &hintError{err, hints} }

// MaxSize bounds a delivery log, so that reading one stays within herald's memory (300 MB):
// 32 MiB holds the records of some 65,000 recipients, more than ten times the largest list
// herald is for.
const MaxSize = 32 << 20

// readLog reads a log file, refusing a device, a named pipe or a file over MaxSize.
func readLog(path string) ([]byte, error) {
	// Looked at before it is opened: to open a named pipe is to wait for its writer.
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkLogFile(path, st.Mode(), st.Size()); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxSize+1))
}

// checkLogFile refuses what cannot be a delivery log: a file of another kind than mode
// (0 for a regular file), or of more than MaxSize bytes.
func checkLogFile(path string, mode os.FileMode, size int64) error {
	switch {
	case !mode.IsRegular():
		return withHint(&os.PathError{Op: "open", Path: path, Err: fmt.Errorf("not a regular file (%s)", mode.Type())},
			"give --log the path of a file, or leave it out to keep the log beside the workbook")
	case size > MaxSize:
		return withHint(fmt.Errorf("%s is %d MB, more than a delivery log may be (%d MB)", path, size>>20, MaxSize>>20),
			"start a new log for a new campaign (--campaign NAME); a log holds one campaign's records, or a few")
	}
	return nil
}
