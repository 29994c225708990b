package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"
)

// RosterResult is the roster test at one roster size.
type RosterResult struct {
	Contacts int
	Users    int
	Time     Summary // roster get sent to the last item received
	Login    Summary // TCP connect to the last item received
	PerUser  float64 // growth of the server's tree RSS per logged-in user with this roster, bytes
	// HeapPerUser is the growth of the daemon's live Go heap per logged-in user, bytes, each
	// reading right after a forced collection (0: the server serves no heap profile). The
	// roster lives in the daemon (the demo backend generates its contacts on the fly), and
	// this figure is exact where RSS is not: see quietMemory.
	HeapPerUser float64
	Err         string
}

// RunRoster restarts srv with contacts demo contacts per user, logs in one user to warm up,
// then users more one after the other, timing each until its complete roster (contacts plus
// the demo's echo and clock) arrived, and measuring the memory they hold.
func RunRoster(ctx context.Context, srv *Server, cfg *tls.Config, contacts, users int) RosterResult {
	r := RosterResult{Contacts: contacts, Users: users}
	// The whole roster may be queued to the client at once: with spectrum2's default
	// queue_size (1000) a 10,000-contact roster ends the stream with policy-violation.
	if err := srv.Start(ctx, Options{Contacts: contacts, QueueSize: max(1000, 3*contacts)}); err != nil {
		r.Err = err.Error()
		return r
	}
	defer srv.Stop()
	var open []*Session
	defer func() {
		for _, s := range open {
			s.Close()
		}
	}()
	want := contacts + 2
	login := func(i int) (Phases, error) {
		a := srv.Account(i)
		a.Addr, a.Resource = srv.Addr, "roster"
		lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		s, ph, err := Login(lctx, a, cfg, want)
		if err != nil {
			return ph, fmt.Errorf("user %d, roster of %d: %w", i, want, err)
		}
		open = append(open, s)
		return ph, nil
	}
	if _, err := login(0); err != nil {
		r.Err = err.Error()
		return r
	}
	base, baseHeap, err := quietMemory(ctx, srv)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	var rost, total []time.Duration
	for i := 1; i <= users; i++ {
		ph, err := login(i)
		if err != nil {
			r.Err = err.Error()
			return r
		}
		rost, total = append(rost, ph.Roster), append(total, ph.Total)
	}
	u, heap, err := quietMemory(ctx, srv)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.Time, r.Login = Summarize(rost), Summarize(total)
	r.PerUser = float64(u.RSS-base.RSS) / float64(users)
	if baseHeap > 0 && heap > 0 {
		r.HeapPerUser = float64(heap-baseHeap) / float64(users)
	}
	return r
}
