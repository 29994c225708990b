package c2s

import (
	"net"
	"sync"
	"time"
)

// pruneLogins is the number of remembered addresses at which expired windows are dropped.
const pruneLogins = 1024

// ipLimits counts concurrent connections and login attempts per remote IP address.
type ipLimits struct {
	maxConns, maxLogins int

	mu     sync.Mutex
	conns  map[string]int
	logins map[string]*loginWindow
}

// loginWindow counts attempts in the minute that started at start (a fixed window:
// simple, and at most twice the limit across a window boundary).
type loginWindow struct {
	start time.Time
	n     int
}

func newIPLimits(maxConns, maxLogins int) *ipLimits {
	return &ipLimits{
		maxConns:  maxConns,
		maxLogins: maxLogins,
		conns:     make(map[string]int),
		logins:    make(map[string]*loginWindow),
	}
}

// hostOf returns the IP address of a remote address.
func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// connect counts a new connection from ip and reports whether it is within the limit.
// Every call is matched by one disconnect, even when the connection is refused.
func (l *ipLimits) connect(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[ip]++
	return l.maxConns <= 0 || l.conns[ip] <= l.maxConns
}

func (l *ipLimits) disconnect(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[ip]--; l.conns[ip] <= 0 {
		delete(l.conns, ip)
	}
}

// login counts a login attempt from ip and reports whether it is within the limit.
func (l *ipLimits) login(ip string, now time.Time) bool {
	if l.maxLogins <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.logins) >= pruneLogins {
		// Forget old windows, so that the map does not grow with every address seen.
		for k, w := range l.logins {
			if now.Sub(w.start) >= time.Minute {
				delete(l.logins, k)
			}
		}
	}
	w := l.logins[ip]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &loginWindow{start: now}
		l.logins[ip] = w
	}
	w.n++
	return w.n <= l.maxLogins
}
