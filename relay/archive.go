package relay

import (
	"time"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/quarantine"
)

// ArchiveStore is an Archiver over a quarantine store, the one archive
// format of the gateway (mailgw-maila reads it).
type ArchiveStore struct{ Store *quarantine.Store }

var _ Archiver = ArchiveStore{}

// Archive stores raw with status "incoming" or "outgoing".
func (a ArchiveStore) Archive(status string, env *filter.Envelope, rcpts []string, raw []byte) error {
	_, err := a.Store.Put(quarantine.Meta{Status: status, Arrival: time.Now(), ClientIP: env.ClientIP,
		Sender: env.From, Recipients: rcpts, QueueID: env.QueueID}, raw)
	return err
}
