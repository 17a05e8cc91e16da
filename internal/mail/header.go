package mail

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/mla-initiative/herald/internal/message"
)

// Header fields, written so that every reader decodes the same text: mail clients, Go's
// net/mail and mime, Python's email, mblaze, reformime.
//
//   - Plain text stays plain: a subject or display name of printable ASCII words separated
//     by single spaces, none too long for a line, is written as it is (a display name in
//     quotes, as net/mail writes it).
//   - Anything else is written in RFC 2047 encoded words. Each is at most 75 characters,
//     the first one starts on the header's own line ("Subject: =?UTF-8?q?…"), and words are
//     cut only after a space, which is encoded inside the word before the cut: RFC 2047
//     readers drop the white space between two encoded words, so the text comes back
//     whole, and no reader sees a word cut in two ("étrang ères"). Only a single word
//     longer than one encoded word (a long name in Chinese, say) is cut between two
//     characters. Q or B encoding, whichever is shorter.
//   - In a display name only the runs of words that need it are encoded; the words between
//     them stay plain, separated by real spaces. Python's email (3.11 to 3.13) keeps the
//     white space between two encoded words in an address, against RFC 2047 §6.2, so a
//     name cut into several encoded words shows an extra space there; writing the plain
//     words plain keeps such cuts rare.
//   - A file name that is not short plain ASCII is an RFC 2231 parameter
//     (filename*=UTF-8''Carta%20de%20invitaci%C3%B3n.pdf), in numbered sections when it
//     does not fit on one line, with no plain fallback: Python reads a plain filename=
//     before filename*, and would show the fallback instead of the name.
//
// Header lines are folded at spaces, never right after the colon (Python's email would
// then read a subject with a leading space).

// lineMax is the longest header line written where there is a choice: RFC 2047 §2 limits a
// line with encoded words to 76 characters.
const lineMax = 76

// wordMax is the longest encoded word (RFC 2047 §2).
const wordMax = 75

// appendHeader writes a header line, folded at spaces as go-mail's msgWriter.writeHeader
// folds it (before a word that would pass about 72 characters), except that it never
// folds before the first word. Every space in value must be one where a line may fold.
func appendHeader(dst []byte, key, value string) []byte {
	return appendFolded(dst, key, value, false)
}

// appendAddressList writes a header of addresses, where a fold may come right after the
// colon: an address too long for the header's first line then starts the next one, so that
// only one longer than a whole line passes 78 characters (RFC 5322 §2.1.1 allows up to 998
// for what cannot be folded). Every reader skips that white space in an address list;
// Message-ID is not folded so, since Python's email then keeps the space in the ID.
func appendAddressList(dst []byte, key, value string) []byte {
	return appendFolded(dst, key, value, true)
}

func appendFolded(dst []byte, key, value string, foldFirst bool) []byte {
	const maxLen = 76
	start := len(dst)
	dst = append(dst, key...)
	dst = append(dst, ": "...)
	charLength := maxLen - 2 - len(key) - 2
	for rest, more, first := value, true, true; more; first = false {
		var word string
		word, rest, more = strings.Cut(rest, " ")
		if !first && charLength-len(word) <= 1 || first && foldFirst && len(key)+2+len(word) > 78 {
			dst = append(dst, "\r\n "...)
			charLength = maxLen - 3
		}
		dst = append(dst, word...)
		if more {
			dst = append(dst, ' ')
			charLength--
		}
		charLength -= len(word)
	}
	// Drop the space before each fold, in place.
	out := start
	for i := start; i < len(dst); i++ {
		if dst[i] == ' ' && i+2 < len(dst) && dst[i+1] == '\r' && dst[i+2] == '\n' {
			continue
		}
		dst[out] = dst[i]
		out++
	}
	dst = dst[:out]
	return append(dst, "\r\n"...)
}

// appendSubject writes the Subject header.
func appendSubject(dst []byte, subject string) []byte {
	const key = "Subject"
	if plainWords(subject, len(key)+2, 0) {
		return appendHeader(dst, key, subject)
	}
	value := appendEncodedWords(make([]byte, 0, len(subject)*3+32), subject, lineMax-len(key)-2, false)
	return appendHeader(dst, key, string(value))
}

// appendAddressHeader writes a header listing addresses: `"Name" <addr>`, encoded words
// and <addr>, or <addr> alone, separated by ", ".
func appendAddressHeader(dst []byte, key string, addrs []message.Address) []byte {
	value := make([]byte, 0, 64*len(addrs))
	for i, a := range addrs {
		if i > 0 {
			value = append(value, ", "...)
		}
		room := wordMax
		if i == 0 {
			room = lineMax - len(key) - 2
		}
		value = appendAddress(value, a, room)
	}
	return appendAddressList(dst, key, string(value))
}

