// Package queue is the relay's durable mail queue on disk: what the relay
// promised to deliver when it answered 250. It is written by hand rather
// than taken from a library because its one guarantee — a message and its
// envelope are on stable storage (file and directory fsynced) before the
// caller says 250, and survive any crash after that — depends on the exact
// order of writes, renames and syncs.
//
// # Layout
//
//	DIR/work/   messages being received: not yet promised to anyone
//	DIR/ready/  committed messages waiting for delivery
//
// A message is two files, ID.eml (the bytes to send) and ID.json (the
// envelope and delivery state). A Batch writes every file of one SMTP
// transaction into work/, syncs each, then renames them into ready/ (the
// .eml before the .json) and syncs ready/ once. A message exists once its
// ready/ID.json does. After a crash, Recover deletes work/ (nothing there
// got a 250) and any ready/ID.eml without its ID.json.
//
// One transaction can hold several messages: the relay queues one copy
// per policy group (guide 4.1), each with that group's bytes and
// recipients.
//
// The queue keeps no state in memory, so `mailgw queue` can list, flush
// and remove while the relay runs; a removal that races a delivery in
// progress may still let that one delivery happen.
package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mailgw/mailgw/quarantine"
)

// Directory and file names of the layout above.
const (
	workDir  = "work"
	readyDir = "ready"
	extEML   = ".eml"
	extJSON  = ".json"
	// tmpSuffix marks an envelope being rewritten by Update.
	tmpSuffix = ".tmp"
	fileMode  = 0o600
	dirMode   = 0o700
)

// ErrNotFound is returned for an ID that is not in the queue.
var ErrNotFound = errors.New("no such queued message")

// Recipient is one envelope recipient still to be delivered, with its DSN
// parameters of RCPT TO (RFC 3461 §4.1, §4.2).
type Recipient struct {
	Addr   string   `json:"addr"`
	Notify []string `json:"notify,omitempty"` // NEVER, or SUCCESS/FAILURE/DELAY; empty: not given
	ORCPT  string   `json:"orcpt,omitempty"`  // "rfc822;addr" as given
}

