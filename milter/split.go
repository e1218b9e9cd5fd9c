package milter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	gomilter "github.com/emersion/go-milter"
	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/service"
)

// split carries out the Decisions of every group but the first, whose
// variant stays in this session: their recipients are removed from the
// session (SMFIR_DELRCPT) and, when delivered, their variant is re-injected.
// Re-injection comes first, so that a failure leaves the session intact to
// tempfail: the client retries, and at worst a group gets a duplicate,
// never a loss.
func (s *Server) split(ctx context.Context, env *filter.Envelope, res *filter.Result, m *gomilter.Modifier) error {
	if s.opts.Split == service.SplitDefer {
		// RcptTo keeps one group per transaction; several here mean no
		// GroupOf, or a reload that moved recipients between groups.
		return fmt.Errorf("split mode defer: recipients span %d groups", len(res.Decisions))
	}
	for _, d := range res.Decisions {
		// A refusal cannot be given to some recipients only at end of
		// message, and accepting them would turn it into a bounce.
		if d.Disposition == decision.Reject || d.Disposition == decision.Tempfail {
			return fmt.Errorf("group %s refuses (%s) while recipients span %d groups", d.Group, d.Disposition, len(res.Decisions))
		}
	}
	if s.opts.Reinject == nil {
		return errors.New("split needs re-injection, but none is configured")
	}
	for _, d := range res.Decisions[1:] {
		if d.Disposition != decision.Deliver {
			continue
		}
		out, err := d.Apply(res.Message)
		if err != nil {
			return fmt.Errorf("group %s: %w", d.Group, err)
		}
		if err := s.opts.Reinject.Reinject(ctx, env.From, d.Recipients, out); err != nil {
			return fmt.Errorf("re-injecting group %s: %w", d.Group, err)
		}
	}
	for _, d := range res.Decisions[1:] {
		for _, r := range d.Recipients {
			if err := m.DeleteRecipient(r); err != nil {
				return fmt.Errorf("removing recipient: %w", err)
			}
		}
	}
	return nil
}

// SMTPReinjector re-injects over SMTP to an MTA service that does not run
// the milter again (Postfix: a second smtpd with -o smtpd_milters=).
type SMTPReinjector struct {
	Address string // HOST:PORT
	Helo    string // "" is "localhost"
	Timeout time.Duration
}

// Reinject sends msg once; any failure is returned so that the session
// tempfails.
func (r SMTPReinjector) Reinject(ctx context.Context, from string, rcpts []string, msg []byte) error {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", r.Address)
	if err != nil {
		return err
	}
	nc.SetDeadline(time.Now().Add(timeout))
	c := smtp.NewClient(nc)
	defer c.Close()
	helo := r.Helo
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	if err := c.SendMail(from, rcpts, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}
