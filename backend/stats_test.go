package backend

import (
	"testing"
	"time"
)

// TestStatsReadEvery: the memory figures of a STATS are read again only once they are
// statsEvery old.
func TestStatsReadEvery(t *testing.T) {
	s := newStats()
	now := time.Now()
	first := s.message(now)
	s.res = -1 // what a new reading cannot give
	if m := s.message(now.Add(statsEvery / 2)); m.GetRes() != -1 {
		t.Errorf("read again within statsEvery: res %d", m.GetRes())
	}
	if m := s.message(now.Add(statsEvery)); m.GetRes() == -1 || m.GetId() != first.GetId() {
		t.Errorf("not read again after statsEvery: res %d, id %q (was %q)", m.GetRes(), m.GetId(), first.GetId())
	}
}
