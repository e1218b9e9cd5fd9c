package quarantine

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mailgw/mailgw/internal/durable"
)

// leftoverAge is how old a temporary file or an ID.eml without metadata
// must be before Purge removes it: younger ones may belong to a Put in
// progress, which takes well under a second.
const leftoverAge = time.Hour

// Purge removes the messages that arrived more than olderThan ago, the
// ID.sent markers as old, and what interrupted writes left behind. It
// returns the number of messages removed. Messages being released are
// left alone. Damaged files are not removed (their age is unknown) but
// reported in an error wrapping ErrDamaged.
func (s *Store) Purge(olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("purge %s: age %v must be positive", s.dir, olderThan)
	}
	cutoff := s.opts.Now().Add(-olderThan)
	metas, damaged := s.List(Filter{Before: cutoff})
	if damaged != nil && !errors.Is(damaged, ErrDamaged) {
		return 0, damaged
	}
	n := 0
	var errs []error
	for _, m := range metas {
		err := s.remove(m.ID)
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrClaimed), errors.Is(err, ErrAlreadySent):
			// Removed or claimed by another process since the listing.
		default:
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.sweep(cutoff)...)
	if err := durable.SyncDir(s.dir); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(append(errs, damaged)...)
}

// sweep removes temporary files and orphaned ID.eml files older than
// leftoverAge, and ID.sent markers older than cutoff.
func (s *Store) sweep(cutoff time.Time) []error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return []error{fmt.Errorf("%w: %v", ErrNoStore, err)}
	}
	has := make(map[string]bool, len(entries))
	for _, e := range entries {
		has[e.Name()] = true
	}
	leftover := s.opts.Now().Add(-leftoverAge)
	var errs []error
	for _, e := range entries {
		name := e.Name()
		id, ext, ok := splitName(name)
		var old time.Time
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			old = leftover
		case ok && ext == extSent:
			old = cutoff
		case ok && ext == extEML && !has[id+extJSON] && !has[id+extSending]:
			old = leftover
		default:
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(old) {
			continue
		}
		if err := removeIfExists(s.path(name, "")); err != nil {
			errs = append(errs, fmt.Errorf("purge %s: %w", s.dir, err))
		}
	}
	return errs
}
