package server

import (
	"net"
	"sync"
)

// Bounds on the upload listener's connections: a client (an IP address) holds a few
// (browsers open 6 per host; a phone uploading and downloading at once a few more), and
// all clients together a bounded number of descriptors.
const (
	maxUploadConns      = 1024
	maxUploadConnsPerIP = 32
)

// connLimiter is a listener that closes, at once, connections past max in all or past
// perIP from one address; the HTTP server never sees them. Its map holds only the
// addresses with a connection open, so it is bounded by max.
type connLimiter struct {
	net.Listener
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func newConnLimiter(ln net.Listener, max, perIP int) *connLimiter {
	return &connLimiter{Listener: ln, max: max, perIP: perIP, byIP: make(map[string]int)}
}

// Accept returns the next connection within the bounds.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		if l.take(ip) {
			return &limitedConn{Conn: c, release: func() { l.give(ip) }}, nil
		}
		c.Close()
	}
}

func (l *connLimiter) take(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || l.byIP[ip] >= l.perIP {
		return false
	}
	l.total++
	l.byIP[ip]++
	return true
}

func (l *connLimiter) give(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

func hostOf(a net.Addr) string {
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}

// limitedConn gives its place back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
