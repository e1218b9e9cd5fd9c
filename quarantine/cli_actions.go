package quarantine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// run is one invocation of the tool, after its command line was checked.
type run struct {
	t              Tool
	st             *Store
	set            Settings
	o              *cliOptions
	stdout, stderr io.Writer
}

func (r *run) do() int {
	switch r.o.action {
	case "--show-all":
		return r.showAll()
	case "--show":
		return r.show(r.o.show)
	case "--remove-id":
		return r.removeID(r.o.removeID)
	case "--remove-all":
		return r.removeAll()
	case "--send-id":
		return r.sendID(r.o.sendID)
	case "--send-all":
		return r.sendAll()
	case "--purge-older-than":
		return r.purge(r.o.purge)
	case "--export":
		return r.export(r.o.export, r.o.out)
	}
	return r.fail(fmt.Errorf("action %s is not implemented", r.o.action))
}

// exitCode maps an error of the store to the tool's exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrOutcomeUnknown):
		return ExitSystem
	case errors.Is(err, ErrNoStore):
		return ExitNoStore
	case errors.Is(err, ErrInvalidID):
		return ExitUsage
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrClaimed),
		errors.Is(err, ErrAlreadySent), errors.Is(err, ErrNotDelivered):
		return ExitNotDone
	}
	return ExitSystem
}

// worse is the exit code that matters more when several messages had
// different outcomes: a system error over an action not performed.
func worse(a, b int) int {
	rank := func(c int) int { return [...]int{0, 2, 3, 4, 1}[c] }
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func (r *run) fail(err error) int {
	fmt.Fprintf(r.stderr, "%s: %v\n", r.t.name(), err)
	return exitCode(err)
}

// list is List with damaged files reported as warnings: one bad file
// must not hide the rest of the store.
func (r *run) list() ([]Meta, int) {
	metas, err := r.st.List(Filter{})
	if err != nil && !errors.Is(err, ErrDamaged) {
		return nil, r.fail(err)
	}
	r.warn(err)
	return metas, ExitOK
}

// warn prints each line of err as a warning.
func (r *run) warn(err error) {
	if err == nil {
		return
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(r.stderr, "%s: warning: %s\n", r.t.name(), line)
	}
}

func (r *run) showAll() int {
	metas, code := r.list()
	if code != ExitOK {
		return code
	}
	var total int64
	for i := range metas {
		fmt.Fprintln(r.stdout, r.line(&metas[i]))
		total += metas[i].Size
	}
	fmt.Fprintf(r.stdout, "Total: %d archived messages, %d bytes\n", len(metas), total)
	claims, err := r.st.Claims()
	if err != nil {
		return r.fail(err)
	}
	for _, c := range claims {
		state := "being sent"
		if c.Stale {
			state = "claimed for sending and never finished (see --send-id " + c.ID + ")"
		}
		fmt.Fprintf(r.stderr, "%s: note: %s %s since %s\n", r.t.name(), c.ID, state, r.date(c.Since))
	}
	return ExitOK
}

// line is the --show-all line of m: ID STATUS SIZE DATE IP <SENDER> -> <RCPT>,<RCPT>.
func (r *run) line(m *Meta) string {
	ip := "-"
	if m.ClientIP.IsValid() {
		ip = m.ClientIP.String()
	}
	return fmt.Sprintf("%s %s %d %s %s %s -> %s",
		m.ID, clean(m.Status), m.Size, r.date(m.Arrival), ip, angle(m.Sender), angleList(m.Recipients, ","))
}

func (r *run) date(t time.Time) string {
	loc := r.t.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(time.RFC1123Z)
}

func angle(addr string) string { return "<" + clean(addr) + ">" }

func angleList(addrs []string, sep string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = angle(a)
	}
	return strings.Join(out, sep)
}

func (r *run) show(id string) int {
	m, raw, err := r.st.Get(id)
	if err != nil {
		return r.fail(err)
	}
	w := r.stdout
	fmt.Fprintf(w, "ID: %s\nStatus: %s\nSize: %d\nArrival: %s\n", m.ID, clean(m.Status), m.Size, r.date(m.Arrival))
	ip := "-"
	if m.ClientIP.IsValid() {
		ip = m.ClientIP.String()
	}
	fmt.Fprintf(w, "Client-IP: %s\nSender: %s\nRecipients: %s\n", ip, angle(m.Sender), angleList(m.Recipients, ", "))
	for _, f := range [][2]string{{"Group", m.Group}, {"Queue-ID", m.QueueID}} {
		if f[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", f[0], clean(f[1]))
		}
	}
	for _, reason := range m.Reasons {
		fmt.Fprintf(w, "Reason: %s\n", clean(reason))
	}
	fmt.Fprintln(w)
	for _, h := range headerLines(raw) {
		fmt.Fprintln(w, clean(h))
	}
	return ExitOK
}

