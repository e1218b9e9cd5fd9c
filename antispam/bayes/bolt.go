package bayes

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mailgw/mailgw/internal/durable"
)

// Bucket and key names of the bbolt file.
var (
	bucketTokens = []byte("tokens")
	bucketMeta   = []byte("meta")
	keyTotals    = []byte("totals")
)

// lockTimeout bounds the wait for the file lock: bbolt allows one writer
// process, and a running daemon holds a reader lock.
const lockTimeout = 1 * time.Second

// Bolt is a Store in a bbolt file.
type Bolt struct {
	db *bolt.DB
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (with write, creates) the file at path. A read-only open
// of a file that does not exist returns os.ErrNotExist.
func OpenBolt(path string, write bool) (*Bolt, error) {
	if !write {
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
	}
	db, err := bolt.Open(path, 0o640, &bolt.Options{Timeout: lockTimeout, ReadOnly: !write})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bayes store %s is locked by another process writing it in place (mailgw learn writes a copy and never holds it)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("bayes store %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }

// Lookup implements Store.
func (b *Bolt) Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error) {
	return lookup(b.db, tokens)
}

func lookup(db *bolt.DB, tokens []string) (Counts, []Counts, error) {
	var tot Counts
	out := make([]Counts, len(tokens))
	err := db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			tot = decodeCounts(m.Get(keyTotals))
		}
		t := tx.Bucket(bucketTokens)
		if t == nil {
			return nil
		}
		for i, tok := range tokens {
			out[i] = decodeCounts(t.Get([]byte(tok)))
		}
		return nil
	})
	return tot, out, err
}

// BoltFile is the read-only Store of the daemons. It keeps the file open
// between lookups (opening and mapping it cost three times a lookup) and
// notices a new file at once: `mailgw learn` never writes the file a
// daemon reads but replaces it (OpenBoltLearn), so a lookup that finds
// another file at the path opens that one. A file unused for
// boltFileIdle is closed, so that a store left behind by a configuration
// reload gives its file back. A missing file is an untrained classifier,
// not an error.
type BoltFile struct {
	path string
	idle time.Duration

	mu    sync.RWMutex
	db    *bolt.DB    // nil: not open
	id    fileID      // of the open file
	timer *time.Timer // runs closeIdle while the file is open
	used  atomic.Int64
}

// boltFileIdle is how long an unused file stays open.
const boltFileIdle = time.Minute

// fileID tells one file at a path from the file that replaced it.
type fileID struct {
	dev, ino    uint64
	size, mtime int64 // mtime in nanoseconds: time.Time is not for ==
}

func idOf(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	return id
}

// NewBoltFile returns the store of the file at path. It opens nothing.
func NewBoltFile(path string) *BoltFile { return &BoltFile{path: path, idle: boltFileIdle} }

var _ Store = (*BoltFile)(nil)

// Lookup implements Store.
func (f *BoltFile) Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error) {
	fi, err := os.Stat(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return Counts{}, make([]Counts, len(tokens)), nil
	}
	if err != nil {
		return Counts{}, nil, fmt.Errorf("bayes store %s: %w", f.path, err)
	}
	id := idOf(fi)
	f.used.Store(time.Now().UnixNano())
	f.mu.RLock()
	if f.db == nil || f.id != id {
		f.mu.RUnlock()
		if err := f.open(id); err != nil {
			return Counts{}, nil, err
		}
		f.mu.RLock()
	}
	defer f.mu.RUnlock()
	if f.db == nil { // closed meanwhile (Close, or idle): answer from a short-lived open
		b, err := OpenBolt(f.path, false)
		if err != nil {
			return Counts{}, nil, err
		}
		defer b.Close()
		return lookup(b.db, tokens)
	}
	return lookup(f.db, tokens)
}

// open replaces the open file with the one at the path, unless another
// lookup did so already.
func (f *BoltFile) open(id fileID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db != nil && f.id == id {
		return nil
	}
	b, err := OpenBolt(f.path, false)
	if err != nil {
		return err
	}
	if f.db == nil {
		f.timer = time.AfterFunc(f.idle, f.closeIdle)
	} else {
		f.db.Close()
	}
	f.db, f.id = b.db, id
	return nil
}

// closeIdle closes the file when no lookup used it for f.idle, and
// otherwise looks again later.
func (f *BoltFile) closeIdle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db == nil {
		return
	}
	if since := time.Since(time.Unix(0, f.used.Load())); since < f.idle {
		f.timer.Reset(f.idle - since)
		return
	}
	f.closeLocked()
}

func (f *BoltFile) closeLocked() error {
	f.timer.Stop()
	err := f.db.Close()
	f.db, f.timer = nil, nil
	return err
}

