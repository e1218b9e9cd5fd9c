package clamd

import (
	"errors"
	"fmt"
)

// Causes a Scan error can wrap; test them with errors.Is.
var (
	// ErrUnavailable: no address accepted the scan (refused, unreachable,
	// closed before replying). Temporary.
	ErrUnavailable = errors.New("no clamd address answered")
	// ErrSizeLimit: the object is larger than clamd's StreamMaxLength.
	// Permanent: the same object will be refused again; raise
	// StreamMaxLength in clamd.conf to scan it.
	ErrSizeLimit = errors.New("object exceeds clamd's StreamMaxLength")
	// ErrProtocol: clamd's reply was not one this client knows. Permanent:
	// the peer is not a clamd we understand.
	ErrProtocol = errors.New("unexpected reply from clamd")
)

// Error is the type of every error Scan, Ping and Version return. It means
// the object was not scanned; it never comes with a clean Result.
type Error struct {
	Op   string // "scan", "ping", "version"
	Addr string // the address that gave the final answer; "" when none did
	// Temporary is true for outages and timeouts (try again later) and for
	// errors clamd reports about itself; false when retrying the same
	// object cannot help (size limit, unknown command, foreign protocol).
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Addr == "" {
		return fmt.Sprintf("clamd %s (%s): %v", e.Op, kind, e.Err)
	}
	return fmt.Sprintf("clamd %s %s (%s): %v", e.Op, e.Addr, kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether err is a clamd error worth retrying later.
// Errors of other types (none are returned by this package) count as
// temporary, so that an unknown failure delays mail rather than loses it.
func Temporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary
	}
	return err != nil
}

// replyError is clamd's own "... ERROR" answer other than the size limit,
// e.g. "stream: Can't allocate memory ERROR".
type replyError struct {
	reply string
}

func (e *replyError) Error() string { return "clamd says " + e.reply }