// Entry is one queued message's envelope and delivery state.
type Entry struct {
	ID       string      `json:"id"`
	QueueID  string      `json:"queue_id"` // the SMTP transaction's id, shared by its group copies
	Group    string      `json:"group,omitempty"`
	From     string      `json:"from"` // "" is the null sender <>
	Rcpts    []Recipient `json:"rcpts"`
	Size     int64       `json:"size"`
	ClientIP string      `json:"client_ip,omitempty"`
	// DSN parameters of MAIL FROM (RFC 3461 §4.3, §4.4).
	EnvID       string    `json:"envid,omitempty"`
	Ret         string    `json:"ret,omitempty"`
	UTF8        bool      `json:"smtputf8,omitempty"` // RFC 6531 SMTPUTF8 was given
	Arrival     time.Time `json:"arrival"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
}

// Queue is one queue directory. It holds no state besides the path.
type Queue struct {
	dir string
}

// Open opens the queue in dir, creating it and its subdirectories. It
// changes no file: the daemon calls Recover itself, the tool never does.
func Open(dir string) (*Queue, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("queue: directory %q must be an absolute path", dir)
	}
	for _, d := range []string{dir, filepath.Join(dir, workDir), filepath.Join(dir, readyDir)} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
	}
	return &Queue{dir: dir}, nil
}

// Dir is the queue's directory.
func (q *Queue) Dir() string { return q.dir }

func (q *Queue) path(sub, id, ext string) string { return filepath.Join(q.dir, sub, id+ext) }

// Recover removes what a crash left half-written. Only the one process
// that owns the queue (the relay, at start-up) may call it: the files in
// work/ belong to transactions in progress.
func (q *Queue) Recover() (removed int, err error) {
	work := filepath.Join(q.dir, workDir)
	ents, err := os.ReadDir(work)
	if err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	for _, e := range ents {
		if os.Remove(filepath.Join(work, e.Name())) == nil {
			removed++
		}
	}
	ready := filepath.Join(q.dir, readyDir)
	ents, err = os.ReadDir(ready)
	if err != nil {
		return removed, fmt.Errorf("queue: %w", err)
	}
	have := map[string]bool{}
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), extJSON); ok {
			have[id] = true
		}
	}
	for _, e := range ents {
		name := e.Name()
		id, isEML := strings.CutSuffix(name, extEML)
		if (isEML && !have[id]) || strings.HasSuffix(name, tmpSuffix) {
			if os.Remove(filepath.Join(ready, name)) == nil {
				removed++
			}
		}
	}
	return removed, syncDir(ready)
}

// Batch is the messages of one SMTP transaction, committed together.
type Batch struct {
	q       *Queue
	ids     []string
	written bool
}

// Begin starts a batch.
func (q *Queue) Begin() *Batch { return &Batch{q: q} }

// Add writes one message into work/ and syncs it. It sets e.ID, e.Size
// and, when zero, e.Arrival, and returns the entry as written.
func (b *Batch) Add(e Entry, data []byte) (Entry, error) {
	e.ID = quarantine.NewID(time.Now())
	e.Size = int64(len(data))
	if e.Arrival.IsZero() {
		e.Arrival = time.Now()
	}
	e.Arrival = e.Arrival.Round(0)
	if len(e.Rcpts) == 0 {
		return e, errors.New("queue: a message without recipients")
	}
	js, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	b.ids = append(b.ids, e.ID)
	b.written = true
	if err := writeSynced(b.q.path(workDir, e.ID, extEML), data); err != nil {
		return e, err
	}
	return e, writeSynced(b.q.path(workDir, e.ID, extJSON), js)
}

// Commit moves every message of the batch into ready/ and makes that
// durable. When it returns nil, the caller may answer 250.
func (b *Batch) Commit() error {
	if !b.written {
		return nil
	}
	if err := syncDir(filepath.Join(b.q.dir, workDir)); err != nil {
		return err
	}
	for _, id := range b.ids {
		for _, ext := range []string{extEML, extJSON} {
			if err := os.Rename(b.q.path(workDir, id, ext), b.q.path(readyDir, id, ext)); err != nil {
				return fmt.Errorf("queue: commit %s: %w", id, err)
			}
		}
	}
	return syncDir(filepath.Join(b.q.dir, readyDir))
}

// Abort removes what the batch wrote, committed or not; for a transaction
// that will not get its 250 after all.
func (b *Batch) Abort() {
	for _, id := range b.ids {
		for _, sub := range []string{workDir, readyDir} {
			for _, ext := range []string{extJSON, extEML} {
				_ = os.Remove(b.q.path(sub, id, ext))
			}
		}
	}
	_ = syncDir(filepath.Join(b.q.dir, readyDir))
}

// IDs are the messages of the batch.
func (b *Batch) IDs() []string { return append([]string(nil), b.ids...) }

// List returns every committed message's entry, oldest first.
func (q *Queue) List() ([]Entry, error) {
	ents, err := os.ReadDir(filepath.Join(q.dir, readyDir))
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	var out []Entry
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), extJSON)
		if !ok {
			continue
		}
		e, err := q.Entry(id)
		if errors.Is(err, ErrNotFound) {
			continue // delivered meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Entry reads one message's envelope.
func (q *Queue) Entry(id string) (Entry, error) {
	if err := quarantine.CheckID(id); err != nil {
		return Entry{}, err
	}
	js, err := os.ReadFile(q.path(readyDir, id, extJSON))
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("queue: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(js, &e); err != nil {
		return Entry{}, fmt.Errorf("queue: damaged envelope %s: %w", id, err)
	}
	return e, nil
}

// Data reads one message's bytes.
func (q *Queue) Data(id string) ([]byte, error) {
	if err := quarantine.CheckID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(q.path(readyDir, id, extEML))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return b, err
}

// Update durably replaces a committed message's envelope (after a
// delivery attempt). A message removed meanwhile stays removed.
func (q *Queue) Update(e Entry) error {
	if _, err := os.Stat(q.path(readyDir, e.ID, extJSON)); err != nil {
		return fmt.Errorf("%w: %s", ErrNotFound, e.ID)
	}
	js, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := q.path(readyDir, e.ID, extJSON+tmpSuffix)
	if err := writeSynced(tmp, js); err != nil {
		return err
	}
	if err := os.Rename(tmp, q.path(readyDir, e.ID, extJSON)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("queue: %w", err)
	}
	return syncDir(filepath.Join(q.dir, readyDir))
}

// Remove deletes a message: delivered, bounced or removed by the
// administrator. The envelope goes first, so that a crash in between
// leaves an orphan that Recover deletes, never an envelope without data.
func (q *Queue) Remove(id string) error {
	if err := quarantine.CheckID(id); err != nil {
		return err
	}
	err := os.Remove(q.path(readyDir, id, extJSON))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	_ = os.Remove(q.path(readyDir, id, extEML))
	return syncDir(filepath.Join(q.dir, readyDir))
}

// Flush makes every message due now; the relay picks them up at its next
// scan. It returns how many it changed.
func (q *Queue) Flush() (int, error) {
	es, err := q.List()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		if e.NextAttempt.IsZero() {
			continue
		}
		e.NextAttempt = time.Time{}
		if err := q.Update(e); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// FreeSpace is the space left to unprivileged users on the queue's file
// system, in bytes.
func (q *Queue) FreeSpace() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(q.dir, &st); err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// writeSynced creates path with data and syncs the file.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("queue: write %s: %w", path, werr)
	}
	return nil
}

// syncDir makes the entries of dir (creations, renames, removals) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("queue: sync %s: %w", dir, err)
	}
	return nil
}
