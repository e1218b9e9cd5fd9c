package relay

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/queue"
)

// queueSubmitter sends the notices of package dispatch through the
// relay's own queue (relay mode of dispatch.Submitter).
type queueSubmitter struct{ s *Server }

var _ dispatch.Submitter = queueSubmitter{}

// Submitter returns the dispatch.Submitter that queues notices here.
func (s *Server) Submitter() dispatch.Submitter { return queueSubmitter{s} }

// Submit queues data from the null sender; a notice is never bounced
// (NOTIFY=NEVER, RFC 3461 §4.1) so that it cannot loop.
func (q queueSubmitter) Submit(ctx context.Context, from string, to []string, data []byte) error {
	if len(to) == 0 {
		return errors.New("submit: no recipients")
	}
	e := queue.Entry{From: from, Arrival: time.Now()}
	for _, a := range to {
		e.Rcpts = append(e.Rcpts, queue.Recipient{Addr: a, Notify: []string{string(smtp.DSNNotifyNever)}})
	}
	return q.s.sender.enqueue(e, data)
}
