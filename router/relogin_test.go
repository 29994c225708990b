package router

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const (
	codeNetwork = int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR)
	codeOther   = int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR)
)

// TestReloginSchedule: the waits before each attempt (relogin.go, departure from spec
// 3.4), and code 16's first attempt at once.
func TestReloginSchedule(t *testing.T) {
	def := New(Config{Domain: "localhost"})
	short := New(Config{Domain: "localhost", ReloginBackoff: []time.Duration{time.Millisecond, time.Second}})
	tests := []struct {
		name    string
		r       *Router
		code    int32
		attempt int
		want    time.Duration
	}{
		{"network 1st", def, codeNetwork, 1, 2 * time.Second},
		{"network 2nd", def, codeNetwork, 2, 5 * time.Second},
		{"network 3rd", def, codeNetwork, 3, 10 * time.Second},
		{"backend died 1st", def, codeOther, 1, 0},
		{"backend died 2nd", def, codeOther, 2, 5 * time.Second},
		{"backend died 3rd", def, codeOther, 3, 10 * time.Second},
		{"configured 1st", short, codeNetwork, 1, time.Millisecond},
		{"configured 2nd", short, codeNetwork, 2, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.reloginDelay(tc.code, tc.attempt); got != tc.want {
				t.Fatalf("delay %v, want %v", got, tc.want)
			}
		})
	}
	if n := len(def.cfg.ReloginBackoff); n != 3 {
		t.Errorf("%d attempts by default, want 3 (spec 3.4)", n)
	}
	if n := len(short.cfg.ReloginBackoff); n != 2 {
		t.Errorf("%d attempts, want the 2 configured", n)
	}
}

// reloginEnv logs bob in with one resource, available, and a buddy alice; backoff is the
// Config.ReloginBackoff.
func reloginEnv(t *testing.T, backoff ...time.Duration) (*env, *testResource, *handler) {
	t.Helper()
	e := newEnv(t, func(c *Config) { c.ReloginBackoff = backoff })
	tr, h := e.connect("bob@localhost", secret, "a")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: s("bob@localhost"),
		BuddyName: s("alice"), Status: pb.StatusType_STATUS_ONLINE.Enum()})
	send(t, h, `<presence/>`)
	tr.wait(t, "alice online", func(el *xmpp.Element) bool { return el.Local == "presence" })
	return e, tr, h
}

// stopWithin stops the router and fails if Run does not return: an armed backoff timer
// that shutdown did not cancel would keep it waiting.
func stopWithin(t *testing.T, e *env) {
	t.Helper()
	done := make(chan struct{})
	go func() { e.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Run did not return: the re-login wait was not cancelled")
	}
}

func stanzaError(el *xmpp.Element) string {
	if e := el.Child(xmpp.NSClient, "error"); e != nil {
		for _, c := range e.Children() {
			if c.Space == xmpp.NSStanzas && c.Local != "text" {
				return c.Local
			}
		}
	}
	return ""
}

