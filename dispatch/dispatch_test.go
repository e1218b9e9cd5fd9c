package dispatch

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/quarantine"
)

// storedOne returns the only message of the store in dir.
func storedOne(t *testing.T, dir string) (quarantine.Meta, []byte) {
	t.Helper()
	s, err := quarantine.Open(dir, quarantine.Options{MustExist: true, NoIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	metas, err := s.List(quarantine.Filter{})
	if err != nil || len(metas) != 1 {
		t.Fatalf("store %s: %d messages, error %v; want 1", dir, len(metas), err)
	}
	meta, raw, err := s.Get(metas[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".eml", ".json"} {
		fi, err := os.Stat(filepath.Join(dir, meta.ID+ext))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s%s: mode %v, want 0600", meta.ID, ext, fi.Mode().Perm())
		}
	}
	return meta, raw
}

func TestQuarantineStoresOriginalWithMetadata(t *testing.T) {
	sink := startSink(t)
	asDir := filepath.Join(t.TempDir(), "as")
	avDir := filepath.Join(t.TempDir(), "av")
	dec := virusDecision(avDir)
	dec.Quarantine = append(dec.Quarantine, decision.Quarantine{Store: "as", Path: asDir, Statuses: []string{"as/spam"}})
	dec.Spam = decision.Spam{Status: "spam", Score: 12.5, Rules: []string{"URIBL", "BAYES_99"}}
	d := testDispatcher(t, SMTPSubmitter{Addr: sink.Addr})

	if err := run(t, d, dec, testEnvelope(), rawMessage); err != nil {
		t.Fatal(err)
	}
	meta, raw := storedOne(t, avDir)
	if string(raw) != rawMessage {
		t.Errorf("stored bytes %q, want the original %q", raw, rawMessage)
	}
	if meta.Status != "av/infected" || meta.Sender != "alice@example.org" || meta.Group != "staff" ||
		meta.QueueID != "4XyZ1" || meta.ClientIP.String() != "192.0.2.7" || !meta.Arrival.Equal(arrival) ||
		!slices.Equal(meta.Recipients, dec.Recipients) {
		t.Errorf("metadata %+v", meta)
	}
	wantReasons := []string{"av/infected", "avf/filtered",
		`object 2 "invoice.exe" application/x-dosexec: infected Eicar-Test-Signature (remove)`}
	if !slices.Equal(meta.Reasons, wantReasons) {
		t.Errorf("reasons %q, want %q", meta.Reasons, wantReasons)
	}
	asMeta, _ := storedOne(t, asDir)
	if asMeta.Status != "as/spam" || !slices.Contains(asMeta.Reasons, "as_rules URIBL BAYES_99") {
		t.Errorf("anti-spam metadata %+v", asMeta)
	}
}

func TestQuarantineFailureMustTempfail(t *testing.T) {
	sink := startSink(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dec := virusDecision(filepath.Join(file, "av")) // below a regular file: cannot be created
	dec.Notify = []decision.Notification{{To: "admin", Addresses: []string{"admin@example.com"}, Statuses: []string{"av/infected"}}}
	d := testDispatcher(t, SMTPSubmitter{Addr: sink.Addr})

	err := run(t, d, dec, testEnvelope(), rawMessage)
	if !errors.Is(err, quarantine.ErrNoStore) || !MustTempfail(err) {
		t.Fatalf("Run = %v; want a fatal error wrapping ErrNoStore", err)
	}
	var ne *NotifyError
	if errors.As(err, &ne) {
		t.Errorf("quarantine failure reported as a NotifyError: %v", err)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d notices sent about a message that was not quarantined", n)
	}
}

// failingStore refuses every message, as a full disk would.
type failingStore struct{}

func (failingStore) Put(quarantine.Meta, []byte) (string, error) {
	return "", errors.New("no space left on device")
}

func TestPutFailureMustTempfail(t *testing.T) {
	d := New(Options{OpenStore: func(string) (Store, error) { return failingStore{}, nil }})
	err := run(t, d, virusDecision(t.TempDir()), testEnvelope(), rawMessage)
	if err == nil || !MustTempfail(err) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Run = %v; want the store's error, fatal", err)
	}
}

func TestStoresOpenedOncePerDir(t *testing.T) {
	dir := t.TempDir()
	opened := 0
	d := New(Options{OpenStore: func(dir string) (Store, error) {
		opened++
		return openQuarantine(dir)
	}})
	for range 3 {
		if err := run(t, d, virusDecision(dir), testEnvelope(), rawMessage); err != nil {
			t.Fatal(err)
		}
	}
	if opened != 1 {
		t.Errorf("store opened %d times, want once", opened)
	}
}

func TestMustTempfail(t *testing.T) {
	if MustTempfail(nil) || MustTempfail(&NotifyError{Errs: []error{errors.New("x")}}) || !MustTempfail(errors.New("x")) {
		t.Error("MustTempfail must be true for every error but a NotifyError")
	}
}
