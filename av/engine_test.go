package av_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/av/sigdb"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

// eicar builds the EICAR test file at run time; no test virus is stored.
func eicar() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*")
}

type entry struct {
	name      string
	data      []byte
	encrypted bool
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var w io.Writer
		var err error
		if e.encrypted {
			// A ZipCrypto member: flag bit 0 (APPNOTE 4.4.4) and a 12-byte
			// encryption header before the data. Nothing reads the data.
			w, err = zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, Flags: 1,
				CompressedSize64: uint64(12 + len(e.data)), UncompressedSize64: uint64(len(e.data))})
			if err == nil {
				_, err = w.Write(append(make([]byte, 12), e.data...))
			}
		} else {
			w, err = zw.Create(e.name)
			if err == nil {
				_, err = w.Write(e.data)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func obj(name string, data []byte) *mimetree.Object {
	return &mimetree.Object{Name: name, Content: data, MediaType: "application/octet-stream"}
}

func params() *policy.Params {
	return &policy.Params{CheckAV: true, AVScanArchives: true, AVScanMailBases: true}
}

func builtin(opts ...func(*av.Options)) *av.Engine {
	o := av.Options{Matcher: sigdb.Default(), Heuristics: true}
	for _, f := range opts {
		f(&o)
	}
	return av.NewEngine(o)
}

func TestStatuses(t *testing.T) {
	cure := params()
	cure.AVCure = true
	filt := params()
	filt.IncludeByName = []string{"*.exe"}
	noArch := params()
	noArch.AVScanArchives = false
	for _, c := range []struct {
		name   string
		obj    *mimetree.Object
		p      *policy.Params
		status policy.AVStatus
		sig    string
	}{
		{"clean", obj("a.txt", []byte("hello")), params(), policy.AVClean, ""},
		{"eicar", obj("e.com", eicar()), params(), policy.AVInfected, "Eicar"},
		{"zipped eicar", obj("a.zip", zipOf(t, entry{name: "x/e.txt", data: eicar()})), params(), policy.AVInfected, "Eicar"},
		{"archives off", obj("a.zip", zipOf(t, entry{name: "e.txt", data: eicar()})), noArch, policy.AVClean, ""},
		{"encrypted member", obj("a.zip", zipOf(t, entry{name: "s.doc", data: []byte("secret"), encrypted: true})), params(), policy.AVProtected, ""},
		{"infected beats protected", obj("a.zip", zipOf(t, entry{name: "s.doc", data: []byte("x"), encrypted: true}, entry{name: "e.txt", data: eicar()})), params(), policy.AVInfected, "Eicar"},
		{"filtered member", obj("a.zip", zipOf(t, entry{name: "setup.exe", data: []byte("x")})), filt, policy.AVFiltered, ""},
		{"double extension in zip", obj("a.zip", zipOf(t, entry{name: "invoice.pdf.exe", data: []byte("x")})), params(), policy.AVSuspicious, "Heuristics.DoubleExtension"},
		{"damaged zip", obj("a.zip", zipOf(t, entry{name: "a.txt", data: []byte("hello")})[:40]), params(), policy.AVError, ""},
		{"cured zip", obj("a.zip", zipOf(t, entry{name: "e.txt", data: eicar()}, entry{name: "ok.txt", data: []byte("fine")})), cure, policy.AVDisinfected, "Eicar"},
		{"plain file cannot be cured", obj("e.com", eicar()), cure, policy.AVInfected, "Eicar"},
	} {
		f, err := builtin().ScanObject(context.Background(), c.obj, c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if f.Status != c.status || !strings.Contains(f.Signature, c.sig) {
			t.Errorf("%s: %s %q (%s), want %s %q", c.name, f.Status, f.Signature, f.Detail, c.status, c.sig)
		}
	}
}

func TestCuredZipKeepsOtherMembers(t *testing.T) {
	p := params()
	p.AVCure = true
	f, err := builtin().ScanObject(context.Background(), obj("a.zip", zipOf(t, entry{name: "e.txt", data: eicar()}, entry{name: "ok.txt", data: []byte("fine")})), p)
	if err != nil || f.Status != policy.AVDisinfected {
		t.Fatalf("%+v %v", f, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(f.Cured), int64(len(f.Cured)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "ok.txt" {
		t.Fatalf("cured zip: %v %v", zr, err)
	}
}

func TestCureOOXMLMacros(t *testing.T) {
	macro := append([]byte("VBA project "), eicar()...)
	doc := zipOf(t,
		entry{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/><Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>`)},
		entry{name: "_rels/.rels", data: []byte(`<Relationships><Relationship Id="rId1" Type="officeDocument" Target="word/document.xml"/></Relationships>`)},
		entry{name: "word/document.xml", data: []byte(`<w:document>Quarterly figures</w:document>`)},
		entry{name: "word/_rels/document.xml.rels", data: []byte(`<Relationships><Relationship Id="rId1" Type="vbaProject" Target="vbaProject.bin"/><Relationship Id="rId2" Type="styles" Target="styles.xml"/></Relationships>`)},
		entry{name: "word/vbaProject.bin", data: macro},
		entry{name: "word/_rels/vbaProject.bin.rels", data: []byte(`<Relationships><Relationship Id="rId1" Type="vbaData" Target="vbaData.xml"/></Relationships>`)},
	)
	p := params()
	p.AVCure = true
	f, err := builtin().ScanObject(context.Background(), obj("report.docm", doc), p)
	if err != nil || f.Status != policy.AVDisinfected {
		t.Fatalf("%+v %v", f, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(f.Cured), int64(len(f.Cured)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[zf.Name] = string(b)
	}
	if _, ok := files["word/vbaProject.bin"]; ok {
		t.Error("macro part survived")
	}
	if _, ok := files["word/_rels/vbaProject.bin.rels"]; ok {
		t.Error("macro relationships survived")
	}
	if strings.Contains(files["[Content_Types].xml"], "vbaProject") || !strings.Contains(files["[Content_Types].xml"], "/word/document.xml") {
		t.Errorf("content types: %s", files["[Content_Types].xml"])
	}
	if rels := files["word/_rels/document.xml.rels"]; strings.Contains(rels, "vbaProject") || !strings.Contains(rels, "styles.xml") {
		t.Errorf("document rels: %s", rels)
	}
	if files["word/document.xml"] != `<w:document>Quarterly figures</w:document>` {
		t.Errorf("document changed: %q", files["word/document.xml"])
	}
}

type fakeBackend struct {
	calls   atomic.Int32
	verdict av.Verdict
	err     error
}

func (b *fakeBackend) Name() string { return "fake" }

func (b *fakeBackend) Scan(ctx context.Context, _ string, _ []byte) (av.Verdict, error) {
	b.calls.Add(1)
	if b.err != nil {
		return av.Verdict{}, b.err
	}
	return b.verdict, ctx.Err()
}

func TestBackends(t *testing.T) {
	down := &fakeBackend{err: errors.New("connection refused")}
	e := builtin(func(o *av.Options) { o.Backends = []av.Backend{down}; o.CacheSize = 10 })
	for i := 0; i < 2; i++ {
		f, err := e.ScanObject(context.Background(), obj("a.txt", []byte("x")), params())
		if err != nil || f.Status != policy.AVError || !strings.Contains(f.Detail, "connection refused") {
			t.Errorf("a backend outage must give the error status, never clean: %+v %v", f, err)
		}
	}
	if n := down.calls.Load(); n != 2 {
		t.Errorf("an outage's finding was cached: the backend was asked %d times, want 2", n)
	}
	// The built-in engine's detection survives the other backend's outage.
	f, err := e.ScanObject(context.Background(), obj("e.com", eicar()), params())
	if err != nil || f.Status != policy.AVInfected {
		t.Errorf("EICAR with a backend down: %+v %v, want infected", f, err)
	}
	found := &fakeBackend{verdict: av.Verdict{Infected: true, Signature: "Win.Test.X"}}
	f, err = builtin(func(o *av.Options) { o.Backends = []av.Backend{found} }).ScanObject(context.Background(), obj("a.txt", []byte("x")), params())
	if err != nil || f.Status != policy.AVInfected || f.Signature != "Win.Test.X" {
		t.Errorf("backend verdict: %+v %v", f, err)
	}
}

func TestCache(t *testing.T) {
	b := &fakeBackend{}
	e := builtin(func(o *av.Options) { o.Backends = []av.Backend{b}; o.CacheSize = 10 })
	for i := 0; i < 5; i++ {
		if _, err := e.ScanObject(context.Background(), obj("a.txt", []byte("same bytes")), params()); err != nil {
			t.Fatal(err)
		}
	}
	other := params()
	other.AVScanArchives = false
	e.ScanObject(context.Background(), obj("a.txt", []byte("same bytes")), other)
	if n := b.calls.Load(); n != 2 {
		t.Errorf("backend called %d times, want 2 (once per content and parameters)", n)
	}
}

// A message's own text is scanned every time: it is not worth hashing
// for a cache it would never hit. The same bytes as an attachment are.
func TestCacheSkipsMessageText(t *testing.T) {
	b := &fakeBackend{}
	e := builtin(func(o *av.Options) { o.Backends = []av.Backend{b}; o.CacheSize = 10 })
	text := &mimetree.Object{Content: []byte("hello"), MediaType: "text/plain"}
	attached := &mimetree.Object{Name: "a.txt", Content: []byte("hello"), MediaType: "text/plain", Disposition: "attachment"}
	for range 3 {
		e.ScanObject(context.Background(), text, params())
		e.ScanObject(context.Background(), attached, params())
	}
	if n := b.calls.Load(); n != 4 {
		t.Errorf("backend called %d times, want 4 (the text 3 times, the attachment once)", n)
	}
}

func TestScanTimeout(t *testing.T) {
	slow := &slowBackend{}
	e := builtin(func(o *av.Options) { o.Backends = []av.Backend{slow}; o.ScanTimeout = 50 * time.Millisecond })
	start := time.Now()
	if _, err := e.ScanObject(context.Background(), obj("a.txt", []byte("x")), params()); err == nil {
		t.Error("a timed-out scan must be an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ScanTimeout not honoured: %v", d)
	}
}

type slowBackend struct{}

func (slowBackend) Name() string { return "slow" }

func (slowBackend) Scan(ctx context.Context, _ string, _ []byte) (av.Verdict, error) {
	<-ctx.Done()
	return av.Verdict{}, ctx.Err()
}
