package bench

import (
	"os"
	"testing"
)

func TestTreeMemoryReadsRSSAndPSS(t *testing.T) {
	m, err := TreeMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.Root.PID != os.Getpid() || m.RSS <= 0 || m.PSS <= 0 || m.PSS > m.RSS {
		t.Fatalf("implausible reading: %+v", m)
	}
	if _, ok := m.Find(os.Getpid()); !ok {
		t.Fatal("Find does not find the root")
	}
}
