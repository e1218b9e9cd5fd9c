// Package samplefile reads the line format that the sample files of the
// content checks share (docs/antispam.md): its one job is to split such a
// file into checked names and values, leaving the values to the package
// that owns the file.
//
// The format: UTF-8 text, one sample a line, `NAME<TAB>VALUE`. NAME is
// what a rule reports: 1 to MaxNameLen bytes of UTF-8 without tabs or
// other control characters, not starting with # or a space. Empty lines
// and lines starting with # are comments; lines end in LF or CRLF; spaces
// around VALUE are ignored.
package samplefile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Syntax of the format.
const (
	CommentPrefix = "#"
	Separator     = "\t"
	MaxNameLen    = 200
)

// Parse calls each with the name and value of every sample line of data,
// in order. An error (of the line or of each) names file and the line
// number.
func Parse(file string, data []byte, maxLine int, each func(name, value string) error) error {
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSuffix(string(raw), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, CommentPrefix) {
			continue
		}
		err := fmt.Errorf("line longer than %d bytes", maxLine)
		if len(line) <= maxLine {
			err = parseLine(line, each)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, n+1, err)
		}
	}
	return nil
}

func parseLine(line string, each func(name, value string) error) error {
	name, value, ok := strings.Cut(line, Separator)
	if !ok {
		return errors.New("want NAME<TAB>VALUE")
	}
	if err := CheckName(name); err != nil {
		return err
	}
	return each(name, strings.TrimSpace(value))
}

// CheckName reports whether name can be a sample name.
func CheckName(name string) error {
	switch {
	case name == "" || len(name) > MaxNameLen:
		return fmt.Errorf("the name must have 1 to %d bytes", MaxNameLen)
	case strings.HasPrefix(name, CommentPrefix) || strings.HasPrefix(name, " "):
		return errors.New("the name must not start with # or a space")
	case !utf8.ValidString(name):
		return errors.New("the name is not UTF-8")
	case strings.IndexFunc(name, isControl) >= 0:
		return errors.New("the name has control characters")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Line is the line (without the line end) of a sample.
func Line(name, value string) string { return name + Separator + value }
