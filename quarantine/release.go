package quarantine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/mailgw/mailgw/internal/durable"
)

// Release hands a message to deliver and removes it, so that each message
// is delivered at most once however many Releases run, in any number of
// processes; see the package documentation for the protocol.
//
// When deliver fails the message is put back unchanged, unless the error
// wraps ErrOutcomeUnknown: then the next hop may have taken it, and the
// message stays claimed for the administrator to decide.
func (s *Store) Release(id string, deliver func(Meta, []byte) error) error {
	if err := CheckID(id); err != nil {
		return err
	}
	if err := s.claim(id); err != nil {
		if errors.Is(err, ErrAlreadySent) && !exists(s.path(id, extJSON)) {
			// An earlier Release delivered it and may have stopped before
			// cleaning up.
			return errors.Join(err, s.cleanupSent(id))
		}
		return err
	}
	meta, err := s.readMeta(id, extSending)
	var raw []byte
	if err == nil {
		raw, err = s.readEML(id)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("release %s from %s: %w", id, s.dir, err), s.unclaim(id))
	}
	if err := deliver(meta, raw); err != nil {
		if errors.Is(err, ErrOutcomeUnknown) {
			return fmt.Errorf("release %s from %s: %w; it stays claimed as %s: check the next hop's log before sending it again",
				id, s.dir, err, s.path(id, extSending))
		}
		return errors.Join(fmt.Errorf("release %s from %s: %w: %w", id, s.dir, ErrNotDelivered, err), s.unclaim(id))
	}
	return s.finish(id)
}

// claim renames ID.json to ID.sending. rename(2) is atomic: of any number
// of claims of one message exactly one succeeds, and the message then no
// longer exists for List, Remove, Purge or another Release.
func (s *Store) claim(id string) error {
	sending := s.path(id, extSending)
	// rename would replace an existing claim, e.g. a stale one whose ID.json
	// an administrator restored from a backup; and a message restored from a
	// backup after it was released must not go twice. Both need a decision.
	if exists(sending) || exists(s.path(id, extSent)) {
		return s.absent(id)
	}
	err := os.Rename(s.path(id, extJSON), sending)
	for try := 0; errors.Is(err, fs.ErrNotExist); try++ {
		aerr := s.absent(id)
		// A failed release may have just put the message back.
		if try == 2 || !errors.Is(aerr, ErrNotFound) || !exists(s.path(id, extJSON)) {
			return aerr
		}
		err = os.Rename(s.path(id, extJSON), sending)
	}
	if err != nil {
		return fmt.Errorf("claim %s in %s: %w", id, s.dir, err)
	}
	// rename keeps the time the file was stored; a claim's age counts from
	// now.
	now := s.opts.Now()
	if err := os.Chtimes(sending, now, now); err != nil {
		return errors.Join(fmt.Errorf("claim %s in %s: %w", id, s.dir, err), s.unclaim(id))
	}
	// The claim must be on disk before anything is delivered.
	if err := durable.SyncDir(s.dir); err != nil {
		return errors.Join(err, s.unclaim(id))
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// unclaim puts a message back after a delivery that certainly failed.
func (s *Store) unclaim(id string) error {
	if err := os.Rename(s.path(id, extSending), s.path(id, extJSON)); err != nil {
		return fmt.Errorf("put %s back in %s: %w", id, s.dir, err)
	}
	return durable.SyncDir(s.dir)
}

// sentMarker is the content of ID.sent.
type sentMarker struct {
	ID   string    `json:"id"`
	Sent time.Time `json:"sent"`
}

// finish records the delivery in ID.sent, durably, before removing the
// message: if the removal is interrupted, the marker still says the
// message went, and nothing sends it again.
func (s *Store) finish(id string) error {
	data, err := json.Marshal(sentMarker{ID: id, Sent: s.opts.Now().Round(0)})
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path(id, extSent), append(data, '\n')); err != nil {
		return fmt.Errorf("%s was delivered, but %w; it stays claimed as %s: remove it and %s to keep it from being sent again",
			id, err, s.path(id, extSending), s.path(id, extEML))
	}
	if err := s.cleanupSent(id); err != nil {
		return fmt.Errorf("%s was delivered, but %w", id, err)
	}
	return nil
}

// cleanupSent removes what is left of a delivered message; its ID.sent
// stays until Purge, so that a later Release reports "already sent".
func (s *Store) cleanupSent(id string) error {
	for _, ext := range []string{extSending, extEML} {
		if err := removeIfExists(s.path(id, ext)); err != nil {
			return fmt.Errorf("remove sent message: %w", err)
		}
	}
	return durable.SyncDir(s.dir)
}

// claimedError describes a claim made at since: in progress, or so old
// that the process that made it has probably stopped.
func (s *Store) claimedError(id string, since time.Time) error {
	age := s.opts.Now().Sub(since)
	if age < s.opts.StaleAfter {
		return fmt.Errorf("%w: %s in %s, claimed %s ago", ErrClaimed, id, s.dir, age.Round(time.Second))
	}
	sending, eml := s.path(id, extSending), s.path(id, extEML)
	return fmt.Errorf("%w: %s in %s was claimed at %s and never finished; the sending process may have stopped after delivering it. "+
		"Check the next hop's log; to send it again: mv %s %s; to drop it: rm %s %s",
		ErrClaimed, id, s.dir, since.Format(time.RFC3339), sending, s.path(id, extJSON), sending, eml)
}

// Claim is a message being released.
type Claim struct {
	ID    string
	Since time.Time
	Stale bool // older than Options.StaleAfter: probably interrupted
}

// Claims lists the messages being released, oldest first.
func (s *Store) Claims() ([]Claim, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
	}
	var claims []Claim
	for _, e := range entries {
		id, ext, ok := splitName(e.Name())
		if !ok || ext != extSending {
			continue
		}
		if fi, err := e.Info(); err == nil {
			since := fi.ModTime()
			claims = append(claims, Claim{ID: id, Since: since, Stale: s.opts.Now().Sub(since) >= s.opts.StaleAfter})
		}
	}
	slices.SortFunc(claims, func(a, b Claim) int { return a.Since.Compare(b.Since) })
	return claims, nil
}
