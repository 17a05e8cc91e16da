package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mla-initiative/herald/internal/imap"
	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/screen"
	"github.com/mla-initiative/herald/internal/send"
)

// copier files copies of delivered messages for send --copy-to-sent over one IMAP
// connection, made before anything is sent so that a wrong setting stops the run first.
type copier struct {
	ctx    context.Context
	cfg    imap.Config
	folder string
	c      *imap.Client
}

func dialCopier(ctx context.Context, s Streams, o *sendOptions) (*copier, error) {
	cfg, xoauth2, err := o.imap.config(o.smtpUser, o.smtpAuth)
	if err != nil {
		return nil, err
	}
	if err := imapCredentials(ctx, s, &cfg, xoauth2, &o.oauth, o.fromConfig); err != nil {
		return nil, err
	}
	c, err := imap.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	folders, err := c.Folders()
	if err != nil {
		c.Close()
		return nil, err
	}
	var names, sent []string
	for _, f := range folders {
		names = append(names, f.Name)
		if slices.Contains(f.Attributes, `\Sent`) {
			sent = append(sent, f.Name)
		}
	}
	if !slices.Contains(names, o.copyToSent) {
		c.Close()
		hint := fmt.Sprintf("the folders of %s are: %s", cfg.User, strings.Join(names, ", "))
		if len(sent) > 0 {
			hint = fmt.Sprintf("the server marks %s as the sent folder; %s", strings.Join(sent, ", "), hint)
		}
		return nil, problem.WithHint(fmt.Errorf("--copy-to-sent %q: %s has no such folder on %s", o.copyToSent, cfg.User, cfg.Host), hint)
	}
	return &copier{ctx: ctx, cfg: cfg, folder: o.copyToSent, c: c}, nil
}

// Copy appends msg to the folder. A connection that went away while the messages were
// being sent (an idle timeout) is made again, once.
func (cp *copier) Copy(msg []byte) error {
	if cp.c != nil {
		err := cp.c.Append(cp.folder, msg)
		if err == nil {
			return nil
		}
		cp.c.Close()
		cp.c = nil
	}
	// The message is delivered whatever happens here: a copy is worth one more try, on a
	// new connection.
	c, err := imap.Dial(context.WithoutCancel(cp.ctx), cp.cfg)
	if err != nil {
		return err
	}
	cp.c = c
	return c.Append(cp.folder, msg)
}

func (cp *copier) Where() (folder, host, account string) { return cp.folder, cp.cfg.Host, cp.cfg.User }

func (cp *copier) close() {
	if cp.c != nil {
		cp.c.Close()
	}
}

// writeCopies says how many copies --copy-to-sent filed, and which it could not.
func writeCopies(w io.Writer, res *send.Result) {
	if res.Copied == 0 && len(res.CopyFailed) == 0 {
		return
	}
	fmt.Fprintf(w, "Copies filed in %s: %d.", res.CopyFolder, res.Copied)
	if n := len(res.CopyFailed); n > 0 {
		fmt.Fprintf(w, " Not filed: %d (the messages were delivered and are not sent again):", n)
	}
	fmt.Fprintln(w)
	for _, f := range res.CopyFailed {
		fmt.Fprintf(w, "  not filed: row %d %s Message-ID <%s>: %s\n", f.Row, f.To, f.MessageID, screen.CleanLine(f.Err.Error()))
	}
}
