package sigdb

import "encoding/binary"

// peInfo is what the signatures need from a PE file: the file offset of the
// entry point and the raw extent of each section, computed as ClamAV does
// (offsets rounded down and sizes up to the file alignment, sizes clipped
// to the file) so that EP, Sx and .mdb signatures mean what they mean there.
//
// The walker reads only the DOS header, the COFF header, four fields of the
// optional header and the section table, with a bounds check on every read.
// debug/pe would also parse symbol and string tables that signatures never
// use, and applies no ClamAV alignment rules.
type peInfo struct {
	ep       int // -1 when the entry point maps to no byte of the file
	hdrSize  uint32
	sections []peSection
}

type peSection struct {
	rva      uint32
	raw, rsz int // aligned file offset and size; rsz 0 for no data
}

// maxPESections is the Windows loader's limit; more means a broken file.
const maxPESections = 96

func alignDown(x, a uint32) uint32 {
	if a == 0 {
		return x
	}
	return x / a * a
}

func alignUp(x, a uint32) uint64 {
	if a == 0 {
		return uint64(x)
	}
	return (uint64(x) + uint64(a) - 1) / uint64(a) * uint64(a)
}

// parsePE returns the layout of a PE file, or ok=false when data is not one.
func parsePE(data []byte) (pe peInfo, ok bool) {
	le := binary.LittleEndian
	if len(data) < 64 || data[0] != 'M' || data[1] != 'Z' {
		return pe, false
	}
	nt := int(le.Uint32(data[0x3c:]))
	if nt > len(data)-24 || string(data[nt:nt+4]) != "PE\x00\x00" {
		return pe, false
	}
	nsec := int(le.Uint16(data[nt+6:]))
	optSize := int(le.Uint16(data[nt+20:]))
	opt := nt + 24
	table := opt + optSize
	if optSize < 64 || nsec > maxPESections || table+40*nsec > len(data) {
		return pe, false
	}
	entry, salign := le.Uint32(data[opt+16:]), le.Uint32(data[opt+32:])
	falign := fileAlignment(le.Uint32(data[opt+36:]), data[table:table+40*nsec])
	pe.hdrSize = uint32(min(alignUp(le.Uint32(data[opt+60:]), salign), 1<<32-1))
	for i := range nsec {
		s := data[table+40*i:]
		uraw, ursz := le.Uint32(s[20:]), le.Uint32(s[16:])
		sec := peSection{rva: alignDown(le.Uint32(s[12:]), salign), raw: int(alignDown(uraw, falign))}
		if rsz := alignUp(ursz, falign); rsz > 0 && sec.raw < len(data) && int(uraw) < len(data) {
			sec.rsz = int(min(rsz, uint64(len(data)-sec.raw)))
		}
		pe.sections = append(pe.sections, sec)
	}
	pe.ep = pe.rawOffset(entry, len(data))
	return pe, true
}

// fileAlignment applies ClamAV's fallback: a section misaligned for the
// declared alignment but aligned to 0x200 makes 0x200 the alignment.
func fileAlignment(falign uint32, table []byte) uint32 {
	for i := 0; falign != 0x200 && i+40 <= len(table); i += 40 {
		raw, size := binary.LittleEndian.Uint32(table[i+20:]), binary.LittleEndian.Uint32(table[i+16:])
		if falign != 0 && size != 0 && raw%falign != 0 && raw%0x200 == 0 {
			falign = 0x200
		}
	}
	return falign
}

// rawOffset maps a virtual address to a file offset as ClamAV's
// cli_rawaddr: addresses in the headers map to themselves, others through
// the last section holding them.
func (pe *peInfo) rawOffset(rva uint32, size int) int {
	if rva < pe.hdrSize {
		if int(rva) >= size {
			return -1
		}
		return int(rva)
	}
	for i := len(pe.sections) - 1; i >= 0; i-- {
		s := pe.sections[i]
		if s.rsz > 0 && s.rva <= rva && uint64(rva-s.rva) < uint64(s.rsz) {
			return s.raw + int(rva-s.rva)
		}
	}
	return -1
}