// appendAddress writes one mailbox; room is the longest first encoded word.
func appendAddress(dst []byte, a message.Address, room int) []byte {
	switch {
	case a.Name == "":
	case plainWords(a.Name, len("Reply-To: "), 2):
		// A quoted string, as net/mail writes it: "Dupont, Jean".
		dst = append(dst, '"')
		for i := 0; i < len(a.Name); i++ {
			if c := a.Name[i]; c == '"' || c == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, a.Name[i])
		}
		dst = append(dst, `" `...)
	default:
		dst = appendPhrase(dst, a.Name, room)
		dst = append(dst, ' ')
	}
	dst = append(dst, '<')
	dst = append(dst, a.Addr...)
	return append(dst, '>')
}

// appendPhrase writes a display name that needs encoding: the words that are plain atoms as
// they are, each run of other words as encoded words.
func appendPhrase(dst []byte, name string, room int) []byte {
	if name[0] == ' ' || name[len(name)-1] == ' ' || strings.Contains(name, "  ") {
		// Readers fold runs of white space between words; only an encoded word keeps them.
		return appendEncodedWords(dst, name, room, true)
	}
	words := strings.Split(name, " ")
	for i := 0; i < len(words); {
		if i > 0 {
			dst = append(dst, ' ')
			room = wordMax
		}
		if isAtom(words[i]) {
			dst = append(dst, words[i]...)
			i++
			continue
		}
		j := i + 1
		for j < len(words) && !isAtom(words[j]) {
			j++
		}
		dst = appendEncodedWords(dst, strings.Join(words[i:j], " "), room, true)
		i = j
	}
	return dst
}

// plainWords reports whether s can be written as it is: printable ASCII words separated by
// single spaces, none that a reader would take for an encoded word ("=?"), and none so
// long that its line would pass 78 characters. prefix is what precedes the first word on
// its line; extra is what each word may gain (quotes).
func plainWords(s string, prefix, extra int) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "=?") {
		return false
	}
	word := prefix
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if s[i-1] == ' ' {
				return false
			}
			word = 1
		case c < ' ' || c > '~':
			return false
		case c == '"' || c == '\\':
			word += 2 // escaped in a quoted string
		default:
			word++
		}
		if word+extra > 78 {
			return false
		}
	}
	return true
}

// isAtom reports whether a word of a display name can stay plain among encoded words: RFC
// 5322 atext, not looking like an encoded word, short enough for a line.
func isAtom(w string) bool {
	if w == "" || len(w) > wordMax || strings.Contains(w, "=?") {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// appendEncodedWords writes s as RFC 2047 encoded words in UTF-8, separated by single
// spaces. The first is at most first characters long, the others at most wordMax; each is
// cut after a space when one fits, else between two characters. phrase restricts the
// characters that Q encoding leaves plain to those allowed in a display name (RFC 2047
// §5 (3)).
func appendEncodedWords(dst []byte, s string, first int, phrase bool) []byte {
	literal := &textLiteral
	if phrase {
		literal = &phraseLiteral
	}
	b := base64.StdEncoding.EncodedLen(len(s)) < qLen(s, literal)
	room := first
	for s != "" {
		n := fitWord(s, room-len(wordOpen)-len(wordClose), b, literal)
		if b {
			dst = append(dst, "=?UTF-8?b?"...)
			dst = base64.StdEncoding.AppendEncode(dst, []byte(s[:n]))
		} else {
			dst = append(dst, "=?UTF-8?q?"...)
			dst = appendQ(dst, s[:n], literal)
		}
		dst = append(dst, wordClose...)
		s = s[n:]
		if s != "" {
			dst = append(dst, ' ')
		}
		room = wordMax
	}
	return dst
}

const (
	wordOpen  = "=?UTF-8?q?" // or ?b?: the same length
	wordClose = "?="
)

// fitWord returns how many bytes of s go into the next encoded word, whose encoded text
// may be capacity characters long: all of s if it fits, else up to the last space that
// fits, else as many whole characters as fit (at least one).
func fitWord(s string, capacity int, b bool, literal *[256]bool) int {
	used, lastSpace, i := 0, 0, 0
	for i < len(s) {
		_, size := utf8.DecodeRuneInString(s[i:])
		next := used
		if b {
			next = base64.StdEncoding.EncodedLen(i + size)
		} else {
			for k := i; k < i+size; k++ {
				next += qCost(s[k], literal)
			}
		}
		if next > capacity {
			break
		}
		used = next
		i += size
		if s[i-1] == ' ' {
			lastSpace = i
		}
	}
	switch {
	case i == len(s):
		return i
	case lastSpace > 0:
		return lastSpace
	case i == 0:
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	return i
}

// textLiteral holds the bytes Q encoding leaves as they are in unstructured text such as a
// subject (as Go's mime.QEncoding does), phraseLiteral those it may leave in a display
// name. A space is written "_".
var textLiteral, phraseLiteral = func() (text, phrase [256]bool) {
	for c := '!'; c <= '~'; c++ {
		text[c] = c != '=' && c != '?' && c != '_'
		phrase[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("!*+-/", c)
	}
	return text, phrase
}()

func qCost(c byte, literal *[256]bool) int {
	if c == ' ' || literal[c] {
		return 1
	}
	return 3
}

func qLen(s string, literal *[256]bool) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += qCost(s[i], literal)
	}
	return n
}

func appendQ(dst []byte, s string, literal *[256]bool) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			dst = append(dst, '_')
		case literal[c]:
			dst = append(dst, c)
		default:
			dst = append(dst, '=', upperhex[c>>4], upperhex[c&0x0f])
		}
	}
	return dst
}

