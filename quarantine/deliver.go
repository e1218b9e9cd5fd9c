package quarantine

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// ErrOutcomeUnknown means the message was sent in full but no answer came
// for it: the next hop may have accepted it. Release then leaves the
// message claimed instead of offering it again.
var ErrOutcomeUnknown = errors.New("delivery outcome unknown")

// Deliverer sends released messages over SMTP to a next hop, usually the
// local MTA, which then delivers them as usual. It speaks plain SMTP: the
// next hop is expected on a trusted network.
type Deliverer struct {
	Addr    string        // host:port of the next hop
	Helo    string        // name given in EHLO; "" means "localhost"
	Timeout time.Duration // for connecting and for each reply; 0 means 5 minutes
}

// Deliver sends raw, unchanged, from the original envelope sender to the
// original recipients. Either every recipient is accepted and the message
// sent, or nothing is sent (a refused recipient aborts the transaction):
// a partly delivered message could not be released again without
// duplicates. Errors from the next hop are *smtp.SMTPError values, wrapped.
func (d Deliverer) Deliver(m Meta, raw []byte) error {
	if len(m.Recipients) == 0 {
		return fmt.Errorf("deliver %s: no recipients", m.ID)
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	conn, err := net.DialTimeout("tcp", d.Addr, timeout)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", m.ID, err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if err := d.send(c, m, raw); err != nil {
		return fmt.Errorf("deliver %s to %s: %w", m.ID, d.Addr, err)
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// send runs one SMTP transaction on c.
func (d Deliverer) send(c *smtp.Client, m Meta, raw []byte) error {
	helo := d.Helo
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	var opts *smtp.MailOptions
	if !isASCII(m.Sender) || !allASCII(m.Recipients) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(m.Sender, opts); err != nil {
		return err
	}
	for _, rcpt := range m.Recipients {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("recipient <%s>: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	// Until the final dot the next hop keeps nothing, so a failed write is
	// a plain failure.
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		var smtpErr *smtp.SMTPError
		if errors.As(err, &smtpErr) {
			return err // refused: certainly not delivered
		}
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
