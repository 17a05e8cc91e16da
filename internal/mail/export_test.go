package mail

import (
	"bytes"

	"github.com/mla-initiative/herald/internal/message"
)

// WriteGoMail writes m with go-mail's own writer, the reference AppendEML is compared with.
func WriteGoMail(m *message.Message) ([]byte, error) {
	b, err := build(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = b.render(&buf)
	return buf.Bytes(), err
}

// SanitizeFilename is the file name a part is given.
var SanitizeFilename = sanitizeFilename

const (
	MaxReplyRead = maxReplyRead
	MaxReplyKept = maxReplyKept
)
