package quarantine

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDeliverer(t *testing.T) {
	s := startSink(t, func(s *sink) { s.refuseRcpt = "nobody@example.org" })
	d := Deliverer{Addr: s.Addr, Helo: "gw.example.com", Timeout: 5 * time.Second}
	tests := []struct {
		name    string
		meta    Meta
		wantErr string
		want    *sunk
	}{
		{"envelope and bytes unchanged",
			Meta{ID: "m1", Sender: "a@example.com", Recipients: []string{"b@example.org", "c@example.org"}}, "",
			&sunk{From: "a@example.com", To: []string{"b@example.org", "c@example.org"}, Data: sample}},
		{"null sender",
			Meta{ID: "m2", Sender: "", Recipients: []string{"b@example.org"}}, "",
			&sunk{From: "", To: []string{"b@example.org"}, Data: sample}},
		{"one refused recipient sends nothing",
			Meta{ID: "m3", Sender: "a@example.com", Recipients: []string{"b@example.org", "nobody@example.org"}},
			"recipient <nobody@example.org>: SMTP error 550", nil},
		{"no recipients", Meta{ID: "m4", Sender: "a@example.com"}, "no recipients", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.received())
			err := d.Deliver(tt.meta, []byte(sample))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Deliver = %v, want an error containing %q", err, tt.wantErr)
			case errors.Is(err, ErrOutcomeUnknown):
				t.Fatalf("a refusal is not an unknown outcome: %v", err)
			}
			got := s.received()[before:]
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("the sink received %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].From != tt.want.From || !slices.Equal(got[0].To, tt.want.To) || got[0].Data != tt.want.Data {
				t.Fatalf("the sink received %+v, want %+v", got, *tt.want)
			}
		})
	}
}

func TestDelivererUnreachable(t *testing.T) {
	d := Deliverer{Addr: "127.0.0.1:1", Timeout: time.Second}
	err := d.Deliver(Meta{ID: "m", Recipients: []string{"b@example.org"}}, []byte(sample))
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Deliver to a closed port = %v", err)
	}
}

// TestDelivererNoReply: the data went in full but no reply came; the next
// hop may have the message.
func TestDelivererNoReply(t *testing.T) {
	s := startSink(t, func(s *sink) { s.dataDelay = 2 * time.Second })
	d := Deliverer{Addr: s.Addr, Timeout: 300 * time.Millisecond}
	err := d.Deliver(Meta{ID: "m", Recipients: []string{"b@example.org"}}, []byte(sample))
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Deliver = %v, want ErrOutcomeUnknown", err)
	}
}

func TestRelease(t *testing.T) {
	s := startSink(t, nil)
	dir := t.TempDir()
	st := openStore(t, dir, Options{})
	id := mustPut(t, st, sampleMeta(), sample)
	d := Deliverer{Addr: s.Addr, Timeout: 5 * time.Second}

	if err := st.Release(id, d.Deliver); err != nil {
		t.Fatal(err)
	}
	got := s.received()
	if len(got) != 1 || got[0].Data != sample || !slices.Equal(got[0].To, sampleMeta().Recipients) {
		t.Fatalf("the sink received %+v", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{id + extSent}) {
		t.Errorf("after release the store holds %v, want only the receipt", names)
	}
	if l, _ := st.List(Filter{}); len(l) != 0 {
		t.Errorf("a released message is still listed: %v", ids(l))
	}
	err := st.Release(id, d.Deliver)
	if !errors.Is(err, ErrAlreadySent) {
		t.Errorf("second Release = %v, want ErrAlreadySent", err)
	}
	if len(s.received()) != 1 {
		t.Errorf("second Release delivered again")
	}
	if err := st.Release("unknown", d.Deliver); !errors.Is(err, ErrNotFound) {
		t.Errorf("Release(unknown) = %v, want ErrNotFound", err)
	}
	if err := st.Release("../x", d.Deliver); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Release(../x) = %v, want ErrInvalidID", err)
	}
}

// TestReleaseFailures: a refusal puts the message back as it was; an
// unknown outcome leaves it claimed.
func TestReleaseFailures(t *testing.T) {
	tests := []struct {
		name      string
		deliver   func(Meta, []byte) error
		wantErr   error
		wantFiles []string // suffixes left for the message
	}{
		{"refused", func(Meta, []byte) error { return errors.New("550 no") }, ErrNotDelivered, []string{extEML, extJSON}},
		{"outcome unknown", func(Meta, []byte) error { return ErrOutcomeUnknown }, ErrOutcomeUnknown, []string{extEML, extSending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir, Options{})
			id := mustPut(t, st, sampleMeta(), sample)
			before := readFile(t, filepath.Join(dir, id+extJSON))
			if err := st.Release(id, tt.deliver); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Release = %v, want %v", err, tt.wantErr)
			}
			var want []string
			for _, ext := range tt.wantFiles {
				want = append(want, id+ext)
			}
			if names := dirNames(t, dir); !slices.Equal(names, want) {
				t.Fatalf("store holds %v, want %v", names, want)
			}
			if tt.wantErr == ErrNotDelivered && readFile(t, filepath.Join(dir, id+extJSON)) != before {
				t.Error("the metadata changed")
			}
		})
	}
}

