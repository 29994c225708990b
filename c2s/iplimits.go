package c2s

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// pruneLogins is the number of remembered sources at which expired windows are dropped.
const pruneLogins = 1024

// ipLimits counts connections (in all, still negotiating, and per source) and login
// attempts per source. A source is the address's prefix (sourceOf): one IPv6 /64 is one
// subscriber, who could otherwise open connections from 2^64 addresses.
type ipLimits struct {
	maxConns, maxLogins int // per source
	maxTotal, maxNeg    int
	v4Bits, v6Bits      int

	mu          sync.Mutex
	total       int // every connection counted by connect, refused ones too
	negotiating int // of those, the ones not yet bound
	conns       map[string]int
	logins      map[string]*loginWindow
}

// loginWindow counts attempts in the minute that started at start (a fixed window:
// simple, and at most twice the limit across a window boundary).
type loginWindow struct {
	start time.Time
	n     int
}

func newIPLimits(cfg Config) *ipLimits {
	return &ipLimits{
		maxConns:  cfg.MaxConnsPerIP,
		maxLogins: cfg.LoginsPerMinutePerIP,
		maxTotal:  cfg.MaxConnections,
		maxNeg:    cfg.MaxNegotiating,
		v4Bits:    cfg.IPv4Prefix,
		v6Bits:    cfg.IPv6Prefix,
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

// sourceOf groups ip by its prefix of v4Bits (IPv4, also IPv4-mapped IPv6) or v6Bits
// (IPv6) bits, e.g. "2001:db8:1:2::/64". A string that is not an address is its own group.
func sourceOf(ip string, v4Bits, v6Bits int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	bits := v6Bits
	if a.Is4() {
		bits = v4Bits
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// refusal is why connect turned a connection away: the stream error it gets after the
// client's stream header. The zero value admits the connection.
type refusal struct{ cond, text string }

// connect counts a new connection from src and says whether it is over a limit: the
// global cap or the cap on negotiating connections (resource-constraint, RFC 6120
// 4.9.3.17: the server lacks the resources) or the per-source one (policy-violation).
// Every call is matched by one disconnect, even when the connection is refused.
func (l *ipLimits) connect(src string) refusal {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	l.negotiating++
	l.conns[src]++
	switch {
	case l.maxTotal > 0 && l.total > l.maxTotal:
		return refusal{xmpp.CondResourceConstraint, "the server has too many connections, try again later"}
	case l.maxNeg > 0 && l.negotiating > l.maxNeg:
		return refusal{xmpp.CondResourceConstraint, "too many logins under way, try again later"}
	case l.maxConns > 0 && l.conns[src] > l.maxConns:
		return refusal{xmpp.CondPolicyViolation, "too many connections from your address"}
	}
	return refusal{}
}

// bound moves a connection from negotiating to bound.
func (l *ipLimits) bound() {
	l.mu.Lock()
	l.negotiating--
	l.mu.Unlock()
}

// disconnect forgets a connection of src; negotiating says whether it never bound.
func (l *ipLimits) disconnect(src string, negotiating bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if negotiating {
		l.negotiating--
	}
	if l.conns[src]--; l.conns[src] <= 0 {
		delete(l.conns, src)
	}
}

// login counts a login attempt from src and reports whether it is within the limit.
func (l *ipLimits) login(src string, now time.Time) bool {
	if l.maxLogins <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.logins) >= pruneLogins {
		// Forget old windows, so that the map does not grow with every source seen.
		for k, w := range l.logins {
			if now.Sub(w.start) >= time.Minute {
				delete(l.logins, k)
			}
		}
	}
	w := l.logins[src]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &loginWindow{start: now}
		l.logins[src] = w
	}
	w.n++
	return w.n <= l.maxLogins
}
