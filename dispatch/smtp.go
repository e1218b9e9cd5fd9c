package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPSubmitter sends notices over plain SMTP to the MTA (milter mode),
// which then delivers them as any other message. The MTA is expected on a
// trusted network, as for quarantine.Deliverer.
type SMTPSubmitter struct {
	Addr    string        // host:port of the MTA's submission listener
	Helo    string        // name given in EHLO; "" means "localhost"
	Timeout time.Duration // for connecting and for each reply; 0 means 1 minute
}

var _ Submitter = SMTPSubmitter{}

// Submit sends data from the envelope sender from ("" is the null sender,
// MAIL FROM:<>) to every address of to, in one transaction: a refused
// recipient aborts it, so that a retry by the caller cannot duplicate the
// notice for the others. ctx bounds the whole exchange.
func (s SMTPSubmitter) Submit(ctx context.Context, from string, to []string, data []byte) error {
	if len(to) == 0 {
		return errors.New("submit: no recipients")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		// Short: in milter mode the MTA waits for our reply meanwhile.
		timeout = time.Minute
	}
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("submit to %s: %w", s.Addr, err)
	}
	// Closing the connection is the only way to interrupt a blocked read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := smtp.NewClient(conn)
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if err := s.send(c, from, to, data); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("submit to %s: %w", s.Addr, err)
	}
	_ = c.Quit() // accepted: a failing QUIT changes nothing
	return nil
}

// send runs one SMTP transaction on c.
func (s SMTPSubmitter) send(c *smtp.Client, from string, to []string, data []byte) error {
	helo := s.Helo
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return err
	}
	var opts *smtp.MailOptions
	if !allASCII(append([]string{from}, to...)) {
		opts = &smtp.MailOptions{UTF8: true} // RFC 6531 addresses
	}
	if err := c.Mail(from, opts); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("recipient <%s>: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
	}
	return true
}
