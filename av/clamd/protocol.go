package clamd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode"
)

// The commands, from clamd(8) "COMMANDS". The z prefix asks for
// NUL-delimited commands and replies: a reply then ends at its NUL, never
// at a newline a signature name might contain.
const (
	cmdInstream = "zINSTREAM\x00"
	cmdPing     = "zPING\x00"
	cmdVersion  = "zVERSION\x00"
	replyEnd    = 0x00 // the delimiter a z command gets back
)

// What clamd answers, from clamd(8) INSTREAM and the sources of clamd 1.x
// (clamd/session.c, clamd/scanner.c).
const (
	replyPong        = "PONG"
	streamPrefix     = "stream: " // INSTREAM results name the object "stream"
	replyClean       = "OK"
	foundSuffix      = " FOUND"
	errorSuffix      = " ERROR"
	replySizeLimit   = "INSTREAM size limit exceeded. ERROR"
	replyUnknown     = "UNKNOWN COMMAND"
	replyUnavailable = "COMMAND UNAVAILABLE" // a command disabled in clamd.conf
)

const (
	// maxReply bounds what is read back: a clamd reply is one short line.
	maxReply = 4096
	// maxChunk keeps a chunk length inside the 4-byte field with room to
	// spare; clamd compares the running total with StreamMaxLength.
	maxChunk = 1 << 30
)

// endOfStream is the zero-length chunk that ends an INSTREAM (clamd(8)).
const endOfStream = "\x00\x00\x00\x00"

// writeInstream sends INSTREAM and data as clamd(8) describes it: chunks
// of '<length><data>', length a 4-byte unsigned integer in network byte
// order, then a zero-length chunk. The command goes out with the first
// chunk and each header with its data in one writev, without copying data.
func writeInstream(w io.Writer, data []byte, chunk int) error {
	bufs := net.Buffers{[]byte(cmdInstream)}
	for len(data) > 0 {
		n := min(len(data), chunk)
		bufs = append(bufs, binary.BigEndian.AppendUint32(nil, uint32(n)), data[:n])
		if _, err := bufs.WriteTo(w); err != nil {
			return err
		}
		data, bufs = data[n:], nil
	}
	bufs = append(bufs, []byte(endOfStream))
	_, err := bufs.WriteTo(w)
	return err
}

// errNoReply: the connection ended before clamd said anything. It is a
// connection failure, so Scan tries the next address.
var errNoReply = errors.New("connection closed without a reply")

// readReply reads one NUL-terminated reply. A reply cut short by the end
// of the connection is an error: the missing part might have changed its
// meaning.
func readReply(r io.Reader) (string, error) {
	buf := make([]byte, maxReply)
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		if i := bytes.IndexByte(buf[n:n+m], replyEnd); i >= 0 {
			return string(buf[:n+i]), nil
		}
		n += m
		switch {
		case err == io.EOF && n == 0:
			return "", errNoReply
		case err == io.EOF:
			return "", fmt.Errorf("reply %.100q cut short: %w", buf[:n], io.ErrUnexpectedEOF)
		case err != nil:
			return "", err
		}
	}
	return "", fmt.Errorf("%w: no reply end within %d bytes", ErrProtocol, maxReply)
}

// parseReply reads clamd's answer to INSTREAM. Only the exact "stream: OK"
// is clean; anything unknown is ErrProtocol, never clean.
func parseReply(reply string) (Result, error) {
	switch {
	case reply == replySizeLimit:
		return Result{}, ErrSizeLimit
	case reply == replyUnknown || reply == replyUnavailable:
		return Result{}, fmt.Errorf("%w: %q (clamd older than 0.95 or the command disabled)", ErrProtocol, reply)
	case strings.HasSuffix(reply, errorSuffix):
		return Result{}, &replyError{reply: reply}
	}
	rest, ok := strings.CutPrefix(reply, streamPrefix)
	if !ok {
		return Result{}, fmt.Errorf("%w: %.100q", ErrProtocol, reply)
	}
	if rest == replyClean {
		return Result{}, nil
	}
	if sig, ok := strings.CutSuffix(rest, foundSuffix); ok && validSignature(sig) {
		return Result{Infected: true, Signature: sig}, nil
	}
	return Result{}, fmt.Errorf("%w: %.100q", ErrProtocol, reply)
}

// validSignature accepts what ClamAV names look like
// (Win.Test.EICAR_HDB-1, Heuristics.Encrypted.Zip, with ExtendedDetectionInfo
// "Name(md5:size)"): printable, no leading or trailing space. The name goes
// into logs and mail headers, so control characters are refused.
func validSignature(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// temporary says whether an error from a conversation with a live clamd is
// worth retrying later: clamd's own ERROR replies are (memory, temporary
// files, load), the size limit and a foreign protocol are not.
func temporary(err error) bool {
	return !errors.Is(err, ErrSizeLimit) && !errors.Is(err, ErrProtocol)
}
