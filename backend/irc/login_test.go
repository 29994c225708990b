package irc_test

import (
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestLoginBound: the backend holds at most twice service.users_per_backend users; one
// more LOGIN is answered DISCONNECTED, and a LOGOUT makes room again. Per-room mode, so
// that logins need no IRC server.
func TestLoginBound(t *testing.T) {
	t.Parallel()
	d := startBackend(t, "users_per_backend", "1")
	connected := func(u string) {
		t.Helper()
		d.Login(u, "nick", "")
		c := waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
		if c.GetUser() != u {
			t.Fatalf("CONNECTED for %q, want %q", c.GetUser(), u)
		}
	}
	connected("a@localhost")
	connected("b@localhost")
	connected("a@localhost") // a re-login replaces, it does not count twice
	d.Login("c@localhost", "nick", "")
	dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetUser() != "c@localhost" || dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR) {
		t.Fatalf("DISCONNECTED = %v, want c@localhost with code 16", dis)
	}
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr("a@localhost"), LegacyName: ptr("nick")})
	connected("c@localhost")
}