// TestReleaseInterrupted covers what a crashed release leaves behind.
func TestReleaseInterrupted(t *testing.T) {
	now := time.Date(2024, 5, 31, 12, 0, 0, 0, time.UTC)
	never := func(Meta, []byte) error { t.Error("delivered"); return nil }
	// claimAt makes the files of a release interrupted at claim time when.
	claimAt := func(t *testing.T, st *Store, when time.Time) string {
		id := mustPut(t, st, sampleMeta(), sample)
		sending := filepath.Join(st.Dir(), id+extSending)
		if err := os.Rename(filepath.Join(st.Dir(), id+extJSON), sending); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(sending, when, when); err != nil {
			t.Fatal(err)
		}
		return id
	}
	t.Run("in progress", func(t *testing.T) {
		st := openStore(t, t.TempDir(), Options{Now: func() time.Time { return now }})
		id := claimAt(t, st, now.Add(-time.Minute))
		err := st.Release(id, never)
		if !errors.Is(err, ErrClaimed) || !strings.Contains(err.Error(), "claimed 1m0s ago") {
			t.Fatalf("Release = %v", err)
		}
		if err := st.Remove(id); !errors.Is(err, ErrClaimed) {
			t.Errorf("Remove of a claimed message = %v", err)
		}
		if _, raw, err := st.Get(id); err != nil || string(raw) != sample {
			t.Errorf("Get of a claimed message = %v", err)
		}
	})
	t.Run("stale: crashed after delivering, before the receipt", func(t *testing.T) {
		st := openStore(t, t.TempDir(), Options{Now: func() time.Time { return now }})
		id := claimAt(t, st, now.Add(-time.Hour))
		err := st.Release(id, never)
		if !errors.Is(err, ErrClaimed) || !strings.Contains(err.Error(), "never finished") || !strings.Contains(err.Error(), "mv ") {
			t.Fatalf("Release = %v", err)
		}
		claims, err := st.Claims()
		if err != nil || len(claims) != 1 || claims[0].ID != id || !claims[0].Stale {
			t.Fatalf("Claims = %+v, %v", claims, err)
		}
		if n, err := st.Purge(time.Minute); n != 0 || err != nil {
			t.Errorf("Purge = %d, %v: a claimed message must stay", n, err)
		}
		if names := dirNames(t, st.Dir()); len(names) != 2 {
			t.Errorf("store holds %v", names)
		}
	})
	t.Run("crashed after the receipt, before cleaning up", func(t *testing.T) {
		st := openStore(t, t.TempDir(), Options{Now: func() time.Time { return now }})
		id := claimAt(t, st, now.Add(-time.Hour))
		if err := os.WriteFile(filepath.Join(st.Dir(), id+extSent), []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := st.Release(id, never); !errors.Is(err, ErrAlreadySent) {
			t.Fatalf("Release = %v, want ErrAlreadySent", err)
		}
		if names := dirNames(t, st.Dir()); !slices.Equal(names, []string{id + extSent}) {
			t.Errorf("cleanup left %v", names)
		}
	})
	t.Run("restored from a backup after its release", func(t *testing.T) {
		st := openStore(t, t.TempDir(), Options{Now: func() time.Time { return now }})
		id := mustPut(t, st, sampleMeta(), sample)
		if err := os.WriteFile(filepath.Join(st.Dir(), id+extSent), []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := st.Release(id, never); !errors.Is(err, ErrAlreadySent) {
			t.Fatalf("Release = %v, want ErrAlreadySent", err)
		}
		if _, _, err := st.Get(id); err != nil {
			t.Errorf("the restored message was damaged: %v", err)
		}
	})
}

// TestReleaseConcurrent: many releases of one message, each with its own
// Store as separate processes would have, deliver it once.
func TestReleaseConcurrent(t *testing.T) {
	s := startSink(t, func(s *sink) { s.dataDelay = 50 * time.Millisecond })
	dir := t.TempDir()
	id := mustPut(t, openStore(t, dir, Options{}), sampleMeta(), sample)
	d := Deliverer{Addr: s.Addr, Timeout: 5 * time.Second}
	const n = 16
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			st := openStore(t, dir, Options{})
			<-start
			errs[i] = st.Release(id, d.Deliver)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrClaimed), errors.Is(err, ErrAlreadySent):
		default:
			t.Errorf("Release: %v", err)
		}
	}
	if got := len(s.received()); ok != 1 || got != 1 {
		t.Fatalf("%d releases succeeded and the sink received %d messages; want 1 and 1", ok, got)
	}
}

// TestReleaseTwoProcesses runs mailgw-maila --send-id twice at once, as two
// processes (this test binary, re-executed): exactly one message arrives,
// one process exits 0 and the other 4.
func TestReleaseTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s := startSink(t, func(s *sink) { s.dataDelay = 200 * time.Millisecond })
	dir := t.TempDir()
	id := mustPut(t, openStore(t, dir, Options{}), sampleMeta(), sample)
	gate := filepath.Join(t.TempDir(), "go")
	cmds := make([]*exec.Cmd, 2)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMaila$", "--",
			"--archive-path="+dir, "--send-id="+id, "--release-host="+s.Addr)
		cmd.Env = append(os.Environ(), "QUARANTINE_HELPER_GATE="+gate)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	time.Sleep(300 * time.Millisecond) // both started and waiting at the gate
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, cmd := range cmds {
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		codes = append(codes, cmd.ProcessState.ExitCode())
	}
	slices.Sort(codes)
	if got := len(s.received()); got != 1 || !slices.Equal(codes, []int{ExitOK, ExitNotDone}) {
		t.Fatalf("exit codes %v, the sink received %d messages; want [0 4] and 1", codes, got)
	}
}

// TestHelperMaila is not a test: TestReleaseTwoProcesses runs it in a
// child process, where it waits for the gate file and then runs Main.
func TestHelperMaila(t *testing.T) {
	gate := os.Getenv("QUARANTINE_HELPER_GATE")
	if gate == "" {
		t.Skip("helper process only")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(gate); err == nil {
			break
		}
	}
	os.Exit(Main(args, os.Stdout, os.Stderr))
}
