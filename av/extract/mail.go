package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// mbox

func openMbox(_ *walker, _ *Member, data []byte) (archive, error) {
	return &mboxArchive{rest: data}, nil
}

type mboxArchive struct {
	untracked
	rest []byte
	n    int
}

// next cuts the next message. A separator is a "From " line followed by a
// header field, so an unescaped "From " line in a body does not split it.
func (a *mboxArchive) next() (*entry, error) {
	if len(a.rest) == 0 {
		return nil, io.EOF
	}
	_, msg, _ := bytes.Cut(a.rest, []byte("\n")) // drop the "From " line
	end := len(msg)
	for off := 0; ; {
		i := bytes.Index(msg[off:], []byte("\nFrom "))
		if i < 0 {
			break
		}
		if isMbox(msg[off+i+1:]) {
			end = off + i + 1
			break
		}
		off += i + 1
	}
	a.rest = msg[end:]
	msg = msg[:end]
	a.n++
	return &entry{name: "message" + strconv.Itoa(a.n), hint: typeMessage, size: int64(len(msg)), exact: true,
		open: func() (io.Reader, error) { return bytes.NewReader(msg), nil }}, nil
}

// RFC 822 messages

// maxMultipartNesting bounds the stack of nested multiparts in one message.
const maxMultipartNesting = 64

func openMessage(_ *walker, _ *Member, data []byte) (archive, error) {
	e, err := message.Read(bytes.NewReader(data))
	if err = tolerable(err); err != nil {
		return nil, fmt.Errorf("message header: %w", err)
	}
	a := &messageArchive{}
	if mr := e.MultipartReader(); mr != nil {
		a.stack = []*multipartLevel{{r: mr}}
	} else {
		a.single = e
	}
	return a, nil
}

// tolerable drops the errors go-message reports for entities that are
// still readable: unknown charsets and transfer encodings (the body is
// then given undecoded, which is what we scan, e.g. x-uuencode).
func tolerable(err error) error {
	if err != nil && (message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
		return nil
	}
	return err
}

type messageArchive struct {
	untracked
	single *message.Entity // a message that is not multipart: its body is part 1
	stack  []*multipartLevel
}

type multipartLevel struct {
	r      message.MultipartReader
	prefix string // IMAP part number of this multipart, with a trailing dot
	n      int    // parts seen
}

// next returns the next leaf part in pre-order; multiparts are descended
// into, not reported.
func (a *messageArchive) next() (*entry, error) {
	if e := a.single; e != nil {
		a.single = nil
		return leaf(e, "1"), nil
	}
	for len(a.stack) > 0 {
		top := a.stack[len(a.stack)-1]
		p, err := top.r.NextPart()
		if err == io.EOF {
			a.stack = a.stack[:len(a.stack)-1]
			continue
		}
		if err = tolerable(err); err != nil {
			return nil, err
		}
		if p == nil {
			return nil, errors.New("unreadable part")
		}
		top.n++
		num := top.prefix + strconv.Itoa(top.n)
		if mr := p.MultipartReader(); mr != nil {
			if len(a.stack) >= maxMultipartNesting {
				return nil, errors.New("multipart nested deeper than " + strconv.Itoa(maxMultipartNesting))
			}
			a.stack = append(a.stack, &multipartLevel{r: mr, prefix: num + "."})
			continue
		}
		return leaf(p, num), nil
	}
	return nil, io.EOF
}

// leaf lists a single part: named by its file name, else "part" and its
// number. A part declared message/* is a message if its content does not
// say otherwise.
func leaf(e *message.Entity, num string) *entry {
	h := mail.AttachmentHeader{Header: e.Header}
	name, err := h.Filename()
	if name = baseName(name); err != nil || name == "" {
		name = "part" + num
	}
	en := &entry{name: name, size: -1, open: func() (io.Reader, error) { return e.Body, nil }}
	if t, _, err := e.Header.ContentType(); err == nil && (t == "message/rfc822" || t == "message/global") {
		en.hint = typeMessage
	}
	return en
}

// uuencoded blocks

