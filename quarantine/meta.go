package quarantine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Meta describes one stored message; it is the content of ID.json.
type Meta struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"` // "as/spam", "av/infected", "incoming", "outgoing"...
	Size    int64     `json:"size"`   // bytes of ID.eml
	Arrival time.Time `json:"arrival"`
	// ClientIP is the address of the SMTP client; the zero Addr (written
	// as "") when unknown, e.g. for the gateway's own notifications.
	ClientIP   netip.Addr `json:"client_ip"`
	Sender     string     `json:"sender"` // envelope MAIL FROM; "" for the null sender <>
	Recipients []string   `json:"recipients"`
	Group      string     `json:"group,omitempty"`
	Reasons    []string   `json:"reasons,omitempty"` // why it was stored: statuses, signatures, rules
	QueueID    string     `json:"queue_id,omitempty"`
}

// maxMetaSize bounds ID.json: metadata is a few hundred bytes, even with
// the 1024 recipients the gateway accepts at most.
const maxMetaSize = 1 << 20

// maxStatusLen bounds a status; the longest real one is about 20 bytes.
const maxStatusLen = 64

// checkStatus reports why s cannot be a status. A status is one column of
// the --show-all listing, so it must be one printable word.
func checkStatus(s string) error {
	if s == "" {
		return errors.New("empty status")
	}
	if len(s) > maxStatusLen {
		return fmt.Errorf("status %.20q... is longer than %d characters", s, maxStatusLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("status %q: only printable ASCII without spaces is allowed", s)
		}
	}
	return nil
}

// ParseMeta decodes and checks the content of an ID.json file. Unknown
// fields are ignored, so that files written by a newer version stay
// readable by an older tool.
func ParseMeta(data []byte) (Meta, error) {
	var m Meta
	if len(data) > maxMetaSize {
		return m, fmt.Errorf("metadata of %d bytes is larger than %d", len(data), maxMetaSize)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return m, errors.New("metadata is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("metadata: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return m, errors.New("metadata: data after the JSON object")
	}
	if err := m.check(); err != nil {
		return m, fmt.Errorf("metadata: %w", err)
	}
	// [] and null mean the same; one spelling keeps Metas comparable.
	if len(m.Recipients) == 0 {
		m.Recipients = nil
	}
	if len(m.Reasons) == 0 {
		m.Reasons = nil
	}
	return m, nil
}

// check reports the first field that does not make sense.
func (m *Meta) check() error {
	if err := CheckID(m.ID); err != nil {
		return err
	}
	if err := checkStatus(m.Status); err != nil {
		return err
	}
	if m.Size < 0 {
		return fmt.Errorf("negative size %d", m.Size)
	}
	if m.Arrival.IsZero() {
		return errors.New("no arrival time")
	}
	// MarshalJSON refuses such years; refusing them here keeps every
	// parsed Meta writable again.
	if y := m.Arrival.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("arrival year %d out of range", y)
	}
	return nil
}

// marshal encodes m as an ID.json file: indented, so that an administrator
// can read it with cat, with a final newline.
func (m *Meta) marshal() ([]byte, error) {
	out := *m
	if out.Recipients == nil {
		out.Recipients = []string{} // "recipients": [] reads better than null
	}
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode metadata of %s: %w", m.ID, err)
	}
	return append(data, '\n'), nil
}
