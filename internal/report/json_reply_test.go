package report_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mla-initiative/herald/internal/report"
	"github.com/mla-initiative/herald/internal/run"
)

// the JSON documents reply as "the server's reply as it gave it, or """ and error as
// "what went wrong when there was no reply to quote". For a recipient whose connection
// dropped after the message (unknown, code 0) the server gave no reply, yet reply holds
// the last words of the error ("EOF"), which scripts will take for the server's text.
func TestJSONReplyWithoutServerReply(t *testing.T) {
	in, p := sendEveryOutcome(t)
	r := load(t, p, run.LogPath(in))
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Row    int    `json:"row"`
		Status string `json:"status"`
		Code   int    `json:"code"`
		Reply  string `json:"reply"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	hungUp := 0
	for _, o := range list {
		if o.Status == report.Unknown && o.Code == 0 && o.Error != "" {
			hungUp++
		}
		if o.Code == 0 && o.Reply != "" {
			t.Errorf("row %d (%s): got code 0 with reply %q (error %q); want reply \"\" when the server gave none", o.Row, o.Status, o.Reply, o.Error)
		}
	}
	// Without a recipient the server hung up on, the loop above checks nothing.
	if hungUp != 1 {
		t.Errorf("got %d unknown recipients with code 0 and an error in %s; want the one the server hung up on", hungUp, buf.String())
	}
}
