// Package queue is the relay's durable mail queue on disk: what the relay
// promised to deliver when it answered 250. It is written by hand rather
// than taken from a library because its one guarantee — a message and its
// envelope are on stable storage (file and directory fsynced) before the
// caller says 250, and survive any crash after that — depends on the exact
// order of writes, renames and syncs.
//
// # Layout
//
//	DIR/ready/ID.msg  a committed message waiting for delivery
//	DIR/ready/ID.tmp  a message or an envelope update being written
//
// A message is one file: its envelope and delivery state as one line of
// JSON, then the bytes to send. One file rather than an envelope file
// beside a data file halves what every message costs the file system:
// creations, syncs, renames and deletions, which is most of a relay's
// work. A Batch writes every message of one SMTP transaction to ID.tmp,
// syncs each, renames each to ID.msg within the same directory and syncs
// the directory once. A message exists once its ID.msg does. After a
// crash, Recover deletes every ID.tmp (none got a 250).
//
// Queues of the earlier layout (ready/ID.json beside ready/ID.eml, and a
// work/ directory) are converted by Recover.
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
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mailgw/mailgw/internal/durable"
	"github.com/mailgw/mailgw/quarantine"
)

// Directory and file names of the layout above.
const (
	readyDir = "ready"
	extMsg   = ".msg"
	// extTmp marks a file being written: a new message or an update.
	extTmp   = ".tmp"
	fileMode = 0o600
	dirMode  = 0o700
)

// The earlier layout, which Recover converts.
const (
	legacyWorkDir = "work"
	legacyEML     = ".eml"
	legacyJSON    = ".json"
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

// Open opens the queue in dir, creating it and its subdirectory. It
// changes no file: the daemon calls Recover itself, the tool never does.
func Open(dir string) (*Queue, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("queue: directory %q must be an absolute path", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, readyDir), dirMode); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return &Queue{dir: dir}, nil
}

// Dir is the queue's directory.
func (q *Queue) Dir() string { return q.dir }

func (q *Queue) path(id, ext string) string { return filepath.Join(q.dir, readyDir, id+ext) }

func (q *Queue) ready() string { return filepath.Join(q.dir, readyDir) }

// Recover removes what a crash left half-written and converts messages
// of the earlier layout. Only the one process that owns the queue (the
// relay, at start-up) may call it: the ID.tmp files belong to
// transactions in progress.
func (q *Queue) Recover() (removed int, err error) {
	ents, err := os.ReadDir(q.ready())
	if err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), extTmp) && os.Remove(filepath.Join(q.ready(), e.Name())) == nil {
			removed++
		}
	}
	n, err := q.convertLegacy(ents)
	removed += n
	if err != nil {
		return removed, err
	}
	return removed, syncDir(q.ready())
}

// convertLegacy rewrites each ready/ID.json with its ready/ID.eml as one
// ID.msg, and removes what the earlier layout's crash recovery would
// have: work/ and any ID.eml without its ID.json.
func (q *Queue) convertLegacy(ents []fs.DirEntry) (removed int, err error) {
	work := filepath.Join(q.dir, legacyWorkDir)
	if old, err := os.ReadDir(work); err == nil {
		removed += len(old)
		if err := os.RemoveAll(work); err != nil {
			return removed, fmt.Errorf("queue: %w", err)
		}
	}
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), legacyJSON)
		if !ok {
			continue
		}
		js, err := os.ReadFile(q.path(id, legacyJSON))
		if err != nil {
			return removed, fmt.Errorf("queue: %w", err)
		}
		var e Entry
		if err := json.Unmarshal(js, &e); err != nil {
			return removed, fmt.Errorf("queue: damaged envelope %s: %w", id, err)
		}
		data, err := os.ReadFile(q.path(id, legacyEML))
		if err != nil {
			return removed, fmt.Errorf("queue: %w", err)
		}
		if err := q.replace(e, data); err != nil {
			return removed, err
		}
		_ = os.Remove(q.path(id, legacyJSON))
	}
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), legacyEML) && os.Remove(filepath.Join(q.ready(), de.Name())) == nil {
			removed++ // a converted message's data, or an orphan
		}
	}
	return removed, nil
}

// envelopeLine is the first line of a message file: the envelope as
// JSON, which escapes every newline inside strings, and a newline.
func envelopeLine(e Entry) ([]byte, error) {
	js, err := json.Marshal(e)
	return append(js, '\n'), err
}

// decode splits a message file into its envelope and message.
func decode(raw []byte) (Entry, []byte, error) {
	line, data, ok := bytes.Cut(raw, []byte{'\n'})
	if !ok {
		return Entry{}, nil, errors.New("no end of the envelope line")
	}
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, nil, err
	}
	return e, data, nil
}

