package router

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// panicOps is a fakeOps that counts contained panics (PanicCounter).
type panicOps struct {
	fakeOps
	panics atomic.Int32
}

func (p *panicOps) Panicked(component string) {
	if component == "router" {
		p.panics.Add(1)
	}
}

// panicIn makes the actor of user bare panic, as a bug on odd input would: the trigger is
// a closure posted by the test, no hook in the router.
func panicIn(t *testing.T, e *env, bare string) {
	t.Helper()
	u := e.r.lookup(bare)
	if u == nil {
		t.Fatalf("no user %s", bare)
	}
	u.post(func() { panic("deliberate test panic") })
}

// A panic in one user's actor ends that user's sessions with internal-server-error, logs
// the stack, counts, logs the legacy session out and leaves the other users and the
// router running; the user can log in again.
func TestPanicEndsOnlyThatUser(t *testing.T) {
	ops := &panicOps{}
	e := newEnv(t, func(c *Config) { c.Ops.Ops = ops })
	bobA, _ := e.connect("bob@localhost", secret, "a")
	bobB, _ := e.connect("bob@localhost", secret, "b")
	alice, ha := e.connect("alice@localhost", secret, "x")

	panicIn(t, e, "bob@localhost")
	for _, tr := range []*testResource{bobA, bobB} {
		eventually(t, "bob's streams closed", func() bool {
			closed, cond, _ := tr.isClosed()
			return closed && cond == xmpp.CondInternalServerError
		})
	}
	eventually(t, "LOGOUT of bob", func() bool { return e.be.nLogouts() == 1 })
	eventually(t, "bob forgotten", func() bool { return e.r.lookup("bob@localhost") == nil })
	if n := ops.panics.Load(); n != 1 {
		t.Errorf("panics counted = %d, want 1", n)
	}
	logs := e.log.String()
	if !strings.Contains(logs, "deliberate test panic") || !strings.Contains(logs, "(*mailbox).run") ||
		!strings.Contains(logs, `"jid":"bob@localhost"`) {
		t.Errorf("no log line with the panic and its stack:\n%s", logs)
	}

	// Alice goes on.
	if closed, _, _ := alice.isClosed(); closed {
		t.Fatal("alice's stream was closed")
	}
	send(t, ha, `<message to='carol@localhost' id='m1' type='chat'><body>still here</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)

	// Bob logs in again with a fresh user.
	again, _ := e.connect("bob@localhost", secret, "a")
	if closed, _, _ := again.isClosed(); closed {
		t.Fatal("bob's new stream was closed")
	}
	if e.be.nLogins() != 3 {
		t.Errorf("logins = %d, want 3 (bob, alice, bob again)", e.be.nLogins())
	}
}

// A pending login fails with temporary-auth-failure when its user's actor panics.
func TestPanicFailsPendingLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.be.set(func(f *fakeBackends) { f.onLogin = func(*pb.Login) {} }) // never CONNECTED
	errc := make(chan error, 1)
	go func() {
		_, err := e.auth("bob@localhost", secret)
		errc <- err
	}()
	eventually(t, "LOGIN sent", func() bool { return e.be.nLogins() == 1 })
	panicIn(t, e, "bob@localhost")
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "temporary-auth-failure") {
		t.Fatalf("login after a panic: %v", err)
	}
}
