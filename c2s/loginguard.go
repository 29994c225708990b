package c2s

import (
	"container/list"
	"sync"
	"time"
)

// guardEntries bounds each table of the login guard (accounts, sources): past it the
// entry used least recently is forgotten. An entry is some 150 bytes.
const guardEntries = 65536

// loginGuard counts failed logins per account (bare JID) and per source (the address's
// prefix, sourceOf) and paces the attempts with an exponential back-off (issue 18). For
// the account an attempt counts from the moment it is asked (begin), so that attempts made
// at once cannot outrun the threshold, and stops counting when it succeeds or fails for a
// reason other than the password (end). A source counts failures only: many users behind
// one address (a NAT, a reconnect storm after a restart) log in at once, and how fast one
// address may guess is bounded by limits.logins_per_minute_per_ip. A key at the threshold
// within the window is refused without asking the Authenticator: a check against a live
// legacy session's password or admin_password, answered at once, is then no faster an
// oracle than the legacy network.
type loginGuard struct {
	threshold int
	window    time.Duration
	base, max time.Duration

	mu                sync.Mutex
	accounts, sources guardTable
}

// outcome is how an attempt ended, for loginGuard.end.
type outcome int

const (
	loginOK     outcome = iota // authenticated
	loginFailed                // refused for its credentials (not-authorized)
	loginOther                 // ended for another reason: not the client's guess
)

func newLoginGuard(cfg Config, entries int) *loginGuard {
	g := &loginGuard{threshold: cfg.LoginFailures, window: cfg.LoginFailureWindow,
		base: cfg.LoginBackoff, max: max(cfg.LoginBackoffMax, cfg.LoginBackoff)}
	g.accounts.init(entries)
	g.sources.init(entries)
	return g
}

// begin counts an attempt of account from source. refused means one of the keys reached
// the threshold: the attempt must not be asked. Otherwise wait is how long the attempt
// waits before it is asked: the back-off of the keys' last failure.
func (g *loginGuard) begin(account, source string, now time.Time) (wait time.Duration, refused bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, s := g.accounts.get(account, now, g.window), g.sources.get(source, now, g.window)
	if a.n >= g.threshold || s.n >= g.threshold {
		return 0, true
	}
	if a.n == 0 {
		a.start = now
	}
	a.n++
	return max(a.until.Sub(now), s.until.Sub(now)), false
}

// end records the outcome of an attempt begin counted. For a failure it returns the
// back-off by which the answer is delayed, also the earliest time of the keys' next
// attempt. A success forgets the account's failures; the source keeps the others'.
func (g *loginGuard) end(account, source string, o outcome, now time.Time) (delay time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, s := g.accounts.get(account, now, g.window), g.sources.get(source, now, g.window)
	switch o {
	case loginFailed:
		if s.n == 0 {
			s.start = now
		}
		s.n++
		a.n = max(a.n, 1) // an entry forgotten meanwhile counts this failure alone
		for _, e := range []*guardEntry{a, s} {
			d := g.backoff(e.n)
			e.until = now.Add(d)
			delay = max(delay, d)
		}
		return delay
	case loginOK:
		g.accounts.remove(account)
	default:
		a.n = max(a.n-1, 0)
	}
	return 0
}

// backoff is the delay after the nth failure: base, doubled per failure, at most max.
func (g *loginGuard) backoff(n int) time.Duration {
	d := g.base
	for i := 1; i < n && d < g.max; i++ {
		d *= 2
	}
	return min(d, g.max)
}

// guardEntry is one key's count.
type guardEntry struct {
	key   string
	n     int       // counted in the window: failures, and for an account attempts under way
	start time.Time // when the window began: the first attempt counted
	until time.Time // attempts wait until then: the back-off of the last failure
}

// guardTable is a bounded map of entries in the order of their use (LRU).
type guardTable struct {
	max   int
	m     map[string]*list.Element
	order list.List // of *guardEntry, most recently used first
}

func (t *guardTable) init(entries int) {
	t.max = entries
	t.m = make(map[string]*list.Element)
	t.order.Init()
}

// get returns key's entry, made when missing and reset when its window ended, as the
// most recently used; a new entry past the bound pushes out the least recently used.
func (t *guardTable) get(key string, now time.Time, window time.Duration) *guardEntry {
	if el, ok := t.m[key]; ok {
		t.order.MoveToFront(el)
		e := el.Value.(*guardEntry)
		if e.n > 0 && now.Sub(e.start) >= window {
			e.n = 0
		}
		return e
	}
	if len(t.m) >= t.max {
		last := t.order.Back()
		t.order.Remove(last)
		delete(t.m, last.Value.(*guardEntry).key)
	}
	e := &guardEntry{key: key}
	t.m[key] = t.order.PushFront(e)
	return e
}

func (t *guardTable) remove(key string) {
	if el, ok := t.m[key]; ok {
		t.order.Remove(el)
		delete(t.m, key)
	}
}

func (t *guardTable) size() int { return len(t.m) }