// Batch is the messages of one SMTP transaction, committed together.
type Batch struct {
	q   *Queue
	ids []string
}

// Begin starts a batch.
func (q *Queue) Begin() *Batch { return &Batch{q: q} }

// Add writes one message to its ID.tmp and syncs it. It sets e.ID, e.Size
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
	line, err := envelopeLine(e)
	if err != nil {
		return e, err
	}
	b.ids = append(b.ids, e.ID)
	return e, writeSynced(b.q.path(e.ID, extTmp), line, data)
}

// Commit gives every message of the batch its ID.msg name and makes that
// durable. When it returns nil, the caller may answer 250.
func (b *Batch) Commit() error {
	if len(b.ids) == 0 {
		return nil
	}
	for _, id := range b.ids {
		if err := os.Rename(b.q.path(id, extTmp), b.q.path(id, extMsg)); err != nil {
			return fmt.Errorf("queue: commit %s: %w", id, err)
		}
	}
	return syncDir(b.q.ready())
}

// Abort removes what the batch wrote, committed or not; for a transaction
// that will not get its 250 after all.
func (b *Batch) Abort() {
	for _, id := range b.ids {
		for _, ext := range []string{extMsg, extTmp} {
			_ = os.Remove(b.q.path(id, ext))
		}
	}
	_ = syncDir(b.q.ready())
}

// IDs are the messages of the batch.
func (b *Batch) IDs() []string { return append([]string(nil), b.ids...) }

// List returns every committed message's entry, oldest first.
func (q *Queue) List() ([]Entry, error) {
	ents, err := os.ReadDir(q.ready())
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	var out []Entry
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), extMsg)
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

// open opens a committed message's file.
func (q *Queue) open(id string) (*os.File, error) {
	if err := quarantine.CheckID(id); err != nil {
		return nil, err
	}
	f, err := os.Open(q.path(id, extMsg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return f, nil
}

// Entry reads one message's envelope, and only that line of its file.
func (q *Queue) Entry(id string) (Entry, error) {
	f, err := q.open(id)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return Entry{}, fmt.Errorf("queue: %w", err)
	}
	e, _, err := decode(line)
	if err != nil {
		return Entry{}, fmt.Errorf("queue: damaged envelope %s: %w", id, err)
	}
	return e, nil
}

// Message reads one message's envelope and bytes with one read of its
// file: what a delivery attempt needs.
func (q *Queue) Message(id string) (Entry, []byte, error) {
	f, err := q.open(id)
	if err != nil {
		return Entry{}, nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return Entry{}, nil, fmt.Errorf("queue: %w", err)
	}
	e, data, err := decode(raw)
	if err != nil {
		return Entry{}, nil, fmt.Errorf("queue: damaged envelope %s: %w", id, err)
	}
	return e, data, nil
}

// Data reads one message's bytes.
func (q *Queue) Data(id string) ([]byte, error) {
	_, data, err := q.Message(id)
	return data, err
}

// Update durably replaces a committed message's envelope (after a
// delivery attempt), rewriting its file. A message removed meanwhile
// stays removed.
func (q *Queue) Update(e Entry) error {
	_, data, err := q.Message(e.ID)
	if err != nil {
		return err
	}
	return q.replace(e, data)
}

// replace writes e and data as e.ID's message file, atomically.
func (q *Queue) replace(e Entry, data []byte) error {
	line, err := envelopeLine(e)
	if err != nil {
		return err
	}
	tmp := q.path(e.ID, extTmp)
	if err := writeSynced(tmp, line, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, q.path(e.ID, extMsg)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("queue: %w", err)
	}
	return syncDir(q.ready())
}

// Remove deletes a message the administrator removes, and makes the
// removal durable.
func (q *Queue) Remove(id string) error {
	if err := q.unlink(id); err != nil {
		return err
	}
	return syncDir(q.ready())
}

// Done deletes a message whose every recipient is delivered or bounced.
// It does not sync the directory (Postfix does not either after a
// delivery): a crash right after it may bring the message back,
// to be delivered once more, a duplicate and never a loss. That saves
// one of the three disk syncs a message costs.
func (q *Queue) Done(id string) error { return q.unlink(id) }

func (q *Queue) unlink(id string) error {
	if err := quarantine.CheckID(id); err != nil {
		return err
	}
	err := os.Remove(q.path(id, extMsg))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
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

// writeSynced creates path with the parts one after the other and syncs
// the file. Writing the envelope line and the message apart spares a
// copy of the message.
func writeSynced(path string, parts ...[]byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	var werr error
	for _, p := range parts {
		if _, werr = f.Write(p); werr != nil {
			break
		}
	}
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

// syncDir is durable.SyncDir with the package's error prefix.
func syncDir(dir string) error {
	if err := durable.SyncDir(dir); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}
