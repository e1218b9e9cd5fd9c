package queue

import (
	"fmt"
	"time"

	"github.com/mailgw/mailgw/quarantine"
)

// Release queues a message released from a quarantine (mailgw-maila
// --send-id with ReleaseVia=queue): the stored bytes, unchanged, for the
// original envelope. The relay then delivers it by its routes like any
// other queued message, without filtering it again, which would only
// quarantine it once more. When Release returns nil the message is durable
// in ready/, so the quarantine may forget it: together with the store's
// claim this delivers a release exactly once.
//
// The running relay finds the message at its next scan of the queue
// (relay.Options.ScanInterval). Its queue lifetime counts from now.
func (q *Queue) Release(m quarantine.Meta, raw []byte) error {
	e := Entry{QueueID: m.QueueID, Group: m.Group, From: m.Sender, Arrival: time.Now()}
	if m.ClientIP.IsValid() {
		e.ClientIP = m.ClientIP.String()
	}
	for _, r := range m.Recipients {
		e.Rcpts = append(e.Rcpts, Recipient{Addr: r})
	}
	b := q.Begin()
	_, err := b.Add(e, raw)
	if err == nil {
		err = b.Commit()
	}
	if err != nil {
		b.Abort()
		return fmt.Errorf("queue %s: release %s: %w", q.dir, m.ID, err)
	}
	return nil
}
