package imap

import "errors"

// xoauth2 is the SASL mechanism of Google and Microsoft 365 for OAuth2 access tokens
// (https://developers.google.com/gmail/imap/xoauth2-protocol). go-sasl no longer has it.
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
