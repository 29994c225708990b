package irc

import (
	"context"
	"sync"
)

// connectConcurrency is how many connections of one backend process may be between the
// dial and RPL_WELCOME towards one IRC server at once. A gateway logs in its users from
// one address, in bursts (the daemon's logins, the re-login of a whole backend): without
// a bound, thousands of connects reach the server together. ngircd, for one, listens
// with a backlog of 10 and accepts between writes to its clients; during a join flood the
// rest of a burst overflowed it (the kernel's ListenOverflows), and those connections
// timed out in the dial or were reset once they sent NICK (issue 26: logins lost above
// about 1,100 users). Registration takes milliseconds, so 4 at a time still logs in
// hundreds of users a second.
const connectConcurrency = 4

// gates bounds the connections being registered per IRC server (connectConcurrency).
// It holds an entry only for a server with a connection waiting or registering, so it
// has at most one per connection of the process.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate // by serverAddr.String()
}

// gate is one server's semaphore and how many connections use it (holding or waiting).
type gate struct {
	slots chan struct{}
	users int
}

// acquire waits for a registration slot towards server, or for ctx to end (false). A
// true return must be followed by exactly one release.
func (g *gates) acquire(ctx context.Context, server string) bool {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	e := g.m[server]
	if e == nil {
		e = &gate{slots: make(chan struct{}, connectConcurrency)}
		g.m[server] = e
	}
	e.users++
	g.mu.Unlock()
	select {
	case e.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		g.done(server, e)
		return false
	}
}

// release frees the slot taken by acquire.
func (g *gates) release(server string) {
	g.mu.Lock()
	e := g.m[server]
	g.mu.Unlock()
	<-e.slots
	g.done(server, e)
}

// done forgets a user of e, and e once nobody uses it.
func (g *gates) done(server string, e *gate) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e.users--
	if e.users == 0 {
		delete(g.m, server)
	}
}

// size is the number of servers with a gate (for the tests).
func (g *gates) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}
