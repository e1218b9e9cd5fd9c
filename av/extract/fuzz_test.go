package extract

import (
	"context"
	"errors"
	"hash/crc32"
	"os/exec"
	"testing"
)

// Fuzz targets, one per extractor. Each opens its input as its format
// whatever the magic bytes say (so mutations of the signature still reach
// the parser), walks it under small limits, then walks it normally; it
// must not panic, hang or exceed the limits. Seeds are built here from
// harmless data; run with e.g.
//
//	go test ./av/extract -run '^$' -fuzz '^FuzzZip$' -fuzztime 15s

// fuzzLimits are small so that each input is cheap.
func fuzzLimits() Limits {
	return Limits{ScanArchives: true, ScanMailBases: true, MaxDepth: 4, MaxMembers: 200,
		MaxTotal: 16 << 20, MaxMemberSize: 4 << 20}
}

func fuzzWalk(t *testing.T, k kind, data []byte) {
	if len(data) > 1<<20 {
		return
	}
	lim := fuzzLimits().withDefaults()
	check := func(m *Member) error {
		checkInvariants(t, m, lim)
		return nil
	}
	w := &walker{ctx: context.Background(), lim: lim, fn: check}
	root := &Member{Path: []string{"fuzz"}, Name: "fuzz", Type: "fuzz"}
	a, err := w.open(openerFor(k), root, data)
	if err == nil {
		if err := w.expand(root, a, int64(len(data))); err != nil && !errors.Is(err, errStop) {
			t.Fatalf("expand: %v", err)
		}
	}
	// A read may overshoot MaxTotal by one buffer, itself bounded by
	// MaxMemberSize.
	if w.total > lim.MaxTotal+lim.MaxMemberSize {
		t.Fatalf("expanded %d bytes, MaxTotal %d", w.total, lim.MaxTotal)
	}
	if err := Walk(context.Background(), "fuzz", data, lim, check); err != nil {
		t.Fatalf("Walk: %v", err)
	}
}

func FuzzZip(f *testing.F) {
	exe := fakeExe()
	z := zipOf(f, file{name: "x.exe", data: exe}, file{name: "d/a.txt", data: []byte("hello"), store: true})
	f.Add(z)
	f.Add(z[:len(z)/2])
	f.Add(zipOf(f, file{name: "in.zip", data: z}))
	f.Add(zipCrypto(f, "x.exe", exe, "pw"))
	f.Add(zipWinAES(f, "x.exe", 20))
	f.Add(zipOf(f))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindZip, data) })
}

func FuzzTar(f *testing.F) {
	exe := fakeExe()
	tr := tarOf(f, file{name: "x.exe", data: exe}, file{name: "a.txt", data: []byte("hello")})
	f.Add(tr)
	f.Add(tr[:700])
	f.Add(tarOf(f, file{name: "a.tar", data: tr}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindTar, data) })
}

func FuzzGzip(f *testing.F) {
	g := gzipOf(f, "x.exe", fakeExe())
	f.Add(g)
	f.Add(g[:len(g)-4])
	f.Add(gzipOf(f, "", tarOf(f, file{name: "x", data: []byte("hello")})))
	f.Add(append(g, g...)) // multistream
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindGzip, data) })
}

func FuzzBzip2(f *testing.F) {
	f.Add([]byte("BZh91AY&SY\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00")) // empty stream
	if _, err := exec.LookPath("bzip2"); err == nil {
		f.Add(bzip2Of(f, fakeExe()))
		f.Add(bzip2Of(f, tarOf(f, file{name: "x", data: []byte("hello")})))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindBzip2, data) })
}

func FuzzXz(f *testing.F) {
	x := xzOf(f, fakeExe())
	f.Add(x)
	f.Add(x[:len(x)/2])
	f.Add(xzOf(f, tarOf(f, file{name: "x", data: []byte("hello")})))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindXz, data) })
}

func Fuzz7z(f *testing.F) {
	f.Add(empty7z())
	if _, err := exec.LookPath("7z"); err == nil {
		exe := fakeExe()
		f.Add(sevenZip(f, nil, file{name: "x.exe", data: exe}, file{name: "a.txt", data: []byte("hello")}))
		f.Add(sevenZip(f, []string{"-mx0"}, file{name: "x.exe", data: exe}))
		f.Add(sevenZip(f, []string{"-m0=PPMd"}, file{name: "a.txt", data: []byte("hello hello hello")}))
		f.Add(sevenZip(f, []string{"-psecret"}, file{name: "x.exe", data: exe}))
		f.Add(sevenZip(f, []string{"-psecret", "-mhe=on"}, file{name: "x.exe", data: exe}))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kind7z, data) })
}

// empty7z is the smallest valid 7z archive: a signature header pointing
// at an empty next header.
func empty7z() []byte {
	start := make([]byte, 20) // next header offset, size, CRC: all zero
	return cat([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), le32(crc32.ChecksumIEEE(start)), start)
}

func FuzzRar(f *testing.F) {
	exe := fakeExe()
	files := []rarFile{{name: "x.exe", data: exe}, {name: "d/a.txt", data: []byte("hello")}}
	f.Add(rar5Of(files, false))
	f.Add(rar4Of(files, false))
	f.Add(rar5Of([]rarFile{{name: "x.exe", data: exe, encrypted: true}}, false))
	f.Add(rar4Of([]rarFile{{name: "x.exe", data: exe, encrypted: true}}, false))
	f.Add(rar5Of(nil, true))
	f.Add(rar4Of(nil, true))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzWalk(t, kindRar, data) })
}

func FuzzMbox(f *testing.F) {
	exe := fakeExe()
	msg := mailWith("hi", "x.exe", exe)
	f.Add([]byte("From a@b Thu Jul 31 13:51:21 2008\n" + msg + "\nFrom c@d Thu Jul 31 13:51:22 2008\nFrom: c@d\n\nbody\n"))
	f.Add([]byte("From a@b Thu Jul 31 13:51:21 2008\nFrom: a@b\n\nbegin 644 x.exe\n" + uuLine("MZ hello") + "`\nend\n"))
	f.Add([]byte("From a@b x\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\n\n" + msg + "\n--a--\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzWalk(t, kindMbox, data)
		fuzzWalk(t, kindMessage, data)
		fuzzWalk(t, kindUU, data)
	})
}
