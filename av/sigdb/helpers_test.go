package sigdb

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

// eicar returns the EICAR test file, assembled from pieces so that no
// source file holds it in clear.
func eicar() []byte {
	return []byte(strings.Join([]string{`X5O!P%@AP[4\PZX5`, `4(P^)7CC)7}$EICAR-STAN`, `DARD-ANTIVIRUS-TEST-FILE!$H+H*`}, ""))
}

func mustParse(t testing.TB, name, text string) *DB {
	t.Helper()
	db, err := Parse(name, []byte(text))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return db
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// buildPE returns a minimal PE32 file whose sections hold secs, the first
// at file offset 0x200 and virtual address 0x1000, and whose entry point is
// the virtual address ep.
func buildPE(ep uint32, secs ...[]byte) []byte {
	const lfanew, optSize = 0x40, 0xe0
	out := make([]byte, 0x200)
	copy(out, "MZ")
	binary.LittleEndian.PutUint32(out[0x3c:], lfanew)
	copy(out[lfanew:], "PE\x00\x00")
	coff := out[lfanew+4:]
	binary.LittleEndian.PutUint16(coff[0:], 0x14c)
	binary.LittleEndian.PutUint16(coff[2:], uint16(len(secs)))
	binary.LittleEndian.PutUint16(coff[16:], optSize)
	binary.LittleEndian.PutUint16(coff[18:], 0x102)
	opt := out[lfanew+24:]
	binary.LittleEndian.PutUint16(opt[0:], 0x10b)
	binary.LittleEndian.PutUint32(opt[16:], ep)
	for i, s := range secs {
		h := out[lfanew+24+optSize+40*i:]
		copy(h, ".s"+string(rune('0'+i)))
		binary.LittleEndian.PutUint32(h[8:], uint32(len(s)))
		binary.LittleEndian.PutUint32(h[12:], uint32(0x1000*(i+1)))
		binary.LittleEndian.PutUint32(h[16:], uint32(len(s)))
		binary.LittleEndian.PutUint32(h[20:], uint32(len(out)))
		out = append(out, s...)
		if pad := len(out) % 0x200; pad != 0 {
			out = append(out, make([]byte, 0x200-pad)...)
		}
	}
	return out
}