// Learn implements Store: BoltFile is read-only.
func (f *BoltFile) Learn(context.Context, [][]string, bool) error {
	return fmt.Errorf("bayes store %s: opened read-only", f.path)
}

// Close implements Store: it closes the file; a later lookup opens it again.
func (f *BoltFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db == nil {
		return nil
	}
	return f.closeLocked()
}

// BoltLearn is the writable Store of `mailgw learn`: a copy of the file,
// learnt into and then put in the file's place by Close, so that daemons
// reading the file (and holding its shared lock) never stop a learn run
// nor see a half-written file. Two learn runs at once would lose one's
// counts, so a lock file (PATH.lock) keeps the second out.
type BoltLearn struct {
	*Bolt
	path, tmp string
	lock      *os.File // nil once closed
}

// OpenBoltLearn opens the copy of the file at path (an empty store when
// there is none).
func OpenBoltLearn(path string) (*BoltLearn, error) {
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	l := &BoltLearn{path: path, tmp: path + ".new", lock: lock}
	if err := l.copyCurrent(); err != nil {
		lock.Close()
		return nil, err
	}
	if l.Bolt, err = OpenBolt(l.tmp, true); err != nil {
		lock.Close()
		return nil, err
	}
	return l, nil
}

// copyCurrent writes the current file, read in one consistent
// transaction, to l.tmp.
func (l *BoltLearn) copyCurrent() error {
	os.Remove(l.tmp) // left by a run that died
	cur, err := OpenBolt(l.path, false)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer cur.Close()
	err = cur.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(l.tmp, 0o640) })
	if err != nil {
		return fmt.Errorf("bayes store %s: copying it to %s: %w", l.path, l.tmp, err)
	}
	return sameOwner(l.tmp, l.path)
}

// sameOwner gives the copy the mode, owner and group of the file it
// replaces: learn often runs as root, the daemons as their own user, who
// must still read the new file. Changing the owner needs root; without it
// the copy is the learner's, which the daemons' user then is too.
func sameOwner(copy, orig string) error {
	fi, err := os.Stat(orig)
	if err != nil {
		return err
	}
	if err := os.Chmod(copy, fi.Mode().Perm()); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if err := os.Chown(copy, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, os.ErrPermission) {
			return err
		}
	}
	return nil
}

// Close closes the copy and puts it in place of the file. Later calls do
// nothing.
func (l *BoltLearn) Close() error {
	if l.lock == nil {
		return nil
	}
	defer func() { l.lock.Close(); l.lock = nil }() // releases the lock
	if err := l.Bolt.Close(); err != nil {
		return fmt.Errorf("bayes store %s: %w", l.tmp, err)
	}
	if err := os.Rename(l.tmp, l.path); err != nil {
		return fmt.Errorf("bayes store %s: %w", l.path, err)
	}
	if err := durable.SyncDir(filepath.Dir(l.path)); err != nil {
		return fmt.Errorf("bayes store %s: %w", l.path, err)
	}
	return nil
}

// lockFile takes the exclusive lock of the file at path, waiting up to
// lockTimeout.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("bayes store lock: %w", err)
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			f.Close()
			if err == syscall.EWOULDBLOCK {
				return nil, fmt.Errorf("bayes store lock %s: another mailgw learn is running", path)
			}
			return nil, fmt.Errorf("bayes store lock %s: %w", path, err)
		}
		time.Sleep(50 * time.Millisecond) // polling a lock, as bbolt does
	}
}

// Learn implements Store, in one transaction.
func (b *Bolt) Learn(ctx context.Context, messages [][]string, spam bool) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		t, err := tx.CreateBucketIfNotExists(bucketTokens)
		if err != nil {
			return err
		}
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		for _, tokens := range messages {
			for _, tok := range tokens {
				if err := t.Put([]byte(tok), encodeCounts(bump(decodeCounts(t.Get([]byte(tok))), spam))); err != nil {
					return err
				}
			}
		}
		tot := decodeCounts(m.Get(keyTotals))
		for range messages {
			tot = bump(tot, spam)
		}
		return m.Put(keyTotals, encodeCounts(tot))
	})
}

func bump(c Counts, spam bool) Counts {
	if spam {
		c.Spam++
	} else {
		c.Ham++
	}
	return c
}

// Counts are stored as two unsigned varints.
func encodeCounts(c Counts) []byte {
	b := binary.AppendUvarint(nil, uint64(c.Spam))
	return binary.AppendUvarint(b, uint64(c.Ham))
}

func decodeCounts(b []byte) Counts {
	s, n := binary.Uvarint(b)
	if n <= 0 {
		return Counts{}
	}
	h, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return Counts{Spam: int64(s)}
	}
	return Counts{Spam: int64(s), Ham: int64(h)}
}
