package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/mimetree"
)

const bombSize = 4 << 30 // 4 GiB of zeros in the innermost member

// zerosDeflate returns a raw deflate stream of size zero bytes (size a
// multiple of 1 MiB) and its CRC-32, in well under a second: 1 MiB of
// zeros is compressed and flushed twice, and the second chunk, which only
// refers back into zeros, is repeated. The stream is as regular as it is
// small, so the zip levels above it compress it to almost nothing.
func zerosDeflate(t testing.TB, size int64) ([]byte, uint32) {
	t.Helper()
	const mib = 1 << 20
	zeros := make([]byte, mib)
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	var chunks [2][]byte
	for i := range chunks {
		if _, err := fw.Write(zeros); err != nil {
			t.Fatal(err)
		}
		if err := fw.Flush(); err != nil {
			t.Fatal(err)
		}
		chunks[i] = bytes.Clone(b.Bytes())
		b.Reset()
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(chunks[0])
	crc := crc32.Update(0, crc32.IEEETable, zeros)
	for range size/mib - 1 {
		out = append(out, chunks[1]...)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	return append(out, b.Bytes()...), crc
}

// nestedBomb builds a 42.zip-like bomb: levels of zips, level i holding
// copies[i] copies of the level below (copied raw, compressed once), the
// innermost holding copies of 4 GiB of zeros. Each level deflates the one inside at
// the best level, so the whole stays small.
func nestedBomb(t testing.TB, copies ...int) []byte {
	t.Helper()
	raw, crc := zerosDeflate(t, bombSize)
	member := zipMember{FileHeader: zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: bombSize}, raw: raw}
	var inner []byte
	for level, n := range copies {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := range n {
			fh := member.FileHeader
			fh.Name = fmt.Sprintf("%d-%s", i, member.Name)
			w, err := zw.CreateRaw(&fh)
			if err == nil {
				_, err = w.Write(member.raw)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if level < len(copies)-1 {
			member = deflatedMember(t, fmt.Sprintf("level%d.zip", level+1), b.Bytes())
		}
		inner = b.Bytes()
	}
	return inner
}

// zipMember is a member's header and compressed bytes, to copy raw.
type zipMember struct {
	zip.FileHeader
	raw []byte
}

// rawMember takes the first member of a zip, compressed.
func rawMember(t testing.TB, z []byte) zipMember {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := r.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	fh := r.File[0].FileHeader
	fh.Flags &^= 8 // sizes are known: no data descriptor
	return zipMember{FileHeader: fh, raw: raw}
}

// deflatedMember compresses data at the best level into a member.
func deflatedMember(t testing.TB, name string, data []byte) zipMember {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return rawMember(t, b.Bytes())
}

// bombMessage is a small message carrying the nested bomb as a base64
// attachment.
func bombMessage(zipData []byte) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nTo: b@example.com\r\nSubject: invoice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--XX\r\nContent-Type: application/zip; name=bomb.zip\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=bomb.zip\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(zipData)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--XX--\r\n")
	return []byte(b.String())
}

// heapPeak samples the Go heap while running f and returns the highest
// value seen (live and not yet swept objects: what the walk holds).
func heapPeak(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	read := func() {
		metrics.Read(sample)
		mu.Lock()
		peak = max(peak, sample[0].Value.Uint64())
		mu.Unlock()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				read()
			}
		}
	}()
	f()
	read()
	close(done)
	wg.Wait()
	return peak
}

// vmHWM is the process's peak resident set (Linux), for the log.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}

func TestNestedZipBomb(t *testing.T) {
	for _, shape := range []struct {
		name   string
		copies []int
	}{
		{"chain of 3 zips", []int{1, 1, 1}},
		{"42.zip-like, 16^4 copies of 4 GiB", []int{1, 16, 16, 16, 16}},
	} {
		t.Run(shape.name, func(t *testing.T) { testBomb(t, nestedBomb(t, shape.copies...)) })
	}
}

func testBomb(t *testing.T, bomb []byte) {
	msg := bombMessage(bomb)
	t.Logf("bomb: %d bytes of zip, message %d bytes", len(bomb), len(msg))
	if len(msg) > 64<<10 {
		t.Fatalf("message is %d bytes, want a small one", len(msg))
	}
	att := attachment(t, msg, "bomb.zip")
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
	}{
		{"attachment, defaults", att, all()},
		{"attachment, ratio check off", att, Limits{ScanArchives: true, MaxRatio: 1 << 30}},
		{"whole message as .eml", msg, all()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var w walked
			start := time.Now()
			peak := heapPeak(func() { w = walk(t, "bomb.eml", tc.data, tc.lim) })
			elapsed := time.Since(start)
			t.Logf("walk: %v, %d members, heap peak %.1f MiB, process VmHWM %s",
				elapsed, len(w.members), float64(peak)/(1<<20), vmHWM())
			if w.err != nil {
				t.Fatalf("Walk: %v", w.err)
			}
			var first *Member
			for _, m := range w.members {
				if first == nil && (errors.Is(m.Err, ErrBomb) || errors.Is(m.Err, ErrLimit)) {
					first = m
				}
			}
			if first == nil {
				t.Fatalf("no member with ErrBomb or ErrLimit: %q", w.paths())
			}
			t.Logf("first stop at %q: %v", first.Path, first.Err)
			if elapsed > 20*time.Second {
				t.Errorf("walk took %v, want a few seconds", elapsed)
			}
			if peak > 256<<20 {
				t.Errorf("heap peaked at %d MiB, want < 256", peak>>20)
			}
		})
	}
}

// attachment returns the content of the part called name, found the way
// the gateway finds it: mimetree parses the message.
func attachment(t testing.TB, msg []byte, name string) []byte {
	t.Helper()
	for _, o := range mimetree.Parse(msg, mimetree.Limits{}).Objects {
		if o.Name == name {
			return o.Content
		}
	}
	t.Fatalf("attachment %s not found by mimetree", name)
	return nil
}

// TestStreamingBomb: a gzip of 4 GiB of zeros declares no size, so the
// ratio must be caught while inflating.
func TestStreamingBomb(t *testing.T) {
	raw, crc := zerosDeflate(t, bombSize)
	gz := cat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, raw, le32(crc), le32(uint32(bombSize%(1<<32))))
	for _, tc := range []struct {
		name string
		lim  Limits
		want error
	}{
		{"defaults", all(), ErrBomb},
		{"ratio check off", Limits{ScanArchives: true, MaxRatio: 1 << 30}, ErrLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var w walked
			start := time.Now()
			peak := heapPeak(func() { w = walk(t, "zeros.gz", gz, tc.lim) })
			elapsed := time.Since(start)
			t.Logf("gzip bomb of %d bytes: walk %v, heap peak %.1f MiB", len(gz), elapsed, float64(peak)/(1<<20))
			m := w.get("zeros.gz/zeros")
			if m == nil || !errors.Is(m.Err, tc.want) || m.Data != nil {
				t.Fatalf("member: %+v", m)
			}
			t.Logf("stopped: %v", m.Err)
			if elapsed > 20*time.Second || peak > 256<<20 {
				t.Errorf("took %v, heap peak %d MiB", elapsed, peak>>20)
			}
		})
	}
}
