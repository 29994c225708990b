package backend_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/internal/ini"
)

type sess struct{ name string }

// TestRegistryLifecycle walks a user through what a native backend does: LOGIN, a second
// LOGIN replacing the first, the first session's late removal, LOGOUT.
func TestRegistryLifecycle(t *testing.T) {
	r := backend.NewRegistry[*sess](2)
	a, b := &sess{"a"}, &sess{"b"}
	if _, ok := r.Load("u"); ok {
		t.Fatal("empty registry has u")
	}
	if old, loaded, err := r.Swap("u", a); old != nil || loaded || err != nil {
		t.Fatalf("first Swap = %v, %v, %v", old, loaded, err)
	}
	if old, loaded, err := r.Swap("u", b); old != a || !loaded || err != nil {
		t.Fatalf("second Swap = %v, %v, %v; want the first session back", old, loaded, err)
	}
	if r.CompareAndDelete("u", a) {
		t.Fatal("the replaced session removed its successor")
	}
	if s, ok := r.Load("u"); s != b || !ok {
		t.Fatalf("Load = %v, %v; want b", s, ok)
	}
	if s, ok := r.LoadAndDelete("u"); s != b || !ok {
		t.Fatalf("LoadAndDelete = %v, %v; want b", s, ok)
	}
	if s, ok := r.LoadAndDelete("u"); s != nil || ok {
		t.Fatalf("second LoadAndDelete = %v, %v", s, ok)
	}
	if r.CompareAndDelete("u", b) || r.Len() != 0 {
		t.Fatalf("CompareAndDelete on an empty registry succeeded, or Len = %d", r.Len())
	}
	r.Swap("u", a)
	if !r.CompareAndDelete("u", a) || r.Len() != 0 {
		t.Fatal("a session could not remove itself")
	}
}

// TestRegistryBound: a full registry refuses new users and changes nothing, but still
// replaces the sessions of users it holds.
func TestRegistryBound(t *testing.T) {
	r := backend.NewRegistry[*sess](2)
	r.Swap("u1", &sess{"1"})
	r.Swap("u2", &sess{"2"})
	_, loaded, err := r.Swap("u3", &sess{"3"})
	if !errors.Is(err, backend.ErrFull) || loaded {
		t.Fatalf("Swap into a full registry = %v, %v; want ErrFull", loaded, err)
	}
	if _, ok := r.Load("u3"); ok || r.Len() != 2 {
		t.Fatalf("a refused user was stored (Len %d)", r.Len())
	}
	if old, _, err := r.Swap("u1", &sess{"1b"}); err != nil || old.name != "1" {
		t.Fatalf("re-login of a held user in a full registry = %v, %v", old, err)
	}
	r.LoadAndDelete("u2")
	if _, _, err := r.Swap("u3", &sess{"3"}); err != nil {
		t.Fatalf("Swap after a LOGOUT made room = %v", err)
	}
}

func TestRegistryZeroValue(t *testing.T) {
	var r backend.Registry[backend.Status]
	if r.Max() != backend.DefaultMaxUsers {
		t.Fatalf("Max = %d", r.Max())
	}
	st := backend.Status{User: "u", Message: "away"}
	if _, _, err := r.Swap("u", st); err != nil {
		t.Fatal(err)
	}
	if got, ok := r.Load("u"); !ok || got != st {
		t.Fatalf("Load = %v, %v", got, ok)
	}
	if backend.NewRegistry[int](0).Max() != backend.DefaultMaxUsers {
		t.Fatal("NewRegistry(0) is not bounded by DefaultMaxUsers")
	}
}

// TestRegistryConcurrent: logins, lookups and removals from many goroutines (run with
// -race) never exceed the bound.
func TestRegistryConcurrent(t *testing.T) {
	const max = 8
	r := backend.NewRegistry[*sess](max)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				user := string(rune('a' + (g+i)%12))
				s := &sess{user}
				r.Swap(user, s)
				r.Load(user)
				if i%3 == 0 {
					r.CompareAndDelete(user, s)
				} else if i%5 == 0 {
					r.LoadAndDelete(user)
				}
				if n := r.Len(); n > max {
					t.Errorf("Len = %d > %d", n, max)
				}
			}
		}()
	}
	wg.Wait()
}

func TestMaxUsers(t *testing.T) {
	tests := []struct {
		name, ini string
		want      int
	}{
		{"no key", "[service]\njid = localhost\n", backend.DefaultMaxUsers},
		{"users_per_backend", "[service]\nusers_per_backend = 100\n", 200},
		{"one", "[service]\nusers_per_backend = 1\n", 2},
		{"not a number", "[service]\nusers_per_backend = many\n", backend.DefaultMaxUsers},
		{"zero", "[service]\nusers_per_backend = 0\n", backend.DefaultMaxUsers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ini.Parse(strings.NewReader(tt.ini))
			if err != nil {
				t.Fatal(err)
			}
			if got := backend.MaxUsers(cfg); got != tt.want {
				t.Errorf("MaxUsers = %d, want %d", got, tt.want)
			}
		})
	}
	if backend.MaxUsers(nil) != backend.DefaultMaxUsers {
		t.Error("MaxUsers(nil) is not DefaultMaxUsers")
	}
}
