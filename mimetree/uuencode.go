package mimetree

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Classic uuencode ("begin 644 name", lines of a length character and
// 4-character groups, "end") predates MIME and has no RFC. No maintained Go
// library decodes it tolerantly and reports where each block lies, which the
// policy engine needs to cut blocks out, so the few lines below do it.

// findUU adds a KindUUEncoded child to the text leaf o for every uuencoded
// block in its content.
func (p *parser) findUU(o *Object) {
	c := o.Content
	for i := 0; i < len(c); {
		line, next := cutLine(c, i)
		name, ok := uuBegin(line)
		if !ok {
			i = next
			continue
		}
		end, data, err := uuDecode(c, next)
		u := p.add(o)
		if u == nil {
			o.Err = errors.Join(o.Err, ErrTooManyParts)
			return
		}
		*u = Object{
			ID: u.ID, Parent: o, Depth: u.Depth,
			Path:        uuPath(o.Path, len(o.Children)),
			Kind:        KindUUEncoded,
			MediaType:   "application/octet-stream",
			Name:        name,
			Disposition: "attachment",
			Content:     data,
			Err:         err,
			BlockStart:  i,
			BlockEnd:    end,
		}
		i = end
	}
}

// uuBegin recognizes "begin MODE NAME" (MODE: 3 or 4 octal digits).
func uuBegin(line []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("begin "))
	if !ok {
		return "", false
	}
	rest = bytes.TrimLeft(rest, " ")
	n := 0
	for n < len(rest) && '0' <= rest[n] && rest[n] <= '7' {
		n++
	}
	if n < 3 || n > 4 || n == len(rest) || rest[n] != ' ' {
		return "", false
	}
	name := strings.TrimSpace(string(rest[n:]))
	return name, name != ""
}

// uuDecode decodes the data lines starting at c[i] up to and including the
// "end" line. It returns where the block ends: after "end", or before the
// first line that is not uuencoded data (an error, as is a missing "end").
func uuDecode(c []byte, i int) (end int, data []byte, err error) {
	for i < len(c) {
		line, next := cutLine(c, i)
		if string(bytes.TrimSpace(line)) == "end" {
			return next, data, nil
		}
		if !uuLine(line) {
			return i, data, fmt.Errorf("%w: unexpected line %q", ErrBadUUEncode, truncate(line, 40))
		}
		data = uuDecodeLine(data, line)
		i = next
	}
	return len(c), data, fmt.Errorf("%w: no \"end\" line", ErrBadUUEncode)
}

// uuLine reports whether every character is in the uuencode alphabet
// (space to backquote); an empty line counts as a zero-length line.
func uuLine(line []byte) bool {
	for _, ch := range line {
		if ch < ' ' || ch > '`' {
			return false
		}
	}
	return true
}

// uuDecodeLine appends the bytes encoded by one line. Missing trailing
// characters (relays strip trailing spaces) count as zero.
func uuDecodeLine(dst, line []byte) []byte {
	if len(line) == 0 {
		return dst
	}
	n := int(uuValue(line[0]))
	body := line[1:]
	for k := 0; k < n; k += 3 {
		var v uint32
		for j := range 4 {
			v <<= 6
			if idx := k/3*4 + j; idx < len(body) {
				v |= uint32(uuValue(body[idx]))
			}
		}
		chunk := []byte{byte(v >> 16), byte(v >> 8), byte(v)}
		dst = append(dst, chunk[:min(3, n-k)]...)
	}
	return dst
}

// uuValue maps a character to its 6-bit value; "`" stands for 0 like space.
func uuValue(c byte) byte { return (c - ' ') & 0x3f }