// headerLines returns the lines of the message header, without line ends.
func headerLines(raw []byte) []string {
	var lines []string
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		lines = append(lines, string(line))
		raw = rest
	}
	return lines
}

// clean makes s safe to print on a terminal: envelope addresses and
// headers come from strangers, and control characters (escape sequences,
// line breaks, bidirectional overrides) could forge or hide lines of the
// listing. They, and invalid UTF-8, are written as \xNN or \uNNNN.
func clean(s string) string {
	var b strings.Builder
	for i, c := range s {
		switch {
		case c == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case c == '\t':
			b.WriteRune(c)
		case c < 0x80 && (c < ' ' || c == 0x7f):
			fmt.Fprintf(&b, `\x%02x`, c)
		case unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) || c == '\u2028' || c == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (r *run) removeID(id string) int {
	if err := r.st.Remove(id); err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "Removed %s\n", id)
	return ExitOK
}

func (r *run) removeAll() int {
	metas, code := r.list()
	if code != ExitOK {
		return code
	}
	n, size := 0, int64(0)
	for _, m := range metas {
		if err := r.st.Remove(m.ID); err != nil {
			code = worse(code, r.fail(err))
			continue
		}
		n, size = n+1, size+m.Size
	}
	fmt.Fprintf(r.stdout, "Removed: %d of %d messages, %d bytes\n", n, len(metas), size)
	return code
}

// releaser is where released messages go, and its name for the output.
func (r *run) releaser() (deliver func(Meta, []byte) error, where string, err error) {
	if r.set.ReleaseVia == ViaQueue {
		deliver, err = r.t.QueueRelease(r.set.ReleaseQueue)
		if err != nil {
			return nil, "", fmt.Errorf("relay queue: %w", err)
		}
		return deliver, "the relay's queue " + r.set.ReleaseQueue, nil
	}
	return Deliverer{Addr: r.set.ReleaseHost, Helo: r.set.ReleaseHelo}.Deliver, r.set.ReleaseHost, nil
}

func (r *run) sendID(id string) int {
	deliver, where, err := r.releaser()
	if err == nil {
		err = r.st.Release(id, deliver)
	}
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "Sent %s to %s\n", id, where)
	return ExitOK
}

func (r *run) sendAll() int {
	metas, code := r.list()
	if code != ExitOK {
		return code
	}
	deliver, where, err := r.releaser()
	if err != nil {
		return r.fail(err)
	}
	n := 0
	for _, m := range metas {
		if err := r.st.Release(m.ID, deliver); err != nil {
			code = worse(code, r.fail(err))
			continue
		}
		fmt.Fprintf(r.stdout, "Sent %s to %s\n", m.ID, where)
		n++
	}
	fmt.Fprintf(r.stdout, "Sent: %d of %d messages\n", n, len(metas))
	return code
}

func (r *run) purge(arg string) int {
	age, err := ParseAge(arg)
	if err != nil {
		fmt.Fprintf(r.stderr, "%s: --purge-older-than: %v\n", r.t.name(), err)
		return ExitUsage
	}
	n, err := r.st.Purge(age)
	fmt.Fprintf(r.stdout, "Purged: %d messages older than %s\n", n, arg)
	if err != nil && !isOnlyDamaged(err) {
		return r.fail(err)
	}
	r.warn(err)
	return ExitOK
}

// isOnlyDamaged reports whether every error joined in err is about a
// damaged file, which Purge leaves alone by design.
func isOnlyDamaged(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !isOnlyDamaged(e) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, ErrDamaged)
}

// ParseAge reads an age for --purge-older-than: a number of days ("30d")
// or a Go duration ("12h", "90m"). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	const maxDays = 36500
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n <= 0 || n > maxDays {
			return 0, fmt.Errorf("%q: want a number of days from 1 to %d, such as 30d", s, maxDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive age such as 30d, 12h or 90m", s)
	}
	return d, nil
}

func (r *run) export(id, out string) int {
	_, raw, err := r.st.Get(id)
	if err != nil {
		return r.fail(err)
	}
	if out == "-" {
		if _, err := r.stdout.Write(raw); err != nil {
			return r.fail(err)
		}
		return ExitOK
	}
	if out == "" {
		out = id + extEML // Get checked id: a plain file name
	}
	if err := writeNew(out, raw); err != nil {
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(r.stderr, "%s: %s exists; not overwritten\n", r.t.name(), out)
			return ExitNotDone
		}
		return r.fail(err)
	}
	fmt.Fprintf(r.stdout, "Exported %s to %s\n", id, out)
	return ExitOK
}

// writeNew creates path, which must not exist, with mode 0600: it holds
// someone's mail.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
