package bayes

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
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
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("bayes store %s is locked by another process (a running daemon holds it: stop it to learn, or use BayesStore=redis)", path)
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

// BoltFile is a read-only Store that opens its bbolt file for each
// lookup, so that a daemon never holds the file lock between messages:
// mailgw learn can write while daemons run, and they see what it learnt
// at once. A missing file is an untrained classifier, not an error.
type BoltFile struct {
	Path string
}

var _ Store = BoltFile{}

// Lookup implements Store.
func (f BoltFile) Lookup(ctx context.Context, tokens []string) (Counts, []Counts, error) {
	b, err := OpenBolt(f.Path, false)
	if errors.Is(err, os.ErrNotExist) {
		return Counts{}, make([]Counts, len(tokens)), nil
	}
	if err != nil {
		return Counts{}, nil, err
	}
	defer b.Close()
	return lookup(b.db, tokens)
}

// Learn implements Store: BoltFile is read-only.
func (f BoltFile) Learn(context.Context, [][]string, bool) error {
	return fmt.Errorf("bayes store %s: opened read-only", f.Path)
}

// Close implements Store.
func (f BoltFile) Close() error { return nil }

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
