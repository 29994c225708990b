package router

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/pluginserver"
)

// actorsRunning is the number of goroutines the router counts.
func (r *Router) actorsRunning() int {
	r.actors.mu.Lock()
	defer r.actors.mu.Unlock()
	return r.actors.n
}

// TestNothingStartsAfterRun: once Run has returned, a post (a stream closing late, a
// backend frame) starts no actor; it is dropped with a warning.
func TestNothingStartsAfterRun(t *testing.T) {
	e := newEnv(t, nil)
	_, h := e.connect("bob@localhost", secret, "a")
	u := e.r.lookup("bob@localhost")
	e.stop()

	ran, hold := make(chan struct{}), make(chan struct{})
	defer close(hold)
	u.post(func() { close(ran); <-hold }) // an actor that started would stay counted
	h.Closed(nil)
	if n := e.r.actorsRunning(); n != 0 {
		t.Fatalf("%d actors running after Run returned", n)
	}
	select {
	case <-ran:
		t.Fatal("work ran after Run returned")
	default:
	}
	if got := strings.Count(e.log.String(), "posted after the router stopped"); got != 2 {
		t.Errorf("%d warnings for the 2 dropped posts:\n%s", got, e.log.String())
	}
}

// TestFarewellThenRun: the daemon's order (server/run.go). Farewell logs the users out
// while the streams are open; what the closing streams post afterwards still runs,
// because Run has not returned yet; Run returns once it has.
func TestFarewellThenRun(t *testing.T) {
	logs := &syncWriter{w: &bytes.Buffer{}}
	r := New(Config{Domain: "localhost", Log: zerolog.New(logs).Level(zerolog.DebugLevel)})
	be := &fakeBackends{r: r, features: pluginserver.Features{Receipts: true}}
	r.SetBackends(be)
	e := &env{t: t, r: r, be: be, log: logs, stop: func() {}}
	fctx, fcancel := context.WithCancel(context.Background())
	rctx, rcancel := context.WithCancel(context.Background())
	defer fcancel()
	defer rcancel()
	farewell, run := make(chan struct{}), make(chan struct{})
	go func() { _ = r.Farewell(fctx); close(farewell) }()
	go func() { _ = r.Run(rctx); close(run) }()

	_, h := e.connect("bob@localhost", secret, "a")
	u := r.lookup("bob@localhost")
	fcancel()
	select {
	case <-farewell:
	case <-time.After(waitFor):
		t.Fatal("Farewell did not return")
	}
	if n := be.nLogouts(); n != 1 {
		t.Errorf("%d LOGOUTs after Farewell, want 1", n)
	}
	if _, err := e.auth("carol@localhost", secret); err == nil {
		t.Error("login accepted after Farewell")
	}
	// c2s closes the streams now: their work runs.
	h.Closed(nil)
	ran := make(chan struct{})
	u.post(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(waitFor):
		t.Fatal("work posted between Farewell and Run's end did not run")
	}
	rcancel()
	select {
	case <-run:
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
	}
	if strings.Contains(logs.String(), "posted after the router stopped") {
		t.Errorf("work dropped:\n%s", logs.String())
	}
}
