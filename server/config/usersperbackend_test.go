package config

import "testing"

// users_per_backend = 0 (the default) is 1000 for a native backend and Spectrum 2's 100 for a
// backend executable; a value given is kept for either.
func TestUsersPerBackendByBackend(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       int
	}{
		{"native by default", "", NativeUsersPerBackend},
		{"native named", "backend = \"builtin:irc\"\n", NativeUsersPerBackend},
		{"executable", "backend = \"/usr/bin/spectrum2_libpurple_backend\"\n", ExecutableUsersPerBackend},
		{"native given", "users_per_backend = 7\n", 7},
		{"executable given", "backend = \"/usr/bin/spectrum2_libpurple_backend\"\nusers_per_backend = 250\n", 250},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, ps := parse("u.toml", []byte("[service]\njid = \"gw.example.org\"\n"+c.body))
			for _, p := range ps {
				if !p.Warning {
					t.Fatalf("problem: %v", p)
				}
			}
			if cfg.Service.UsersPerBackend != c.want {
				t.Fatalf("users_per_backend = %d, want %d", cfg.Service.UsersPerBackend, c.want)
			}
		})
	}
	if got := Default().Service.UsersPerBackend; got != NativeUsersPerBackend {
		t.Fatalf("Default(): %d, want %d (the default backend is builtin:demo)", got, NativeUsersPerBackend)
	}
}
