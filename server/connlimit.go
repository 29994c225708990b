package server

import (
	"net"
	"net/netip"
	"sync"
)

// connLimiter is a listener that closes, at once, connections past max in all or past
// perIP (0: none) from one address other than a trusted proxy's (upload.max_connections,
// max_connections_per_ip, trusted_proxies: a reverse proxy carries every user, and 32 of
// its connections must not be the service's limit); the HTTP server never sees them. Its
// map holds only the addresses with a connection open, so it is bounded by max.
type connLimiter struct {
	net.Listener
	max, perIP int
	trusted    []netip.Prefix

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func newConnLimiter(ln net.Listener, max, perIP int, trusted []netip.Prefix) *connLimiter {
	return &connLimiter{Listener: ln, max: max, perIP: perIP, trusted: trusted, byIP: make(map[string]int)}
}

// limited reports whether ip counts against perIP: not for a trusted proxy.
func (l *connLimiter) limited(ip string) bool {
	if l.perIP <= 0 {
		return false
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return true
	}
	a = a.Unmap()
	for _, p := range l.trusted {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// Accept returns the next connection within the bounds.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		if !l.limited(ip) {
			ip = "" // counted in total only
		}
		if l.take(ip) {
			return &limitedConn{Conn: c, release: func() { l.give(ip) }}, nil
		}
		c.Close()
	}
}

func (l *connLimiter) take(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || ip != "" && l.byIP[ip] >= l.perIP {
		return false
	}
	l.total++
	if ip != "" {
		l.byIP[ip]++
	}
	return true
}

func (l *connLimiter) give(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if ip == "" {
		return
	}
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
