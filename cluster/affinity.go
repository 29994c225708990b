package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"
)

// Affinity defaults.
const (
	// DefaultRedirectGrace is how long a redirected user is remembered: a client that
	// comes back from the same address within it was not able (or willing) to follow
	// see-other-host and is served locally.
	DefaultRedirectGrace = 2 * time.Minute
	// maxRemembered bounds the remembered redirects: redirects happen before the password
	// is checked, so anyone can make us remember names. Past the bound a redirect is not
	// remembered (and a client that ignores it is redirected again).
	maxRemembered = 10000
)

// Affinity keeps each user's legacy session on one host: the owner of a bare JID is
// chosen by weighted rendezvous (highest random weight) hashing over the members its
// health checks see up, so that every host computes the same owner without talking to the
// others, and a host that fails moves only its own users. Like an SRV client it only
// considers the members of the best (lowest) priority that are up, and shares the users
// among them in proportion to their weights. It implements c2s.Redirector.
type Affinity struct {
	s      Settings
	self   int // index of cluster.host in the members
	health *health
	log    zerolog.Logger
	grace  time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[redirectKey]time.Time // guarded by mu: redirected users and when to forget them
}

type redirectKey struct{ user, ip string }

// NewAffinity validates s, which must name this host in cluster.host. The health checks
// start with Run; until then (and when every other member is down) all members count as up.
func NewAffinity(s Settings, log zerolog.Logger) (*Affinity, error) {
	s.Normalize()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	self := memberIndex(s, s.Cluster.Host)
	if self < 0 {
		return nil, errors.New("cluster: affinity needs cluster.host")
	}
	a := &Affinity{
		s: s, self: self, log: log.With().Str("component", "affinity").Logger(),
		grace: DefaultRedirectGrace, now: time.Now, seen: map[redirectKey]time.Time{},
	}
	a.health = newHealth(s, a.log, func() {})
	return a, nil
}

// memberIndex is the index of the member named name (relative or fully qualified), or -1.
func memberIndex(s Settings, name string) int {
	if name == "" {
		return -1
	}
	fq := fqdnIn(name, s.Domain)
	for i, m := range s.Cluster.Members {
		if m.FQDN(s.Domain) == fq {
			return i
		}
	}
	return -1
}

// Run health-checks every member (as the DNS responder does, with the [dns] health
// settings) until ctx ends.
func (a *Affinity) Run(ctx context.Context) error {
	a.health.run(ctx)
	return nil
}

// Owner returns the member that owns user's bare JID among the members currently up.
// This host always counts as up: it is answering.
func (a *Affinity) Owner(user jid.JID) Member {
	return a.s.Cluster.Members[a.owner(user)]
}

func (a *Affinity) owner(user jid.JID) int {
	up := a.health.snapshot()
	up[a.self] = true
	members := a.s.Cluster.Members
	best := -1
	for i, m := range members {
		if up[i] && (best < 0 || m.Priority < members[best].Priority) {
			best = i
		}
	}
	prio, key, bestScore := members[best].Priority, strings.ToLower(user.Bare().String()), -1.0
	for i, m := range members {
		if !up[i] || m.Priority != prio {
			continue
		}
		if sc := score(m, m.FQDN(a.s.Domain), key); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	return best
}

// score is the weighted rendezvous score of member m (named fq) for key: -w/ln(u) with u
// uniform in (0,1) from a hash of both, so that a member's share of the keys is its share
// of the weights. The hash is FNV-1a finished with the splitmix64 mixer. It must never
// change: every host of a cluster (also of different versions) has to compute the same owner.
// Floating point could differ in the last bit between architectures; that can only swap the
// owner of a key whose two best scores are equal to about 1e-15, which no user will meet.
func score(m Member, fq, key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(fq))
	h.Write([]byte{0})
	h.Write([]byte(key))
	x := binary.BigEndian.Uint64(h.Sum(nil))
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	u := (float64(x>>11) + 0.5) / (1 << 53)
	w := float64(m.Weight)
	if w == 0 {
		w = 1.0 / 1024 // RFC 2782: weight 0 gets a very small chance
	}
	return w / -math.Log(u)
}

// Redirect reports where user, connected from ip, should log in instead: "host:port" of
// the owner (the STARTTLS port, or the direct TLS port when direct and the owner has one),
// or ok false when this host serves the login. A user redirected from the same ip within
// the grace period is served here: its client did not follow the redirect.
func (a *Affinity) Redirect(user jid.JID, ip string, direct bool) (addr string, ok bool) {
	o := a.owner(user)
	if o == a.self {
		return "", false
	}
	k := redirectKey{strings.ToLower(user.Bare().String()), ip}
	if !a.remember(k) {
		a.log.Info().Str("jid", k.user).Msg("client came back without following see-other-host: served here")
		return "", false
	}
	m := a.s.Cluster.Members[o]
	port := m.Port
	if (direct && m.TLSPort != 0) || port == 0 {
		port = m.TLSPort
	}
	host := strings.TrimSuffix(m.FQDN(a.s.Domain), ".")
	return net.JoinHostPort(host, strconv.Itoa(port)), true
}

// remember records a redirect of k and reports true, or reports false when k was
// redirected within the grace period already: then every login of k until the period
// ends is served here, without a redirect on every other attempt.
func (a *Affinity) remember(k redirectKey) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if until, ok := a.seen[k]; ok && now.Before(until) {
		return false
	}
	if len(a.seen) >= maxRemembered {
		for key, until := range a.seen {
			if !now.Before(until) {
				delete(a.seen, key)
			}
		}
	}
	if len(a.seen) < maxRemembered {
		a.seen[k] = now.Add(a.grace)
	}
	return true
}