func openUU(_ *walker, _ *Member, data []byte) (archive, error) {
	return &uuArchive{rest: data}, nil
}

type uuArchive struct {
	untracked
	rest []byte
}

func (a *uuArchive) next() (*entry, error) {
	start, name := findUUBegin(a.rest)
	if start < 0 {
		return nil, io.EOF
	}
	body := a.rest[start:]
	end := uuBlockEnd(body)
	block := body[:end]
	a.rest = body[end:]
	if name == "" {
		name = "uudata"
	}
	return &entry{name: name, size: -1,
		open: func() (io.Reader, error) { return bytes.NewReader(uudecode(block)), nil }}, nil
}

// findUUBegin finds the first "begin MODE NAME" line followed by a valid
// uuencoded line; it returns the offset of that line (after "begin") and
// the name, or -1.
func findUUBegin(d []byte) (int, string) {
	for off := 0; off < len(d); {
		i := bytes.Index(d[off:], []byte("begin "))
		if i < 0 {
			return -1, ""
		}
		at := off + i
		off = at + len("begin ")
		if at > 0 && d[at-1] != '\n' {
			continue
		}
		line, rest, ok := bytes.Cut(d[at:], []byte("\n"))
		if !ok {
			return -1, ""
		}
		name, valid := parseBegin(line)
		if !valid {
			continue
		}
		first, _, _ := bytes.Cut(rest, []byte("\n"))
		if uuLineValid(first) {
			return at + len(line) + 1, name
		}
	}
	return -1, ""
}

// parseBegin parses "begin 644 name" (mode: three or four octal digits).
func parseBegin(line []byte) (string, bool) {
	f := strings.SplitN(strings.TrimRight(string(line), "\r"), " ", 3)
	if len(f) != 3 || f[0] != "begin" || len(f[1]) < 3 || len(f[1]) > 4 {
		return "", false
	}
	for _, c := range f[1] {
		if c < '0' || c > '7' {
			return "", false
		}
	}
	return baseName(strings.TrimSpace(f[2])), true
}

// hasUUBlock reports whether d holds a uuencoded block.
func hasUUBlock(d []byte) bool {
	i, _ := findUUBegin(d)
	return i >= 0
}

// uuLineValid checks a line's length character against its length.
func uuLineValid(line []byte) bool {
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return false
	}
	n := int((line[0] - ' ') & 63)
	if line[0] < ' ' || line[0] > '`' {
		return false
	}
	need := (n + 2) / 3 * 4
	return len(line)-1 >= need && len(line)-1 <= need+2
}

// uuBlockEnd returns where the block starting at d ends: after its "end"
// line, or at the first line that is not uuencoded.
func uuBlockEnd(d []byte) int {
	off := 0
	for off < len(d) {
		line, _, ok := bytes.Cut(d[off:], []byte("\n"))
		next := off + len(line) + 1
		if !ok {
			next = len(d)
		}
		t := bytes.TrimRight(line, "\r ")
		if bytes.Equal(t, []byte("end")) {
			return next
		}
		if !uuLineValid(line) && !bytes.Equal(t, []byte("`")) {
			return off
		}
		off = next
	}
	return len(d)
}

// uudecode decodes the lines of a block, stopping at the first invalid one.
func uudecode(block []byte) []byte {
	out := make([]byte, 0, len(block)*3/4)
	for len(block) > 0 {
		line, rest, _ := bytes.Cut(block, []byte("\n"))
		block = rest
		line = bytes.TrimRight(line, "\r")
		if !uuLineValid(line) {
			break
		}
		n := int((line[0] - ' ') & 63)
		if n == 0 {
			break
		}
		var buf [3]byte
		for i := 1; i+3 < len(line)+1 && n > 0; i += 4 {
			var q [4]byte
			for j := range q {
				if i+j < len(line) {
					q[j] = (line[i+j] - ' ') & 63
				}
			}
			buf[0] = q[0]<<2 | q[1]>>4
			buf[1] = q[1]<<4 | q[2]>>2
			buf[2] = q[2]<<6 | q[3]
			k := min(n, 3)
			out = append(out, buf[:k]...)
			n -= k
		}
	}
	return out
}
