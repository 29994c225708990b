package demo_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/backend/demo"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const user = "alice@localhost"

func ptr[T any](v T) *T { return &v }

// start runs the demo network with [demo] settings kv (key, value, ...); the clock is
// slowed down unless kv sets it, so that it does not interleave with what a test reads.
func start(t *testing.T, kv ...string) *backendtest.Daemon {
	t.Helper()
	cfg := &ini.File{}
	cfg.Add("demo", "clock_period", "1h")
	for i := 0; i+1 < len(kv); i += 2 {
		cfg.Add("demo", kv[i], kv[i+1])
	}
	d := backendtest.Start(t, demo.New(cfg))
	d.Handshake()
	return d
}

// login logs alice in and reads CONNECTED and the whole roster, which it returns by name.
func login(t *testing.T, d *backendtest.Daemon, legacyName string) map[string]*pb.Buddy {
	t.Helper()
	d.Login(user, legacyName, "secret")
	if c := d.Expect(pb.WrapperMessage_TYPE_CONNECTED).(*pb.Connected); c.GetUser() != user {
		t.Fatalf("CONNECTED for %q", c.GetUser())
	}
	roster := map[string]*pb.Buddy{}
	for {
		f, m := d.Next()
		switch f.Type {
		case pb.WrapperMessage_TYPE_BUDDY_CHANGED:
			b := m.(*pb.Buddy)
			if b.GetUserName() != user {
				t.Fatalf("buddy for %q", b.GetUserName())
			}
			roster[b.GetBuddyName()] = b
		case pb.WrapperMessage_TYPE_ROOM_LIST:
			l := m.(*pb.RoomList)
			if l.GetUser() != user || len(l.GetRoom()) != 1 || l.GetRoom()[0] != demo.Lobby {
				t.Errorf("room list %v", l)
			}
			return roster
		default:
			t.Fatalf("unexpected %v during roster", f.Type)
		}
	}
}

func TestLogin(t *testing.T) {
	d := start(t, "contacts", "12")
	d.Send(pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{UserName: ptr(user), Status: pb.StatusType_STATUS_ONLINE.Enum()})
	roster := login(t, d, "alice")
	if len(roster) != 14 {
		t.Errorf("roster has %d contacts, want echo, clock and 12", len(roster))
	}
	echo := roster[demo.Echo]
	if echo.GetStatus() != pb.StatusType_STATUS_ONLINE || echo.GetIconHash() == "" || echo.GetAlias() != "Echo" {
		t.Errorf("echo: %v", echo)
	}
	if roster[demo.Clock].GetStatus() != pb.StatusType_STATUS_ONLINE {
		t.Errorf("clock: %v", roster[demo.Clock])
	}
	statuses := map[pb.StatusType]bool{}
	for i := 1; i <= 12; i++ {
		b := roster[demo.ContactName(i)]
		if b == nil || b.GetAlias() == "" || len(b.GetGroup()) != 1 || b.Blocked != nil {
			t.Fatalf("contact %d: %v", i, b)
		}
		statuses[b.GetStatus()] = true
	}
	if len(statuses) < 5 {
		t.Errorf("generated contacts use only statuses %v", statuses)
	}
	if err := d.Exit(); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPassword(t *testing.T) {
	d := start(t)
	d.Login(user, "alice", "wrong")
	m := d.Expect(pb.WrapperMessage_TYPE_DISCONNECTED).(*pb.Disconnected)
	if m.GetUser() != user || m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) ||
		m.GetMessage() != "Wrong password" {
		t.Errorf("DISCONNECTED %v", m)
	}
	d.Handshake() // nothing else was sent
}

func TestSlowLogin(t *testing.T) {
	d := start(t, "slow_login_delay", "2s")
	d.Login(user, "slowpoke", "secret")
	d.Handshake() // the login is still pending: PONG comes before CONNECTED
	login2 := time.Now()
	d.Expect(pb.WrapperMessage_TYPE_CONNECTED)
	if waited := time.Since(login2); waited < time.Second {
		t.Errorf("slow login connected after %v", waited)
	}
}

func TestSlowLoginCancelledByLogout(t *testing.T) {
	d := start(t, "slow_login_delay", "300ms")
	d.Login(user, "slowpoke", "secret")
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("slowpoke")})
	time.Sleep(time.Second)
	d.Handshake() // no CONNECTED in between
}

func TestLargeRosterArrivesCompletely(t *testing.T) {
	d := start(t, "contacts", "5000")
	roster := login(t, d, "alice")
	for i := 1; i <= 5000; i++ {
		if roster[demo.ContactName(i)] == nil {
			t.Fatalf("%s missing", demo.ContactName(i))
		}
	}
	if len(roster) != 5002 {
		t.Errorf("roster has %d contacts", len(roster))
	}
}

func TestClockChanges(t *testing.T) {
	d := start(t, "clock_period", "50ms", "contacts", "0")
	roster := login(t, d, "alice")
	prev := roster[demo.Clock].GetStatus()
	for range 2 {
		b := d.Expect(pb.WrapperMessage_TYPE_BUDDY_CHANGED).(*pb.Buddy)
		if b.GetBuddyName() != demo.Clock || b.GetStatus() == prev || b.GetStatusMessage() == "" {
			t.Fatalf("clock tick %v after %v", b, prev)
		}
		prev = b.GetStatus()
	}
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("alice")})
}

// TestClockSharedAfterLogout: one ticker serves every user; a user who logged out gets no
// more ticks while the others keep theirs.
func TestClockSharedAfterLogout(t *testing.T) {
	const bob = "bob@localhost"
	d := start(t, "clock_period", "50ms", "contacts", "0")
	login(t, d, "alice")
	d.Login(bob, "bob", "secret")
	for connected := false; !connected; { // alice's ticks may come in between
		f, m := d.Next()
		connected = f.Type == pb.WrapperMessage_TYPE_ROOM_LIST && m.(*pb.RoomList).GetUser() == bob
	}
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("alice")})
	bobTicks := 0
	for bobTicks < 8 {
		f, m := d.Next()
		if f.Type != pb.WrapperMessage_TYPE_BUDDY_CHANGED {
			t.Fatalf("unexpected %v", f.Type)
		}
		switch b := m.(*pb.Buddy); {
		case b.GetBuddyName() != demo.Clock:
			t.Fatalf("unexpected buddy %v", b)
		case b.GetUserName() == bob:
			bobTicks++
		case bobTicks >= 2: // a tick taken before the logout may still be on its way
			t.Fatalf("alice still gets the clock after logout: %v", b)
		}
	}
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(bob), LegacyName: ptr("bob")})
}
