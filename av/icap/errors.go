package icap

import (
	"errors"
	"fmt"
)

// Causes a Scan error can wrap; test them with errors.Is or errors.As.
var (
	// ErrUnavailable: the server could not be reached or closed the
	// connection before a complete response. Temporary.
	ErrUnavailable = errors.New("ICAP server unavailable")
	// ErrProtocol: the server's response does not follow RFC 3507.
	// Permanent: the peer is not an ICAP server this client understands.
	ErrProtocol = errors.New("malformed ICAP response")
	// ErrMethod: the service's OPTIONS do not list the method configured
	// (RFC 3507 section 4.10.2, Methods). Permanent.
	ErrMethod = errors.New("ICAP service does not offer the method")
)

// StatusError is an ICAP error status (RFC 3507 section 4.3.3): the server
// refused or failed the request.
type StatusError struct {
	Code   int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("ICAP status %d %s", e.Code, e.Reason) }

// temporary: server errors and overload may pass (500, 503; 408 request
// timeout); a wrong service, method or request will not (404, 405, 400,
// 501, 505).
func (e *StatusError) temporary() bool {
	return e.Code == 408 || e.Code >= 500 && e.Code != 501 && e.Code != 505
}

// Error is the type of every error Scan and Options return. It means the
// object was not scanned; it never comes with a clean Result.
type Error struct {
	Op  string // "scan", "options"
	URL string
	// Temporary is true for outages, timeouts and server errors (try
	// again later); false when retrying cannot help (a refused method or
	// service, a foreign protocol).
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("icap %s %s (%s): %v", e.Op, e.URL, kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether err is an ICAP error worth retrying later.
// Errors of other types count as temporary, so that an unknown failure
// delays mail rather than loses it.
func Temporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary
	}
	return err != nil
}

// temporary classifies a cause for Error.Temporary.
func temporary(err error) bool {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return se.temporary()
	case errors.Is(err, ErrProtocol), errors.Is(err, ErrMethod):
		return false
	}
	return true
}
