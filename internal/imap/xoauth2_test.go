package imap

import "testing"

func TestXOAUTH2Client(t *testing.T) {
	c := xoauth2Client("protocol@ministry.example", "tok")
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=protocol@ministry.example\x01auth=Bearer tok\x01\x01" {
		t.Errorf("Start: %q %q %v", mech, ir, err)
	}
	// The error challenge gets an empty answer, once.
	if resp, err := c.Next([]byte(`{"status":"401"}`)); err != nil || resp == nil || len(resp) != 0 {
		t.Errorf("Next: %q %v", resp, err)
	}
	if _, err := c.Next([]byte("again")); err == nil {
		t.Error("a second challenge was answered")
	}
}
