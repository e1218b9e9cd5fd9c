package pyzor

import (
	"errors"
	"fmt"
)

// Causes an Error can wrap; test them with errors.Is.
var (
	// ErrNoAnswer: the server sent no reply in time, or the network
	// refused the request. Temporary.
	ErrNoAnswer = errors.New("no answer from the Pyzor server")
	// ErrProtocol: the reply is not a Pyzor reply this client reads.
	// Permanent: the peer is not a Pyzor server we understand.
	ErrProtocol = errors.New("unexpected reply from the Pyzor server")
)

// Error is the type of every error of a request. It means the server said
// nothing about the digest; it never comes with counts.
type Error struct {
	Op     string // "check", "report", "whitelist"
	Server string
	// Temporary is true for outages, timeouts and the server's own
	// failures (Code 5xx other than 505); false when asking again cannot
	// help (a refused request, an unsupported protocol version, a reply
	// we cannot read).
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("pyzor %s %s (%s): %v", e.Op, e.Server, kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ServerError is a reply whose Code is not 200: pyzord's 400 (bad
// request), 401 (bad signature), 403 (operation not allowed for the
// user), 500 (internal error) or 505 (protocol version).
type ServerError struct {
	Code int
	Diag string
}

func (e *ServerError) Error() string { return fmt.Sprintf("server says %d %s", e.Code, e.Diag) }

// temporary reports whether a server's Code is worth asking again later.
func (e *ServerError) temporary() bool { return e.Code >= 500 && e.Code != codeVersion }

// Temporary reports whether err is a Pyzor error worth retrying later.
// Errors of other types count as temporary, so that an unknown failure is
// never taken for a clean answer.
func Temporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary
	}
	return err != nil
}
