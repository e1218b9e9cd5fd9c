// Package durable holds what the stores on disk (the relay queue, the
// quarantine, the Bayes file) share to make a change survive a crash.
package durable

import (
	"fmt"
	"os"
)

// SyncDir makes the directory entries of dir (creations, renames,
// removals) durable: a synced file that was renamed into place can still
// vanish with the rename after a crash until its directory is synced too.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
