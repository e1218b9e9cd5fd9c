package quarantine

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/internal/durable"
)

// File name suffixes. A message ID has two files, ID.eml and ID.json;
// releasing renames ID.json to ID.sending and leaves ID.sent behind.
const (
	extEML     = ".eml"
	extJSON    = ".json"
	extSending = ".sending"
	extSent    = ".sent"
	// tmpPrefix starts every temporary file: the leading dot hides it from
	// ls and from every listing, and no ID starts with a dot.
	tmpPrefix = ".tmp-"
	indexName = ".index.db"
)

// fileMode is for every file of a store: messages are private mail.
const fileMode = 0o600

// writeAtomic makes path hold data or, after a crash, either its old state
// or nothing: data goes to a temporary file in the same directory, which
// is synced and renamed over path, and then the directory is synced so
// that the rename itself is durable.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		_ = os.Remove(name)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return durable.SyncDir(dir)
}

// createTemp creates dir/.tmp-BASE-RANDOM with mode 0600. os.CreateTemp is
// not used because its mode may be widened by a future Go release; here
// the mode is part of the store's contract.
func createTemp(dir, base string) (*os.File, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, fmt.Sprintf("%s%s-%x", tmpPrefix, base, b))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("create temporary file in %s: too many name collisions", dir)
}

// removeIfExists removes path; a file already gone is not an error, as
// another process may have removed it first.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// splitName splits a directory entry into an ID and its suffix; ok is
// false for names that are not a store file (temporaries, the index, files
// an administrator left there).
func splitName(name string) (id, ext string, ok bool) {
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return "", "", false
	}
	id, ext = name[:dot], name[dot:]
	switch ext {
	case extEML, extJSON, extSending, extSent:
	default:
		return "", "", false
	}
	return id, ext, CheckID(id) == nil
}
