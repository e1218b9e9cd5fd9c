package quarantine

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxIDLen bounds an ID so that ID.sending and the temporary names built
// from it stay far below NAME_MAX (255 bytes).
const maxIDLen = 64

// idTimeLayout is the time part of a new ID: UTC, fixed width, so that IDs
// sort in order of creation as plain strings (ls, sort, the index).
const idTimeLayout = "20060102T150405.000000"

// idAlphabet is lowercase base32 without look-alike letters; lowercase
// only, so that IDs stay distinct on case-insensitive file systems.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// ErrInvalidID is returned for an ID that could not name a stored message.
var ErrInvalidID = errors.New("invalid message ID")

// NewID returns a new message ID: the UTC time to the microsecond, then 10
// random base32 characters (50 bits), e.g. "20071212T121351123456-k3j5x9q2ab".
// The random part keeps IDs unique across processes writing to one store
// in the same microsecond.
func NewID(now time.Time) string {
	var b [10]byte
	// crypto/rand.Read never returns an error (Go 1.24+).
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = idAlphabet[b[i]&31]
	}
	// The layout's dot is dropped: IDs contain no dots, so that "ID.eml"
	// splits unambiguously and no ID is "." or "..".
	ts := strings.Replace(now.UTC().Format(idTimeLayout), ".", "", 1)
	return ts + "-" + string(b[:])
}

// CheckID reports why id cannot name a stored message. IDs are given on
// the command line and become file names, so only [0-9A-Za-z_-] is
// accepted, up to 64 characters, not starting with '-' (it would read as a
// flag to the shell tools an administrator uses on the files). This is
// wider than what NewID makes, so that messages imported under other
// names (the predecessor's "jFDpgGKo70777") stay usable.
func CheckID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidID)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%w %.20q...: longer than %d characters", ErrInvalidID, id, maxIDLen)
	}
	if id[0] == '-' {
		return fmt.Errorf("%w %q: starts with '-'", ErrInvalidID, id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !isIDChar(c) {
			return fmt.Errorf("%w %q: character %q is not allowed (only letters, digits, '_' and '-')", ErrInvalidID, id, c)
		}
	}
	return nil
}

func isIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}
