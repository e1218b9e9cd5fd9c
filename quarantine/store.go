package quarantine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mailgw/mailgw/internal/durable"
)

// Errors of the store's operations; the returned errors wrap them and name
// the message and the store.
var (
	ErrNotFound    = errors.New("no such message")
	ErrClaimed     = errors.New("message is claimed for sending")
	ErrAlreadySent = errors.New("message was already sent")
	ErrDamaged     = errors.New("damaged message file")
	ErrNoStore     = errors.New("store directory is not usable")
	// ErrNotDelivered: the next hop refused the message or could not be
	// reached; the message is back in the store.
	ErrNotDelivered = errors.New("not delivered, kept in the store")
)

// Options tune a Store. The zero value is what the gateway uses.
type Options struct {
	// MustExist makes Open fail when the directory is missing instead of
	// creating it: a tool given a mistyped path should say so, not show an
	// empty new store.
	MustExist bool
	// LockTimeout is how long List waits for the index, which another
	// process may be using, before reading the files instead; 0 means 200ms.
	LockTimeout time.Duration
	// StaleAfter is the age of a claim (ID.sending) after which Release
	// reports it as interrupted rather than in progress; 0 means 15 minutes.
	StaleAfter time.Duration
	// NoIndex makes List always read every ID.json file.
	NoIndex bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is one directory of stored messages: a quarantine or an archive.
// A Store keeps no state besides its options, so any number of Store
// values, in any number of processes, may share a directory.
type Store struct {
	dir  string
	opts Options
}

// Open opens the store in dir, creating the directory (mode 0700) unless
// opts.MustExist is set.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: empty path", ErrNoStore)
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 200 * time.Millisecond
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 15 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if !opts.MustExist {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrNoStore, dir)
	}
	return &Store{dir: dir, opts: opts}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id, ext string) string { return filepath.Join(s.dir, id+ext) }

// Put stores a message: raw exactly as given and meta, whose ID and Size
// are set here and whose Arrival defaults to now. ID.eml is written before
// ID.json, and a message exists once its ID.json does, so a crash leaves
// either a complete message or files that List ignores and Purge removes.
func (s *Store) Put(meta Meta, raw []byte) (string, error) {
	meta.ID = NewID(s.opts.Now())
	meta.Size = int64(len(raw))
	if meta.Arrival.IsZero() {
		meta.Arrival = s.opts.Now()
	}
	// Round(0) drops the monotonic clock reading, which ID.json cannot keep.
	meta.Arrival = meta.Arrival.Round(0)
	if err := meta.check(); err != nil {
		return "", fmt.Errorf("store message in %s: %w", s.dir, err)
	}
	js, err := meta.marshal()
	if err != nil {
		return "", err
	}
	if err := writeAtomic(s.path(meta.ID, extEML), raw); err != nil {
		return "", err
	}
	if err := writeAtomic(s.path(meta.ID, extJSON), js); err != nil {
		_ = os.Remove(s.path(meta.ID, extEML))
		return "", err
	}
	return meta.ID, nil
}

// Get returns a message's metadata and original bytes. A message being
// released is still readable, so that an administrator can inspect one
// whose release was interrupted.
func (s *Store) Get(id string) (Meta, []byte, error) {
	if err := CheckID(id); err != nil {
		return Meta{}, nil, err
	}
	meta, err := s.readMeta(id, extJSON)
	if errors.Is(err, fs.ErrNotExist) {
		meta, err = s.readMeta(id, extSending)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, nil, s.absent(id)
	}
	if err != nil {
		return Meta{}, nil, err
	}
	raw, err := s.readEML(id)
	return meta, raw, err
}

// readMeta reads and checks ID+ext; a missing file gives an error wrapping
// fs.ErrNotExist.
func (s *Store) readMeta(id, ext string) (Meta, error) {
	path := s.path(id, ext)
	data, err := os.ReadFile(path)
	if err != nil {
		return Meta{}, err
	}
	return parseMetaFile(path, id, data)
}

// parseMetaFile parses the content of path, the metadata file of id.
func parseMetaFile(path, id string, data []byte) (Meta, error) {
	m, err := ParseMeta(data)
	if err == nil && m.ID != id {
		err = fmt.Errorf("it holds the metadata of %q", m.ID)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("%w %s: %v", ErrDamaged, path, err)
	}
	return m, nil
}

