package sigdb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

const (
	cvdHeaderSize = 512
	maxUnpacked   = 1 << 30 // a container bigger than this unpacked is refused
)

// cvdHeader is the 512-byte ASCII header of a .cvd or .cld file:
// ClamAV-VDB:build time:version:sigs:f-level:MD5:dsig:builder:stime.
type cvdHeader struct {
	built                 string
	version, sigs, flevel int
	md5, dsig, builder    string
}

func parseCVDHeader(data []byte) (cvdHeader, error) {
	var h cvdHeader
	if len(data) < cvdHeaderSize {
		return h, fmt.Errorf("%d bytes, shorter than the %d-byte header", len(data), cvdHeaderSize)
	}
	s := string(data[:cvdHeaderSize])
	if i := strings.IndexAny(s, "\r\n\x00"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	if !strings.HasPrefix(s, "ClamAV-VDB:") {
		return h, errors.New("no ClamAV-VDB header")
	}
	f := strings.Split(s, ":")
	if len(f) < 8 {
		return h, fmt.Errorf("header has %d fields, want at least 8", len(f))
	}
	var err error
	for i, p := range []*int{&h.version, &h.sigs, &h.flevel} {
		if *p, err = strconv.Atoi(f[2+i]); err != nil {
			return h, fmt.Errorf("header field %d %q is not a number", 3+i, f[2+i])
		}
	}
	h.built, h.md5, h.dsig, h.builder = f[1], strings.ToLower(f[5]), f[6], f[7]
	if _, err := hex.DecodeString(h.md5); err != nil || len(h.md5) != 0 && len(h.md5) != 2*md5.Size {
		return h, fmt.Errorf("header MD5 %q is not 32 hex digits", f[5])
	}
	return h, nil
}

// parseContainer loads a .cvd or .cld: header, then a tar, gzip'd or not.
// The MD5 of a .cvd payload is checked; a .cld's header describes the .cvd
// it was built from, so ClamAV checks nothing there and neither do we. The
// digital signature (dsig) needs ClamAV's public key and is not checked.
func (b *builder) parseContainer(name, ext string, data []byte) {
	h, err := parseCVDHeader(data)
	if err != nil {
		b.fileErr(name, err)
		return
	}
	payload := data[cvdHeaderSize:]
	if ext == ".cvd" {
		if h.md5 == "" {
			b.db.warnings = append(b.db.warnings, name+": header has no MD5, payload not verified")
		} else if sum := md5.Sum(payload); hex.EncodeToString(sum[:]) != h.md5 {
			b.fileErr(name, fmt.Errorf("payload MD5 %x does not match the header's %s", sum, h.md5))
			return
		}
	}
	if h.flevel > engineFLevel {
		b.db.warnings = append(b.db.warnings, fmt.Sprintf(
			"%s: built for functionality level %d, engine has %d", name, h.flevel, engineFLevel))
	}
	var r io.Reader = bytes.NewReader(payload)
	if len(payload) >= 2 && payload[0] == 0x1f && payload[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			b.fileErr(name, err)
			return
		}
		r = zr
	}
	r = io.LimitReader(r, maxUnpacked+1)
	if err := b.untar(name, r); err != nil {
		b.fileErr(name, err)
		return
	}
	// Read to the end so that gzip checks its CRC: a .cld has no MD5.
	if _, err := io.Copy(io.Discard, r); err != nil {
		b.fileErr(name, fmt.Errorf("bad archive: %w", err))
	}
}

// tarEntry is what .info verification needs of each member.
type tarEntry struct {
	name   string
	size   int
	sum    [sha256.Size]byte
	loaded bool
}

// untar parses every member; members of formats we do not load are counted.
func (b *builder) untar(name string, r io.Reader) error {
	tr := tar.NewReader(r)
	var ents []tarEntry
	var info map[string]tarEntry
	skipped := map[string]int{}
	total := 0
	for {
		th, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("bad archive: %w", err)
		}
		if th.Typeflag != tar.TypeReg && th.Typeflag != 0 || strings.Contains(th.Name, "/") {
			return fmt.Errorf("archive member %q: only plain files at top level are allowed", th.Name)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("archive member %q: %w", th.Name, err)
		}
		if total += len(body); total > maxUnpacked {
			return fmt.Errorf("more than %d bytes unpacked", maxUnpacked)
		}
		inner := name + "/" + th.Name
		e := tarEntry{name: th.Name, size: len(body), sum: sha256.Sum256(body)}
		switch ext := extOf(th.Name); {
		case ext == ".info":
			info = b.parseInfo(inner, body)
			continue
		case th.Name == "COPYING":
		case b.lineParser(ext) != nil:
			b.parseFlat(inner, ext, body)
			e.loaded = true
			b.db.files = append(b.db.files, inner)
		default:
			skipped[ext]++
		}
		ents = append(ents, e)
	}
	b.skippedMembers(name, skipped)
	if info != nil {
		for _, err := range checkInfo(ents, info) {
			b.fileErr(name, err)
		}
	}
	return nil
}

func (b *builder) skippedMembers(name string, skipped map[string]int) {
	if len(skipped) == 0 {
		return
	}
	var parts []string
	n := 0
	for ext, c := range skipped {
		parts = append(parts, fmt.Sprintf("%s×%d", ext, c))
		n += c
	}
	sort.Strings(parts)
	b.db.warnings = append(b.db.warnings, fmt.Sprintf(
		"%s: skipped %d members of formats this engine does not load: %s", name, n, strings.Join(parts, " ")))
}

// parseInfo parses a .info member: a header line, "name:size:sha256" lines
// and a DSIG line.
func (b *builder) parseInfo(name string, data []byte) map[string]tarEntry {
	info := map[string]tarEntry{}
	eachLine(data, func(no int, line string) {
		if strings.HasPrefix(line, "ClamAV-VDB:") || strings.HasPrefix(line, "DSIG:") {
			return
		}
		f := strings.Split(line, ":")
		var e tarEntry
		sum, err := hex.DecodeString(strings.Join(f[2:], ""))
		if len(f) == 3 && err == nil && len(sum) == sha256.Size {
			e.size, err = strconv.Atoi(f[1])
		}
		if len(f) != 3 || err != nil || len(sum) != sha256.Size {
			b.lineErr(name, no, errors.New(`want "name:size:sha256"`))
			return
		}
		e.name, e.sum = f[0], [sha256.Size]byte(sum)
		info[e.name] = e
	})
	return info
}

// checkInfo checks the members against the .info: as in ClamAV, every
// member we load must be listed, and every listed one must agree.
func checkInfo(ents []tarEntry, info map[string]tarEntry) []error {
	var errs []error
	for _, e := range ents {
		want, listed := info[e.name]
		switch {
		case !listed && e.loaded:
			errs = append(errs, fmt.Errorf("member %q is not listed in the .info", e.name))
		case listed && (want.size != e.size || want.sum != e.sum):
			errs = append(errs, fmt.Errorf("member %q does not match its .info size and SHA256", e.name))
		}
	}
	return errs
}
