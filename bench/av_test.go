package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/av/clamd"
	"github.com/mailgw/mailgw/av/clamd/clamdtest"
	"github.com/mailgw/mailgw/av/sigdb"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// avSignatures is a generated signature set loaded by both engines: 3000
// body signatures of 12 random bytes, some with wildcards, none of which
// occurs in the attachments.
func avSignatures() string {
	r := rand.New(rand.NewSource(1))
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		sig := make([]byte, 12)
		r.Read(sig)
		hex := fmt.Sprintf("%x", sig)
		if i%4 == 0 {
			hex = hex[:8] + "??" + hex[10:]
		}
		fmt.Fprintf(&b, "Bench.Sig.%d:0:*:%s\n", i, hex)
	}
	return b.String()
}

// avObjects are the attachments both engines scan: office-like binaries of
// 64 KB to 1 MB, half of them inside zip archives.
func avObjects() [][]byte {
	r := rand.New(rand.NewSource(2))
	var objs [][]byte
	for i := 0; i < 16; i++ {
		data := make([]byte, 64<<10<<(i%5))
		for j := range data {
			data[j] = byte(r.Intn(64)) // text-like: compresses, as documents do
		}
		if i%2 == 1 {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("doc" + strconv.Itoa(i) + ".bin")
			w.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		objs = append(objs, data)
	}
	return objs
}

func totalSize(objs [][]byte) int64 {
	var n int64
	for _, o := range objs {
		n += int64(len(o))
	}
	return n
}

// BenchmarkAVBuiltin scans the attachments with the built-in engine
// (archives opened, the generated signatures plus the test set loaded).
func BenchmarkAVBuiltin(b *testing.B) {
	cd := clamdtest.Start(b, clamdtest.Options{StreamMaxLength: 64 << 20, Databases: map[string]string{"bench.ndb": avSignatures()}})
	db, err := sigdb.Load(cd.DatabaseDir())
	if err != nil {
		b.Fatal(err)
	}
	e := av.NewEngine(av.Options{Matcher: db})
	objs := avObjects()
	p := &policy.Params{CheckAV: true, AVScanArchives: true, AVScanMailBases: true}
	b.SetBytes(totalSize(objs) / int64(len(objs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := e.ScanObject(context.Background(), &mimetree.Object{Name: "a.bin", Content: objs[i%len(objs)]}, p)
		if err != nil || f.Status != policy.AVClean {
			b.Fatalf("%+v %v", f, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(vmHWM("self")), "peak-RSS-KB")
}

// BenchmarkAVClamd sends the same attachments to a real clamd loaded with
// the same signatures, over INSTREAM on its Unix socket.
func BenchmarkAVClamd(b *testing.B) {
	cd := clamdtest.Start(b, clamdtest.Options{StreamMaxLength: 64 << 20, Databases: map[string]string{"bench.ndb": avSignatures()}})
	c, err := clamd.New(clamd.Options{Addrs: []string{"unix:" + cd.Unix}})
	if err != nil {
		b.Fatal(err)
	}
	objs := avObjects()
	b.SetBytes(totalSize(objs) / int64(len(objs)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := c.Scan(context.Background(), "a.bin", objs[i%len(objs)])
		if err != nil || r.Infected {
			b.Fatalf("%+v %v", r, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(vmHWM(strconv.Itoa(cd.Pid()))), "peak-RSS-KB")
}

// vmHWM reads a process's peak resident set size in KB from /proc.
func vmHWM(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	return 0
}