func (s *Store) readEML(id string) ([]byte, error) {
	path := s.path(id, extEML)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing", ErrDamaged, path)
	}
	return raw, err
}

// absent explains why id has no ID.json: being sent, sent, or unknown.
// ID.sending is looked at before ID.sent because a release writes ID.sent
// before it removes ID.sending: whatever a release does meanwhile, one of
// the two is seen.
func (s *Store) absent(id string) error {
	claim, claimErr := os.Lstat(s.path(id, extSending))
	if fi, err := os.Lstat(s.path(id, extSent)); err == nil {
		return fmt.Errorf("%w: %s in %s at %s (receipt %s)", ErrAlreadySent, id, s.dir,
			fi.ModTime().Format(time.RFC3339), s.path(id, extSent))
	}
	if claimErr == nil {
		return s.claimedError(id, claim.ModTime())
	}
	return fmt.Errorf("%w %s in %s", ErrNotFound, id, s.dir)
}

// Remove deletes a message.
func (s *Store) Remove(id string) error {
	if err := CheckID(id); err != nil {
		return err
	}
	if err := s.remove(id); err != nil {
		return err
	}
	return durable.SyncDir(s.dir)
}

// remove deletes a message without syncing the directory. ID.json goes
// first: from then on the message does not exist, and a Release running
// at the same time cannot claim it; only then is ID.eml removed.
func (s *Store) remove(id string) error {
	err := os.Remove(s.path(id, extJSON))
	if errors.Is(err, fs.ErrNotExist) {
		return s.absent(id)
	}
	if err == nil {
		err = removeIfExists(s.path(id, extEML))
	}
	if err != nil {
		return fmt.Errorf("remove %s from %s: %w", id, s.dir, err)
	}
	return nil
}

// Filter selects messages for List; the zero Filter selects all.
type Filter struct {
	// Status selects one status ("av/infected") or, ending in "/", a
	// family ("av/").
	Status string
	// Before selects messages that arrived before it.
	Before time.Time
}

func (f Filter) match(m *Meta) bool {
	switch {
	case f.Status == "":
	case strings.HasSuffix(f.Status, "/"):
		if !strings.HasPrefix(m.Status, f.Status) {
			return false
		}
	case m.Status != f.Status:
		return false
	}
	return f.Before.IsZero() || m.Arrival.Before(f.Before)
}

// List returns the messages matching f, oldest first. Messages whose
// files are damaged are left out and reported in an error wrapping
// ErrDamaged, returned together with the others.
func (s *Store) List(f Filter) ([]Meta, error) {
	files, err := s.jsonFiles()
	if err != nil {
		return nil, err
	}
	metas, damaged := s.loadMetas(files)
	metas = slices.DeleteFunc(metas, func(m Meta) bool { return !f.match(&m) })
	slices.SortFunc(metas, func(a, b Meta) int {
		if c := a.Arrival.Compare(b.Arrival); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return metas, damaged
}

// stamp is what identifies one version of an ID.json file: if either
// changed, the file was rewritten and the index entry is out of date.
type stamp struct {
	mtime int64 // nanoseconds
	size  int64
}

// jsonFiles reads the directory and stats every ID.json. A file removed
// between the two is simply left out.
func (s *Store) jsonFiles() (map[string]stamp, error) {
	entries, err := readDirUnsorted(s.dir)
	if err != nil {
		return nil, err
	}
	files := make(map[string]stamp, len(entries)/2)
	for _, e := range entries {
		id, ext, ok := splitName(e.Name())
		if !ok || ext != extJSON || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		files[id] = stamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	}
	return files, nil
}

// readDirUnsorted is os.ReadDir without the sort, which List does not
// need and which costs milliseconds in a large store.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrNoStore, dir, err)
	}
	return entries, nil
}

// scan reads every listed ID.json, without the index.
func (s *Store) scan(files map[string]stamp) ([]Meta, error) {
	metas := make([]Meta, 0, len(files))
	var damaged []error
	for id := range files {
		m, err := s.readMeta(id, extJSON)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			damaged = append(damaged, err)
		default:
			metas = append(metas, m)
		}
	}
	return metas, errors.Join(damaged...)
}