// While it waits before a re-login the user is logged out of the backend, no LOGIN is
// sent, messages bounce with recipient-unavailable and joins are remembered; the client
// sees nothing else. The last resource leaving cancels the wait.
func TestReloginWaitThenLogout(t *testing.T) {
	e, tr, h := reloginEnv(t, time.Hour)
	disconnect(e, codeNetwork, "net down")
	settle(t, e.r, "bob@localhost")
	if e.be.nLogins() != 1 || e.be.nLogouts() != 1 {
		t.Fatalf("%d LOGINs, %d LOGOUTs during the wait; want 1, 1", e.be.nLogins(), e.be.nLogouts())
	}
	send(t, h, `<message to='alice@localhost' type='chat' id='w'><body>x</body></message>`)
	if el := tr.wait(t, "bounce", contains(`id="w"`)); stanzaError(el) != "recipient-unavailable" {
		t.Fatalf("bounce %s", el)
	}
	send(t, h, `<presence to='#dev@localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	settle(t, e.r, "bob@localhost")
	if n := e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM) + e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE); n != 0 {
		t.Fatalf("%d frames to a logged-out backend", n)
	}
	if c, _, _ := tr.isClosed(); c || tr.has(contains("spectrumerror")) {
		t.Fatalf("the client saw the lost session: %v", tr.all())
	}
	h.Closed(nil)
	eventually(t, "forgotten", func() bool { return e.r.lookup("bob@localhost") == nil })
	if e.be.nLogins() != 1 || e.be.nLogouts() != 1 {
		t.Fatalf("%d LOGINs, %d LOGOUTs after the logout; want 1, 1", e.be.nLogins(), e.be.nLogouts())
	}
	stopWithin(t, e)
}

// Shutdown (Run ending) cancels a pending re-login wait.
func TestReloginWaitCancelledByShutdown(t *testing.T) {
	e, tr, _ := reloginEnv(t, time.Hour)
	disconnect(e, codeNetwork, "net down")
	settle(t, e.r, "bob@localhost")
	stopWithin(t, e)
	if e.be.nLogins() != 1 || e.be.nLogouts() != 1 {
		t.Fatalf("%d LOGINs, %d LOGOUTs; want 1, 1 (no LOGOUT twice)", e.be.nLogins(), e.be.nLogouts())
	}
	_ = tr
}

// The first re-login fails (the legacy server is still down), the second, after its
// wait, succeeds: the client never notices, and chat works again.
func TestReloginSecondAttemptSucceeds(t *testing.T) {
	e, tr, h := reloginEnv(t, 10*time.Millisecond, 20*time.Millisecond, time.Hour)
	e.be.set(func(f *fakeBackends) {
		f.onLogin = func(l *pb.Login) {
			f.mu.Lock()
			n := len(f.logins)
			f.mu.Unlock()
			if n == 2 { // the first re-login: the server is still down
				f.r.HandleBackendMessage(l.GetUser(), pb.WrapperMessage_TYPE_DISCONNECTED,
					&pb.Disconnected{User: l.User, Error: proto.Int32(codeNetwork), Message: s("refused")})
				return
			}
			f.r.HandleBackendMessage(l.GetUser(), pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: l.User})
		}
	})
	disconnect(e, codeNetwork, "net down")
	eventually(t, "second re-login", func() bool { return e.be.nLogins() == 3 })
	eventually(t, "connected", func() bool {
		var ok bool
		done := make(chan struct{})
		u := e.r.lookup("bob@localhost")
		u.post(func() { ok = u.legacyOnline() && u.relogins == 0; close(done) })
		<-done
		return ok
	})
	send(t, h, `<message to='alice@localhost' type='chat' id='after'><body>back</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetMessage() == "back"
	})
	if c, _, _ := tr.isClosed(); c || tr.has(func(el *xmpp.Element) bool {
		return strings.Contains(el.String(), "spectrumerror") || el.Type() == "error"
	}) {
		t.Fatalf("the client saw the re-logins: %v", tr.all())
	}
	if n := e.be.nLogouts(); n != 2 {
		t.Fatalf("%d LOGOUTs, want one per lost session (2)", n)
	}
}

// Every attempt failing ends in the fatal path after the last wait (spec 3.4).
func TestReloginAttemptsExhausted(t *testing.T) {
	e, tr, _ := reloginEnv(t, time.Millisecond, time.Millisecond)
	e.be.set(func(f *fakeBackends) {
		f.onLogin = func(l *pb.Login) {
			f.r.HandleBackendMessage(l.GetUser(), pb.WrapperMessage_TYPE_DISCONNECTED,
				&pb.Disconnected{User: l.User, Error: proto.Int32(codeNetwork), Message: s("refused")})
		}
	})
	disconnect(e, codeNetwork, "net down")
	msg := tr.wait(t, "spectrumerror", contains("spectrumerror"))
	if se := msg.Child(xmpp.NSSpectrum, "spectrumerror"); se.Attr("error") != "0" {
		t.Fatalf("error message %s", msg)
	}
	eventually(t, "stream closed", func() bool { c, _, _ := tr.isClosed(); return c })
	if n := e.be.nLogins(); n != 3 {
		t.Fatalf("%d LOGINs, want the first and 2 re-logins", n)
	}
	eventually(t, "LOGOUT per session", func() bool { return e.be.nLogouts() == 3 })
}

// After our backend died (16) the first re-login goes out at once; a second loss waits.
func TestReloginBackendDiedAtOnce(t *testing.T) {
	e, _, _ := reloginEnv(t, time.Hour, time.Hour)
	e.be.set(func(f *fakeBackends) { f.onLogin = func(*pb.Login) {} })
	disconnect(e, codeOther, "Internal Server Error, please reconnect.")
	eventually(t, "re-login at once", func() bool { return e.be.nLogins() == 2 })
	disconnect(e, codeOther, "Internal Server Error, please reconnect.")
	settle(t, e.r, "bob@localhost")
	if n := e.be.nLogins(); n != 2 {
		t.Fatalf("%d LOGINs: the second re-login did not wait", n)
	}
	stopWithin(t, e)
}