// withFileName returns a part header's value with the file name parameter added:
// `; filename="name.pdf"` for a short plain ASCII name, else its RFC 2231 form, folded
// onto lines of its own as needed. lineLen is the length of the header line so far
// ("Content-Type: " and value).
func withFileName(value string, lineLen int, param, name string) string {
	b := make([]byte, 0, len(value)+len(name)*3+32)
	b = append(b, value...)
	lineLen += len(value)
	if plainParam(name) {
		n := len(param) + 2 + len(name) + 1 // param="name"
		if lineLen+2+n <= 78 {
			b = append(b, "; "...)
		} else {
			b = append(b, ";\r\n "...)
		}
		b = append(b, param...)
		b = append(b, `="`...)
		b = append(b, name...)
		return string(append(b, '"'))
	}
	// param*=UTF-8''%-encoded, on the line if it fits, else on a line of its own, else in
	// sections param*0*=UTF-8''…; param*1*=…, each on its own line.
	const charset = "UTF-8''"
	enc := pctLen(name)
	if n := len(param) + 2 + len(charset) + enc; lineLen+2+n <= lineMax || 1+n <= lineMax {
		if lineLen+2+n <= lineMax {
			b = append(b, "; "...)
		} else {
			b = append(b, ";\r\n "...)
		}
		b = append(b, param...)
		b = append(b, "*="+charset...)
		return string(appendPct(b, name))
	}
	for section := 0; name != ""; section++ {
		b = append(b, ";\r\n "...)
		start := len(b) - 1
		b = append(b, param...)
		b = append(b, '*')
		b = appendInt(b, section)
		b = append(b, "*="...)
		if section == 0 {
			b = append(b, charset...)
		}
		// Whole characters, so that no reader has to join a character across sections;
		// always at least one.
		for first := true; name != ""; first = false {
			_, size := utf8.DecodeRuneInString(name)
			if !first && len(b)-start+pctLen(name[:size])+1 > lineMax { // +1: the ';'
				break
			}
			b = appendPct(b, name[:size])
			name = name[size:]
		}
	}
	return string(b)
}

// plainParam reports whether a (sanitized) file name can be a quoted parameter value as it
// is: printable ASCII, not taken for an encoded word, short enough for a line of its own.
func plainParam(name string) bool {
	if len(name) > 60 || strings.Contains(name, "=?") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// attrChar holds the bytes an RFC 2231 value leaves as they are: RFC 2045 token characters
// other than *, ' and %.
var attrChar = func() (a [256]bool) {
	for c := '!'; c <= '~'; c++ {
		a[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=*'%`, c)
	}
	return a
}()

func pctLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if attrChar[s[i]] {
			n++
		} else {
			n += 3
		}
	}
	return n
}

func appendPct(dst []byte, s string) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		if c := s[i]; attrChar[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&0x0f])
		}
	}
	return dst
}

func appendInt(dst []byte, n int) []byte {
	if n >= 10 {
		dst = appendInt(dst, n/10)
	}
	return append(dst, byte('0'+n%10))
}
