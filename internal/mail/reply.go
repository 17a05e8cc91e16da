package mail

import (
	"errors"
	"net"
	"strconv"
	"unicode/utf8"
)

// Server replies are bounded twice. What is read from the connection for one reply stops at
// maxReplyRead: a server that answers with megabytes fails the command instead of filling
// the memory (go-mail's textproto reader would keep it all). What Outcome.Reply and
// DialError keep of a reply that was read whole is its first maxReplyKept bytes.
const (
	maxReplyRead = 1 << 20
	maxReplyKept = 4 << 10
)

// errReplyTooLong ends a reply longer than maxReplyRead. Nothing after it can be read from
// the connection: the command's outcome is as for a lost connection.
var errReplyTooLong = errors.New("the server's reply is longer than " + groupDigits(maxReplyRead) + " bytes; it was not read")

// limitConn fails a read once more than maxReplyRead bytes have come since the client last
// wrote: in SMTP without pipelining the client writes a command and then reads one reply.
// It lies under TLS, so it counts TLS records, a little more than the reply.
type limitConn struct {
	net.Conn
	read int // since the last write
}

func (c *limitConn) Read(p []byte) (int, error) {
	if c.read >= maxReplyRead {
		return 0, errReplyTooLong
	}
	if len(p) > maxReplyRead-c.read {
		p = p[:maxReplyRead-c.read]
	}
	n, err := c.Conn.Read(p)
	c.read += n
	return n, err
}

func (c *limitConn) Write(p []byte) (int, error) {
	c.read = 0
	return c.Conn.Write(p)
}

// cutReply keeps the first maxReplyKept bytes of a reply's text, and says how long it was.
func cutReply(text string) string {
	if len(text) <= maxReplyKept {
		return text
	}
	i := maxReplyKept
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return text[:i] + " … [reply cut: " + groupDigits(len(text)) + " bytes]"
}

// groupDigits writes n with a comma every three digits: 209,715,200.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
