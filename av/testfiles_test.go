package av_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/av/sigdb"
	"github.com/mailgw/mailgw/policy"
)

const testfiles = "/usr/share/clamav-testfiles"

// TestClamAVTestfiles runs Debian's clamav-testfiles through the built-in
// engine. Their real signatures are not available offline, so the test
// signs clam.exe by its MD5 at run time and checks that the engine finds it
// in every container format mailgw opens.
func TestClamAVTestfiles(t *testing.T) {
	exe, err := os.ReadFile(filepath.Join(testfiles, "clam.exe"))
	if err != nil {
		t.Fatalf("clamav-testfiles not installed (run scripts/setup-debian.sh --test-deps): %v", err)
	}
	sum := md5.Sum(exe)
	db, err := sigdb.Parse("testfiles.hdb", []byte(fmt.Sprintf("%s:%d:ClamAV-Test-File.MD5\n", hex.EncodeToString(sum[:]), len(exe))))
	if err != nil {
		t.Fatal(err)
	}
	e := av.NewEngine(av.Options{Matcher: sigdb.Merge(sigdb.Default(), db)})
	for _, c := range []struct {
		file   string
		status policy.AVStatus
	}{
		{"clam.exe", policy.AVInfected},
		{"clam.zip", policy.AVInfected},
		{"clam.bz2.zip", policy.AVInfected},
		{"clam.7z", policy.AVInfected},
		{"clam.exe.bz2", policy.AVInfected},
		{"clam.tar.gz", policy.AVInfected},
		{"clam.mail", policy.AVInfected},
		{"clam.exe.mbox.base64", policy.AVInfected},
		{"clam.exe.mbox.uu", policy.AVInfected},
		{"clam.d64.zip", policy.AVError},  // deflate64: not decodable, so never clean
		{"clam.impl.zip", policy.AVError}, // implode: likewise
	} {
		data, err := os.ReadFile(filepath.Join(testfiles, c.file))
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.ScanObject(context.Background(), obj(c.file, data), params())
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if f.Status != c.status {
			t.Errorf("%s: %s %q (%s), want %s", c.file, f.Status, f.Signature, f.Detail, c.status)
		}
	}
}

// TestBombIsSuspicious: a small gzip that expands to gigabytes is stopped
// early and reported suspicious, not scanned to the end.
func TestBombIsSuspicious(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 256; i++ { // 256 MiB of zeros, about 250 KB compressed
		zw.Write(zeros)
	}
	zw.Close()
	f, err := builtin().ScanObject(context.Background(), obj("logs.gz", buf.Bytes()), params())
	if err != nil || f.Status != policy.AVSuspicious || f.Signature != "Heuristics.Archive.Bomb" {
		t.Errorf("bomb: %+v %v", f, err)
	}
}
