package extract

import (
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/extract/bombtest"
	"github.com/mailgw/mailgw/mimetree"
)

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
		t.Run(shape.name, func(t *testing.T) { testBomb(t, bombtest.Nested(t, shape.copies...)) })
	}
}

func testBomb(t *testing.T, bomb []byte) {
	msg := bombtest.Message(bomb)
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
	raw, crc := bombtest.ZerosDeflate(t, bombtest.Size)
	gz := cat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, raw, le32(crc), le32(uint32(bombtest.Size%(1<<32))))
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
