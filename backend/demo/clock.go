package demo

import (
	"context"
	"time"

	"github.com/gospectrum/spectrum2/backend"
)

// startClock puts u on the clock of connection s once its roster was sent, and starts that
// connection's ticker if it is not running. One ticker serves every user of a connection,
// so an idle user costs no goroutine (a goroutine per user cost a stack each).
func (p *Plugin) startClock(s *backend.Sink, u *user) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users[u.jid] != u {
		return // logged out (or logged in again) while the roster was being sent
	}
	u.cancel = nil // the login is complete: nothing is left to cancel
	u.clock = s
	_, running := p.clocks[s]
	p.clocks[s]++
	if !running {
		s.Go(func(ctx context.Context) { p.runClock(ctx, s) })
	}
}

// runClock changes the clock's presence for every user of s each period, until the
// connection ends or no user is left on it. Each user's clock cycles from its own login.
func (p *Plugin) runClock(ctx context.Context, s *backend.Sink) {
	t := time.NewTicker(p.clockPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.stopClock(s)
			return
		case now := <-t.C:
			buddies, more := p.clockTick(s, now)
			if !more {
				return
			}
			for _, b := range buddies {
				if s.Buddy(b) != nil {
					p.stopClock(s)
					return
				}
			}
		}
	}
}

// clockTick advances the clock of every user of s and returns their clock contacts; false
// when no user is left, after which the ticker of s is stopped (the next login restarts it).
func (p *Plugin) clockTick(s *backend.Sink, now time.Time) ([]backend.Buddy, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.clocks[s] <= 0 {
		delete(p.clocks, s)
		return nil, false
	}
	var out []backend.Buddy
	for _, u := range p.users {
		if u.clock == s {
			u.tick++
			out = append(out, p.clockBuddy(u.jid, now, u.tick))
		}
	}
	return out, true
}

// stopClock forgets the ticker of s and takes its users off it: the connection is over
// or broken, nothing more can be sent on it.
func (p *Plugin) stopClock(s *backend.Sink) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.clocks, s)
	for _, u := range p.users {
		if u.clock == s {
			u.clock = nil
		}
	}
}
