package pluginserver

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// limits.max_backends: once that many backends run and all are full, a login that needs
// another fails with ErrMaxBackends, at once and without a spawn; room again lets it in.
func TestMaxBackends(t *testing.T) {
	h := start(t, Config{UsersPerBackend: 1, MaxBackends: 2})
	h.login(t, "a@localhost", "x")
	h.login(t, "b@localhost", "x")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := h.s.Login(ctx, &pb.Login{User: proto.String("c@localhost"), LegacyName: proto.String("c"), Password: proto.String("x")})
	if !errors.Is(err, ErrMaxBackends) {
		t.Fatalf("third login with two full backends: %v, want ErrMaxBackends", err)
	}
	if st := h.s.Stats(); len(st.Backends) != 2 || st.Spawns != 2 {
		t.Fatalf("%d backends, %d spawns; want 2, 2", len(st.Backends), st.Spawns)
	}
	if h.s.MaxBackends() != 2 {
		t.Fatalf("MaxBackends() = %d", h.s.MaxBackends())
	}
	h.s.Logout("a@localhost", "a")
	eventually(t, "room on a backend", func() bool {
		for _, b := range h.s.Stats().Backends {
			if b.Users == 0 && b.AcceptUsers {
				return true
			}
		}
		return false
	})
	h.login(t, "c@localhost", "x")
}
