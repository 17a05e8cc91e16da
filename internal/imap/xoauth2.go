package imap

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// xoauth2Client returns the SASL client of the XOAUTH2 mechanism that Google and Microsoft 365
// take for OAuth2 access tokens, over IMAP and SMTP alike
// (https://developers.google.com/gmail/imap/xoauth2-protocol). go-sasl no longer has one.
// The token is in its initial response only: never put a client's traffic in a log.
func xoauth2Client(user, accessToken string) sasl.Client {
	return &xoauth2{user: user, token: accessToken}
}

type xoauth2 struct {
	user, token string
	failed      bool
}

func (x *xoauth2) Start() (mech string, ir []byte, err error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's only challenge, a JSON error sent before it says NO, with the
// empty response the protocol asks for; the NO that follows is the error.
func (x *xoauth2) Next(challenge []byte) ([]byte, error) {
	if x.failed {
		return nil, errors.New("unexpected XOAUTH2 challenge")
	}
	x.failed = true
	return []byte{}, nil
}
