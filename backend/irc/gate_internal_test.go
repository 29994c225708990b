package irc

import (
	"context"
	"testing"
	"time"
)

// TestGateBound: connectConcurrency connections towards one server register at once; the
// next waits until one is done, or gives up with its context; another server has its own
// slots; the map forgets a server nobody waits for or registers with.
func TestGateBound(t *testing.T) {
	var g gates
	ctx := context.Background()
	for range connectConcurrency {
		if !g.acquire(ctx, "a:6667") {
			t.Fatal("acquire under the bound failed")
		}
	}
	if !g.acquire(ctx, "b:6667") {
		t.Fatal("another server shares the bound")
	}
	g.release("b:6667")

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if g.acquire(short, "a:6667") {
		t.Fatal("acquire past the bound did not wait")
	}

	got := make(chan bool)
	go func() { got <- g.acquire(ctx, "a:6667") }()
	select {
	case <-got:
		t.Fatal("acquire past the bound did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	g.release("a:6667")
	if !<-got {
		t.Fatal("a waiting acquire did not get the freed slot")
	}
	for range connectConcurrency {
		g.release("a:6667")
	}
	if n := g.size(); n != 0 {
		t.Fatalf("%d servers still have a gate, want 0", n)
	}
}
