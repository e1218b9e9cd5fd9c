package quarantine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The index (.index.db, a bbolt file) caches the content of every ID.json
// so that listing a large store reads one file instead of thousands. It is
// only a cache: it is brought up to date against the directory on every
// List (entries are keyed by ID and stamped with their file's mtime and
// size; new, changed and removed files are noticed), it is rebuilt from
// scratch when missing, damaged or of another format, and when another
// process holds it List reads the files instead. Put, Remove and Release
// never touch it, so the daemon never waits for an administrator's listing.
//
// A record is the file's mtime (8 bytes, big endian, nanoseconds), its size
// (8 bytes) and the parsed metadata in a compact binary form.

// Names in the index file.
const (
	metaBucket = "meta"
	infoBucket = "info"
	formatKey  = "format"
)

// indexFormat changes whenever the record layout does; an index of
// another format is dropped and rebuilt.
const indexFormat = "mailgw-quarantine-index-1"

const recordHeader = 16

// loadMetas returns the metadata of files, through the index when it can
// be used; damaged reports the files that could not be parsed.
func (s *Store) loadMetas(files map[string]stamp) (metas []Meta, damaged error) {
	if s.opts.NoIndex {
		return s.scan(files)
	}
	metas, bad, err := s.indexed(files)
	if err != nil {
		// Busy, unwritable or damaged: the files answer instead.
		return s.scan(files)
	}
	return metas, errors.Join(bad...)
}

// indexed brings the index up to date with files and returns their
// metadata, and the errors of the files that could not be parsed. bbolt
// panics on some kinds of file corruption; such an index is deleted so
// that the next List rebuilds it.
func (s *Store) indexed(files map[string]stamp) (metas []Meta, damaged []error, err error) {
	path := filepath.Join(s.dir, indexName)
	var db *bbolt.DB
	defer func() {
		if r := recover(); r != nil {
			metas, damaged, err = nil, nil, fmt.Errorf("index %s is damaged: %v", path, r)
			if db != nil {
				_ = db.Close()
			}
			_ = os.Remove(path)
		}
	}()
	db, err = s.openIndex(path)
	if err != nil {
		return nil, nil, err
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := metaBucketOf(tx)
		if err != nil {
			return err
		}
		metas, damaged, err = s.syncIndex(b, files)
		return err
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return metas, damaged, err
}

// openIndex opens the index, waiting at most LockTimeout for another
// process to release it. A file bbolt cannot open for another reason than
// the lock or permissions is damaged, and is replaced.
func (s *Store) openIndex(path string) (*bbolt.DB, error) {
	opts := &bbolt.Options{
		Timeout: s.opts.LockTimeout,
		// A cache need not survive a power failure: a damaged index is
		// detected and rebuilt, so fsyncs would only slow listing down.
		NoSync: true, NoGrowSync: true, NoFreelistSync: true,
	}
	db, err := bbolt.Open(path, fileMode, opts)
	if err == nil || errors.Is(err, bolterrors.ErrTimeout) || errors.Is(err, fs.ErrPermission) {
		return db, err
	}
	if rerr := os.Remove(path); rerr != nil {
		return nil, err
	}
	return bbolt.Open(path, fileMode, opts)
}

// metaBucketOf returns the bucket of records, emptied first when the index
// was written in another format.
func metaBucketOf(tx *bbolt.Tx) (*bbolt.Bucket, error) {
	info, err := tx.CreateBucketIfNotExists([]byte(infoBucket))
	if err != nil {
		return nil, err
	}
	if string(info.Get([]byte(formatKey))) != indexFormat {
		if err := tx.DeleteBucket([]byte(metaBucket)); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return nil, err
		}
		if err := info.Put([]byte(formatKey), []byte(indexFormat)); err != nil {
			return nil, err
		}
	}
	return tx.CreateBucketIfNotExists([]byte(metaBucket))
}

// syncIndex drops the records of files that are gone, reads the files
// that are new or changed, and returns the metadata of all of files. One
// pass of a cursor over the records is much cheaper than a lookup per file.
func (s *Store) syncIndex(b *bbolt.Bucket, files map[string]stamp) ([]Meta, []error, error) {
	metas := make([]Meta, 0, len(files))
	current := make(map[string]bool, len(files))
	var gone [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		st, ok := files[string(k)]
		if !ok {
			gone = append(gone, slices.Clone(k))
			continue
		}
		if rst, m, err := decodeRecord(v); err == nil && rst == st && m.ID == string(k) {
			metas = append(metas, m)
			current[m.ID] = true
		}
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return nil, nil, err
		}
	}
	var damaged []error
	for id, st := range files {
		if current[id] {
			continue
		}
		m, err := s.readRecord(b, id, st)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case errors.Is(err, ErrDamaged):
			damaged = append(damaged, err)
		case err != nil:
			return nil, nil, err
		default:
			metas = append(metas, m)
		}
	}
	return metas, damaged, nil
}

