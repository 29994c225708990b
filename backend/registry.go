package backend

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// DefaultMaxUsers bounds a Registry whose maximum is not set.
const DefaultMaxUsers = 10000

// ErrFull is Registry.Swap's answer when a new user would exceed the registry's bound.
var ErrFull = errors.New("backend: too many users")

// Registry holds one value per user (bare JID): a native backend's per-user session, or
// anything else kept per user. It is safe for use from any goroutine, and bounded: Swap
// refuses a new user once Max users are held.
//
// The methods follow sync.Map's: a LOGIN swaps the new session in and stops the one it
// returns, a LOGOUT takes the session out with LoadAndDelete, and a session whose
// connection ended removes itself with CompareAndDelete, which leaves a newer login's
// session alone. The zero value is an empty registry bounded by DefaultMaxUsers.
type Registry[S comparable] struct {
	mu  sync.Mutex
	max int
	m   map[string]S
}

// NewRegistry returns an empty registry for at most max users (DefaultMaxUsers when
// max <= 0).
func NewRegistry[S comparable](max int) *Registry[S] {
	return &Registry[S]{max: max}
}

// Max is how many users the registry holds at most.
func (r *Registry[S]) Max() int {
	if r.max <= 0 {
		return DefaultMaxUsers
	}
	return r.max
}

// Len is how many users the registry holds.
func (r *Registry[S]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// Load returns the user's value; ok is false when there is none.
func (r *Registry[S]) Load(user string) (s S, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok = r.m[user]
	return s, ok
}

// Swap stores s for user and returns the value it replaces (loaded reports whether there
// was one), for the caller to stop. A user not yet held is refused with an error wrapping
// ErrFull when the registry is full; nothing changes then.
func (r *Registry[S]) Swap(user string, s S) (previous S, loaded bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	previous, loaded = r.m[user]
	if !loaded && len(r.m) >= r.Max() {
		return previous, false, fmt.Errorf("%w (%d)", ErrFull, r.Max())
	}
	if r.m == nil {
		r.m = make(map[string]S)
	}
	r.m[user] = s
	return previous, loaded, nil
}

// LoadAndDelete removes the user's value and returns it; ok is false when there was none.
func (r *Registry[S]) LoadAndDelete(user string) (s S, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok = r.m[user]
	delete(r.m, user)
	return s, ok
}

// CompareAndDelete removes the user's value if it is old, and reports whether it did.
func (r *Registry[S]) CompareAndDelete(user string, old S) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.m[user]; !ok || s != old {
		return false
	}
	delete(r.m, user)
	return true
}

// MaxUsers is a bound for a backend's registries read from its configuration file: twice
// service.users_per_backend, the most users the daemon assigns to one backend (spec 2.4).
// The headroom is for sessions that ended and are being removed while the daemon already
// gives their place to another user. Without the key (or with a bad one) it is
// DefaultMaxUsers.
func MaxUsers(cfg *ini.File) int {
	if cfg == nil {
		return DefaultMaxUsers
	}
	v, ok := cfg.Get("service", "users_per_backend")
	if !ok {
		return DefaultMaxUsers
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > 1<<24 {
		return DefaultMaxUsers
	}
	return 2 * n
}
