package benchproc

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestMemory: a process tree's figures include its children, and a
// process that does not exist has none; the CPU time of a busy process
// grows.
func TestMemory(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	self := os.Getpid()
	alone := statusField("/proc/self/status", "VmHWM:")
	for _, tc := range []struct {
		name string
		kb   func(int) int
	}{{"PeakRSS", PeakRSS}, {"PSS", PSS}} {
		if got := tc.kb(self); got <= 0 {
			t.Errorf("%s of this process: %d KiB", tc.name, got)
		}
		if got := tc.kb(1 << 30); got != 0 {
			t.Errorf("%s of no process: %d KiB", tc.name, got)
		}
	}
	spin, busy := time.Now().Add(2*time.Second), 0
	for CPUTime(self) == 0 && time.Now().Before(spin) {
		for i := 0; i < 1e6; i++ {
			busy += i & 1
		}
	}
	t.Logf("busy loop: %d", busy)
	if got := CPUTime(self); got <= 0 {
		t.Errorf("CPUTime of this process: %v", got)
	}
	if got := CPUTime(1 << 30); got != 0 {
		t.Errorf("CPUTime of no process: %v", got)
	}
	if got := PeakRSS(self); got <= alone {
		t.Errorf("PeakRSS with a child %d KiB, not above this process's own %d KiB", got, alone)
	}
}