// readRecord reads id's metadata from its file, whose stamp is st, and
// records it in the index.
func (s *Store) readRecord(b *bbolt.Bucket, id string, st stamp) (Meta, error) {
	path := s.path(id, extJSON)
	key := []byte(id)
	data, err := os.ReadFile(path)
	if err != nil {
		if derr := b.Delete(key); derr != nil {
			return Meta{}, derr
		}
		if errors.Is(err, fs.ErrNotExist) {
			return Meta{}, err
		}
		return Meta{}, fmt.Errorf("%w %s: %v", ErrDamaged, path, err)
	}
	m, err := parseMetaFile(path, id, data)
	if err != nil {
		// No record: the file is parsed and reported again next time.
		return Meta{}, errors.Join(err, b.Delete(key))
	}
	return m, b.Put(key, encodeRecord(st, &m))
}

// encodeRecord makes the index record of m, whose file has stamp st:
// the stamp, then m's fields (strings and lists length-prefixed, numbers
// as varints). Decoding it is far cheaper than parsing the JSON again.
func encodeRecord(st stamp, m *Meta) []byte {
	b := make([]byte, recordHeader, 256)
	binary.BigEndian.PutUint64(b[0:], uint64(st.mtime))
	binary.BigEndian.PutUint64(b[8:], uint64(st.size))
	b = appendString(b, m.ID)
	b = appendString(b, m.Status)
	b = binary.AppendVarint(b, m.Size)
	_, offset := m.Arrival.Zone()
	b = binary.AppendVarint(b, m.Arrival.Unix())
	b = binary.AppendVarint(b, int64(m.Arrival.Nanosecond()))
	b = binary.AppendVarint(b, int64(offset))
	ip, _ := m.ClientIP.MarshalBinary() // never fails
	b = appendString(b, string(ip))
	b = appendString(b, m.Sender)
	b = appendList(b, m.Recipients)
	b = appendString(b, m.Group)
	b = appendList(b, m.Reasons)
	return appendString(b, m.QueueID)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// decodeRecord is the inverse of encodeRecord. The index may be damaged,
// so every length is checked and the result checked like a parsed file.
func decodeRecord(v []byte) (stamp, Meta, error) {
	if len(v) < recordHeader {
		return stamp{}, Meta{}, errors.New("index record too short")
	}
	st := stamp{mtime: int64(binary.BigEndian.Uint64(v[0:])), size: int64(binary.BigEndian.Uint64(v[8:]))}
	r := recordReader{b: v[recordHeader:]}
	var m Meta
	m.ID, m.Status, m.Size = r.string(), r.string(), r.varint()
	sec, nsec, offset := r.varint(), r.varint(), r.varint()
	ip := r.string()
	m.Sender, m.Recipients, m.Group, m.Reasons, m.QueueID = r.string(), r.list(), r.string(), r.list(), r.string()
	if r.err == nil && len(r.b) > 0 {
		r.err = errors.New("index record: trailing bytes")
	}
	if r.err == nil && (nsec < 0 || nsec >= 1e9 || offset < -100*3600 || offset > 100*3600) {
		r.err = errors.New("index record: bad time")
	}
	if r.err != nil {
		return st, Meta{}, r.err
	}
	m.Arrival = time.Unix(sec, nsec).In(time.FixedZone("", int(offset)))
	if offset == 0 {
		m.Arrival = m.Arrival.UTC()
	}
	if err := m.ClientIP.UnmarshalBinary([]byte(ip)); err != nil {
		return st, Meta{}, fmt.Errorf("index record: %w", err)
	}
	return st, m, m.check()
}

// recordReader reads the fields of a record; the first error sticks and
// makes every later read return zero values.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errors.New("index record: bad number")
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *recordReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	n, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errors.New("index record: bad number")
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *recordReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("index record: string longer than the record")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *recordReader) list() []string {
	n := r.uvarint()
	// Each item takes at least one byte: a bigger count is damage, and
	// must not allocate.
	if r.err != nil || n > uint64(len(r.b)) {
		if r.err == nil {
			r.err = errors.New("index record: list longer than the record")
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.string()
	}
	return l
}
