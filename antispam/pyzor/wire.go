package pyzor

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The Pyzor protocol (pyzor 1.0.0: message.py, account.py, client.py): a
// request and its reply are each one UDP datagram holding RFC 5322 header
// fields, "Name: value" lines ended by LF, and an empty line.
const (
	protoVersion  = "2.1" // PV; a server accepts any minor version of major 2
	anonymousUser = "anonymous"
	codeOK        = 200
	codeVersion   = 505 // the server does not speak our major version
	// Thread ids 0-1023 are reserved (ThreadId.ok_range).
	minThread = 1024
	maxThread = 65535
	// maxPacket is the largest reply read, client.py's max_packet_size.
	maxPacket = 8192
)

// Operations a client sends.
const (
	opCheck     = "check"
	opReport    = "report"
	opWhitelist = "whitelist"
)

// request is one request before signing.
type request struct {
	op     string
	digest string
	thread int
	user   string
	key    string // the account key; "" for anonymous
	time   int64  // Unix seconds
}

// marshal renders the request with its signature, fields in the order
// pyzor's client sends them. report and whitelist carry the digest spec
// so that the server knows which lines were hashed.
func (r request) marshal() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Op: %s\nOp-Digest: %s\n", r.op, r.digest)
	if r.op == opReport || r.op == opWhitelist {
		var spec []string
		for _, s := range digestSpec {
			spec = append(spec, strconv.Itoa(s.Offset), strconv.Itoa(s.Length))
		}
		fmt.Fprintf(&b, "Op-Spec: %s\n", strings.Join(spec, ","))
	}
	fmt.Fprintf(&b, "Thread: %d\nPV: %s\nUser: %s\nTime: %d", r.thread, protoVersion, r.user, r.time)
	signed := b.String()
	fmt.Fprintf(&b, "\nSig: %s\n\n", sign(signed, r.time, r.user, r.key))
	return []byte(b.String())
}

// sign is account.py's sign_msg: lower(H(H(M) + ":" + T + ":" + K)) with
// H = SHA-1, M the fields before Sig without the final line end, T the
// Time field and K = lower(H(User + ":" + lower(key))) in hex.
func sign(fields string, time int64, user, key string) string {
	hk := sha1.Sum([]byte(user + ":" + strings.ToLower(key)))
	m := sha1.Sum([]byte(strings.TrimSpace(fields)))
	h := sha1.New()
	h.Write(m[:])
	fmt.Fprintf(h, ":%d:%s", time, hex.EncodeToString(hk[:]))
	return hex.EncodeToString(h.Sum(nil))
}

// reply is a parsed reply.
type reply struct {
	code        int
	diag        string
	thread      int
	count       int64 // Count: spam reports; -1 when absent
	whitelisted int64 // WL-Count; -1 when absent
}

// parseReply reads a reply datagram. Code, Diag, PV and Thread are
// required (Response.ensure_complete); Count and WL-Count come with check
// replies.
func parseReply(p []byte) (reply, error) {
	fields := map[string]string{}
	for _, line := range bytes.Split(p, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return reply{}, fmt.Errorf("%w: line %.40q", ErrProtocol, line)
		}
		key := strings.ToLower(string(bytes.TrimSpace(name)))
		if _, dup := fields[key]; !dup {
			fields[key] = string(bytes.TrimSpace(value))
		}
	}
	for _, f := range []string{"code", "diag", "pv", "thread"} {
		if _, ok := fields[f]; !ok {
			return reply{}, fmt.Errorf("%w: no %s field", ErrProtocol, f)
		}
	}
	r := reply{diag: fields["diag"], count: -1, whitelisted: -1}
	var err error
	if r.code, err = strconv.Atoi(fields["code"]); err != nil {
		return reply{}, fmt.Errorf("%w: Code %q", ErrProtocol, fields["code"])
	}
	if r.thread, err = strconv.Atoi(fields["thread"]); err != nil {
		return reply{}, fmt.Errorf("%w: Thread %q", ErrProtocol, fields["thread"])
	}
	for name, dst := range map[string]*int64{"count": &r.count, "wl-count": &r.whitelisted} {
		if v, ok := fields[name]; ok {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				return reply{}, fmt.Errorf("%w: %s %q", ErrProtocol, name, v)
			}
		}
	}
	return r, nil
}
