package sigdb

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

type hashAlgo uint8

const (
	algoMD5 hashAlgo = iota
	algoSHA1
	algoSHA256
	nAlgos
)

// algoForHex chooses the algorithm from the length of a hex digest, as
// ClamAV does.
func algoForHex(n int) (hashAlgo, bool) {
	switch n {
	case 2 * md5.Size:
		return algoMD5, true
	case 2 * sha1.Size:
		return algoSHA1, true
	case 2 * sha256.Size:
		return algoSHA256, true
	}
	return 0, false
}

// hashEntry is one parsed line of a hash database.
type hashEntry struct {
	name    string
	algo    hashAlgo
	sum     []byte
	size    uint32
	anySize bool
}

// parseHashLine parses "Hash:Size:Name[:MinFL[:MaxFL]]", or
// "Size:Hash:Name..." for PE section hashes (sizeFirst). Size may be "*".
func parseHashLine(line string, sizeFirst bool) (hashEntry, error) {
	var e hashEntry
	f := strings.Split(line, ":")
	if len(f) < 3 || len(f) > 5 {
		return e, fmt.Errorf("want 3 to 5 fields, got %d", len(f))
	}
	hx, sz := f[0], f[1]
	if sizeFirst {
		hx, sz = sz, hx
	}
	e.name = f[2]
	if e.name == "" {
		return e, errors.New("empty signature name")
	}
	var ok bool
	if e.algo, ok = algoForHex(len(hx)); !ok {
		return e, fmt.Errorf("hash %q is not 32, 40 or 64 hex digits", hx)
	}
	var err error
	if e.sum, err = hex.DecodeString(hx); err != nil {
		return e, fmt.Errorf("hash %q is not hex", hx)
	}
	if sz == "*" {
		e.anySize = true
	} else if n, err := strconv.ParseUint(sz, 10, 32); err != nil || sz[0] == '+' {
		return e, fmt.Errorf("bad size %q", sz)
	} else {
		e.size = uint32(n)
	}
	return e, checkFLevel(f[3:])
}

// sized is a digest with the object size it applies to.
type sized[K comparable] struct {
	sum  K
	size uint32
}

// hashTable maps digests to the first signature (lowest index) with them.
type hashTable[K comparable] struct {
	exact map[sized[K]]int32
	any   map[K]int32            // size "*"
	sizes map[uint32]struct{}    // sizes in exact: other sizes need no hashing
	dups  func(first, idx int32) // records another signature with a known key
}

func (t *hashTable[K]) add(sum K, size uint32, anySize bool, idx int32) {
	if anySize {
		if t.any == nil {
			t.any = map[K]int32{}
		}
		if f, ok := t.any[sum]; ok {
			t.dups(f, idx)
			return
		}
		t.any[sum] = idx
		return
	}
	if t.exact == nil {
		t.exact, t.sizes = map[sized[K]]int32{}, map[uint32]struct{}{}
	}
	k := sized[K]{sum, size}
	if f, ok := t.exact[k]; ok {
		t.dups(f, idx)
		return
	}
	t.exact[k] = idx
	t.sizes[size] = struct{}{}
}

func (t *hashTable[K]) wants(size int) bool {
	if len(t.any) > 0 {
		return true
	}
	if size > math.MaxUint32 {
		return false
	}
	_, ok := t.sizes[uint32(size)]
	return ok
}

// lookup returns the first signature with sum for an exact size and for any
// size, -1 for none.
func (t *hashTable[K]) lookup(sum K, size int) (exact, anySize int32) {
	exact, anySize = -1, -1
	if i, ok := t.any[sum]; ok {
		anySize = i
	}
	if size <= math.MaxUint32 {
		if i, ok := t.exact[sized[K]{sum, uint32(size)}]; ok {
			exact = i
		}
	}
	return exact, anySize
}

func (t *hashTable[K]) len() int { return len(t.exact) + len(t.any) }

// each calls fn for every key; used by Merge.
func (t *hashTable[K]) each(fn func(sum K, size uint32, anySize bool, idx int32)) {
	for k, i := range t.exact {
		fn(k.sum, k.size, false, i)
	}
	for k, i := range t.any {
		fn(k, 0, true, i)
	}
}

// hashIndex holds one table per algorithm.
type hashIndex struct {
	md5    hashTable[[md5.Size]byte]
	sha1   hashTable[[sha1.Size]byte]
	sha256 hashTable[[sha256.Size]byte]
}

func newHashIndex(dups func(first, idx int32)) *hashIndex {
	x := &hashIndex{}
	x.md5.dups, x.sha1.dups, x.sha256.dups = dups, dups, dups
	return x
}

func (x *hashIndex) add(e *hashEntry, idx int32) {
	switch e.algo {
	case algoMD5:
		x.md5.add([md5.Size]byte(e.sum), e.size, e.anySize, idx)
	case algoSHA1:
		x.sha1.add([sha1.Size]byte(e.sum), e.size, e.anySize, idx)
	case algoSHA256:
		x.sha256.add([sha256.Size]byte(e.sum), e.size, e.anySize, idx)
	}
}

func (x *hashIndex) len() int { return x.md5.len() + x.sha1.len() + x.sha256.len() }

func (x *hashIndex) wants(a hashAlgo, size int) bool {
	switch a {
	case algoMD5:
		return x.md5.wants(size)
	case algoSHA1:
		return x.sha1.wants(size)
	}
	return x.sha256.wants(size)
}

// lookup returns the first signatures for sum (exact size, any size).
func (x *hashIndex) lookup(a hashAlgo, sum []byte, size int) (int32, int32) {
	switch a {
	case algoMD5:
		return x.md5.lookup([md5.Size]byte(sum), size)
	case algoSHA1:
		return x.sha1.lookup([sha1.Size]byte(sum), size)
	}
	return x.sha256.lookup([sha256.Size]byte(sum), size)
}

// merge adds every key of o with indices shifted by off.
func (x *hashIndex) merge(o *hashIndex, off int32) {
	add := func(a hashAlgo) func(sum []byte, size uint32, anySize bool, idx int32) {
		return func(sum []byte, size uint32, anySize bool, idx int32) {
			x.add(&hashEntry{algo: a, sum: sum, size: size, anySize: anySize}, idx+off)
		}
	}
	md, s1, s2 := add(algoMD5), add(algoSHA1), add(algoSHA256)
	o.md5.each(func(k [md5.Size]byte, s uint32, a bool, i int32) { md(k[:], s, a, i) })
	o.sha1.each(func(k [sha1.Size]byte, s uint32, a bool, i int32) { s1(k[:], s, a, i) })
	o.sha256.each(func(k [sha256.Size]byte, s uint32, a bool, i int32) { s2(k[:], s, a, i) })
}

// digests computes each hash of one buffer at most once.
type digests struct {
	data []byte
	sums [nAlgos][]byte
}

func (d *digests) sum(a hashAlgo) []byte {
	if d.sums[a] == nil {
		switch a {
		case algoMD5:
			s := md5.Sum(d.data)
			d.sums[a] = s[:]
		case algoSHA1:
			s := sha1.Sum(d.data)
			d.sums[a] = s[:]
		case algoSHA256:
			s := sha256.Sum256(d.data)
			d.sums[a] = s[:]
		}
	}
	return d.sums[a]
}
