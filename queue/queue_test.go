package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func entry(rcpts ...string) Entry {
	e := Entry{QueueID: "q1", From: "alice@example.org"}
	for _, r := range rcpts {
		e.Rcpts = append(e.Rcpts, Recipient{Addr: r})
	}
	return e
}

func TestBatchCommitListRemove(t *testing.T) {
	q, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := q.Begin()
	e1, err := b.Add(entry("bob@example.com"), []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := b.Add(entry("carol@example.com"), []byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	if es, _ := q.List(); len(es) != 0 {
		t.Fatalf("uncommitted messages listed: %v", es)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	es, err := q.List()
	if err != nil || len(es) != 2 {
		t.Fatalf("List = %v, %v; want 2", es, err)
	}
	data, err := q.Data(e1.ID)
	if err != nil || string(data) != "one" {
		t.Fatalf("Data = %q, %v", data, err)
	}
	e1.Attempts, e1.LastError = 1, "451 later"
	if err := q.Update(e1); err != nil {
		t.Fatal(err)
	}
	if got, _ := q.Entry(e1.ID); got.Attempts != 1 || got.LastError != "451 later" {
		t.Errorf("Update not kept: %+v", got)
	}
	if err := q.Remove(e1.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.Remove(e1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	if err := q.Done(e1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Done after Remove = %v, want ErrNotFound", err)
	}
	if err := q.Done(e2.ID); err != nil {
		t.Fatal(err)
	}
	if es, _ := q.List(); len(es) != 0 {
		t.Errorf("after Remove and Done: %v", es)
	}
	if err := q.Done("../x"); err == nil {
		t.Error("Done with a path was accepted")
	}
	if err := q.Update(e1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of a removed message = %v, want ErrNotFound", err)
	}
	if _, err := b.Add(Entry{}, nil); err == nil {
		t.Error("a message without recipients was queued")
	}
}

// TestRecover simulates the states a crash can leave: an uncommitted
// batch, and an update interrupted before its rename.
func TestRecover(t *testing.T) {
	dir := t.TempDir()
	q, _ := Open(dir)
	b := q.Begin()
	kept, err := b.Add(entry("bob@example.com"), []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	lost := q.Begin()
	if _, err := lost.Add(entry("dave@example.com"), []byte("never got 250")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q.path(kept.ID, extTmp), []byte("half an upd"), fileMode); err != nil {
		t.Fatal(err)
	}
	q2, _ := Open(dir) // a new process
	n, err := q2.Recover()
	if err != nil || n != 2 {
		t.Errorf("Recover removed %d files (%v), want 2", n, err)
	}
	es, _ := q2.List()
	if len(es) != 1 || es[0].Rcpts[0].Addr != "bob@example.com" {
		t.Fatalf("after recovery: %+v", es)
	}
	if data, err := q2.Data(kept.ID); err != nil || string(data) != "kept" {
		t.Errorf("after recovery: Data = %q, %v", data, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, readyDir, "*"+extTmp)); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestRecoverLegacy: a queue of the two-file layout, with its own crash
// leftovers (work/, a data file without envelope), becomes one file per
// message with nothing lost.
func TestRecoverLegacy(t *testing.T) {
	dir := t.TempDir()
	q, _ := Open(dir)
	ready := filepath.Join(dir, readyDir)
	e := entry("bob@example.com")
	e.ID, e.Size, e.Attempts, e.LastError = "20261207-081500-abcdef012345", 3, 2, "451 later"
	js, _ := json.Marshal(e)
	files := map[string]string{
		filepath.Join(ready, e.ID+legacyJSON):                          string(js),
		filepath.Join(ready, e.ID+legacyEML):                           "old",
		filepath.Join(ready, "20261207-081501-abcdef012345"+legacyEML): "orphan",
		filepath.Join(dir, legacyWorkDir, "x"+legacyEML):               "uncommitted",
	}
	if err := os.MkdirAll(filepath.Join(dir, legacyWorkDir), dirMode); err != nil {
		t.Fatal(err)
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), fileMode); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := q.Recover(); err != nil || n != 3 {
		t.Errorf("Recover removed %d files (%v), want 3 (work/x, both .eml)", n, err)
	}
	got, data, err := q.Message(e.ID)
	if err != nil || string(data) != "old" || got.Attempts != 2 || got.LastError != "451 later" {
		t.Errorf("converted message: %+v %q %v", got, data, err)
	}
	left, _ := os.ReadDir(ready)
	if len(left) != 1 || left[0].Name() != e.ID+extMsg {
		t.Errorf("ready/ after conversion: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, legacyWorkDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work/ kept: %v", err)
	}
}

func TestFlushAndAbort(t *testing.T) {
	q, _ := Open(t.TempDir())
	b := q.Begin()
	e := entry("bob@example.com")
	e.NextAttempt = time.Now().Add(time.Hour)
	if _, err := b.Add(e, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Flush(); n != 1 || err != nil {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	es, _ := q.List()
	if !es[0].NextAttempt.IsZero() {
		t.Errorf("flushed message not due: %v", es[0].NextAttempt)
	}
	b.Abort()
	if es, _ := q.List(); len(es) != 0 {
		t.Errorf("aborted batch still queued: %v", es)
	}
	if _, err := Open("relative"); err == nil {
		t.Error("a relative queue directory was accepted")
	}
	if free, err := q.FreeSpace(); err != nil || free <= 0 {
		t.Errorf("FreeSpace = %d, %v", free, err)
	}
}

func TestTool(t *testing.T) {
	dir := t.TempDir()
	q, _ := Open(dir)
	b := q.Begin()
	e, _ := b.Add(entry("bob@example.com"), []byte("hello"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	tool := Tool{Name: "mailgw queue", LoadDir: func(string) (string, error) { return dir, nil }}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := tool.Main(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("list"); code != 0 || !strings.Contains(out, e.ID) || !strings.Contains(out, "Total: 1 queued messages, 5 bytes") {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, _ := run("flush"); code != 0 || !strings.Contains(out, "0 messages") {
		t.Errorf("flush: %d %q", code, out)
	}
	if code, _, errs := run("remove", "no-such-id"); code != exitFailed || !strings.Contains(errs, "no such") {
		t.Errorf("remove unknown: %d %q", code, errs)
	}
	if code, _, _ := run("remove", e.ID); code != 0 {
		t.Errorf("remove: %d", code)
	}
	if code, _, _ := run("bogus"); code != exitUsage {
		t.Errorf("bogus command: %d", code)
	}
	if code, _, _ := run(); code != exitUsage {
		t.Errorf("no command: %d", code)
	}
	if code, _, _ := run("remove", "../etc"); code != exitFailed {
		t.Errorf("remove with a path: %d", code)
	}
}

// FuzzDecode: any file decodes or fails without panicking, and what
// decodes encodes back to a file that decodes the same.
func FuzzDecode(f *testing.F) {
	raw, _ := encode(entry("bob@example.com"), []byte("Subject: x\r\n\r\nbody\r\n"))
	f.Add(raw)
	f.Add([]byte("{}\n"))
	f.Add([]byte("{\"id\":\"x\"}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, data, err := decode(raw)
		if err != nil {
			return
		}
		again, err := encode(e, data)
		if err != nil {
			t.Fatal(err)
		}
		e2, data2, err := decode(again)
		if err != nil || !bytes.Equal(data, data2) || e2.ID != e.ID || len(e2.Rcpts) != len(e.Rcpts) {
			t.Fatalf("round trip: %+v %q %v, want %+v %q", e2, data2, err, e, data)
		}
	})
}

// encode is a message file as Batch.Add and replace write it (they write
// the two parts without joining them): the envelope line, then the
// message.
func encode(e Entry, data []byte) ([]byte, error) {
	line, err := envelopeLine(e)
	return append(line, data...), err
}
