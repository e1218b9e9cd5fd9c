package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

const (
	maxIncludeDepth = 16       // nesting of !include below the main file
	maxFileSize     = 16 << 20 // bytes; an included or file: file is text, never this big
)

// srcLine is one line of the expanded text, trimmed, with where it was written.
type srcLine struct {
	text string
	pos  Pos
}

// expander performs the textual inclusion of !include files.
type expander struct {
	errs  *ErrorList
	lines []srcLine
	stack []string // cleaned absolute paths of the files being expanded, outermost first
}

// expandText returns the lines of data with every !include replaced by the
// included file's lines. The !include line itself stays (it reads as a
// directive, which stops continuation lines, like in the original text).
func expandText(name string, data []byte, errs *ErrorList) []srcLine {
	e := &expander{errs: errs}
	e.expand(name, data)
	return e.lines
}

func (e *expander) expand(name string, data []byte) {
	e.stack = append(e.stack, absPath(name))
	defer func() { e.stack = e.stack[:len(e.stack)-1] }()
	for i, text := range splitLines(data) {
		pos := Pos{File: name, Line: i + 1}
		e.lines = append(e.lines, srcLine{text: text, pos: pos})
		if strings.HasPrefix(text, "!") {
			e.directive(text, pos)
		}
	}
}

func (e *expander) directive(text string, pos Pos) {
	word, arg := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		word, arg = text[:i], text[i:]
	}
	if word != "!include" {
		e.errs.Add(pos, "unknown directive %q (only !include is known)", word)
		return
	}
	arg = strings.TrimSpace(arg)
	if arg == "" {
		e.errs.Add(pos, "!include needs a file name")
		return
	}
	path := resolvePath(pos.File, arg)
	if len(e.stack) > maxIncludeDepth {
		e.errs.Add(pos, "cannot include %s: includes nested deeper than %d", path, maxIncludeDepth)
		return
	}
	abs := absPath(path)
	if i := slices.Index(e.stack, abs); i >= 0 {
		cycle := append(slices.Clone(e.stack[i:]), abs)
		e.errs.Add(pos, "include cycle: %s", strings.Join(cycle, " -> "))
		return
	}
	data, err := readIncluded(path)
	if err != nil {
		e.errs.Add(pos, "cannot include %s: %v", path, err)
		return
	}
	e.expand(path, data)
}

// splitLines splits a file into trimmed lines, dropping a UTF-8 byte order
// mark and the empty "line" after a final newline.
func splitLines(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimSuffix(data, []byte("\n"))
	if len(data) == 0 {
		return nil
	}
	parts := strings.Split(string(data), "\n")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// resolvePath resolves p against the directory of the file named base. A
// base that is not a file (an override, the embedded default) leaves p
// relative to the working directory.
func resolvePath(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(base), p)
}

// absPath is the identity of a file for cycle detection.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// readIncluded reads a file named from inside the configuration. It must be
// a regular file: a name such as /dev/stdin or a FIFO would block the
// daemon, and /dev/zero would never end. /dev/null is accepted as empty
// (file:/dev/null is a common way to write an empty list).
func readIncluded(path string) ([]byte, error) {
	if path == os.DevNull {
		return nil, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return readLimited(path)
}

// readLimited reads at most maxFileSize bytes of path.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", maxFileSize>>20)
	}
	return data, nil
}

// unwrapPathError drops the path from an *os.PathError: the messages that
// use it name the path already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
