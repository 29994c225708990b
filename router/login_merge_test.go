package router

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// authAsync runs Authenticate in the background; the result arrives on the channel.
func (e *env) authAsync(ctx context.Context, bare, pw string) <-chan error {
	ch := make(chan error, 1)
	go func() {
		g, err := e.r.Authenticate(ctx, jid.MustParse(bare), pw)
		if err == nil {
			g.Release()
		}
		ch <- err
	}()
	return ch
}

// loginN waits for the nth LOGIN and returns it.
func (e *env) loginN(t *testing.T, n int) *pb.Login {
	t.Helper()
	eventually(t, "LOGIN", func() bool { return e.be.nLogins() >= n })
	e.be.mu.Lock()
	defer e.be.mu.Unlock()
	return e.be.logins[n-1]
}

// pending says that no answer came yet.
func pending(t *testing.T, what string, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s answered early: %v", what, err)
	case <-time.After(100 * time.Millisecond):
	}
}

func answer(t *testing.T, what string, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(waitFor):
		t.Fatalf("%s got no answer", what)
		return nil
	}
}

// A login with the right password that arrives while one with a wrong password is pending
// is not failed by it: it waits for the outcome and then gets a login of its own.
func TestLoginRightWhileWrongPending(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(*pb.Login) {} // the test answers
	const bare = "bob@localhost"
	wrong := e.authAsync(context.Background(), bare, "wrong")
	if l := e.loginN(t, 1); l.GetPassword() != "wrong" {
		t.Fatalf("first LOGIN has %q", l.GetPassword())
	}
	right := e.authAsync(context.Background(), bare, secret)
	pending(t, "the right password", right)
	e.backend(bare, pb.WrapperMessage_TYPE_DISCONNECTED, &pb.Disconnected{User: proto.String(bare),
		Error: proto.Int32(int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED)), Message: s("Wrong password")})
	authErr(t, answer(t, "the wrong password", wrong), "not-authorized")
	if l := e.loginN(t, 2); l.GetPassword() != secret {
		t.Fatalf("second LOGIN has %q, want the right password", l.GetPassword())
	}
	pending(t, "the right password", right)
	e.backend(bare, pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: proto.String(bare)})
	if err := answer(t, "the right password", right); err != nil {
		t.Fatalf("the right password failed: %v", err)
	}
}

// A wrong password arriving while the right one is pending is answered only after the
// outcome, and then fails: the session is up with another password (spec 3.3 step 2).
func TestLoginWrongWhileRightPending(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(*pb.Login) {}
	const bare = "bob@localhost"
	right := e.authAsync(context.Background(), bare, secret)
	e.loginN(t, 1)
	wrong := e.authAsync(context.Background(), bare, "wrong")
	pending(t, "the wrong password", wrong)
	e.backend(bare, pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: proto.String(bare)})
	if err := answer(t, "the right password", right); err != nil {
		t.Fatalf("the right password failed: %v", err)
	}
	authErr(t, answer(t, "the wrong password", wrong), "not-authorized")
	if n := e.be.nLogins(); n != 1 {
		t.Errorf("%d LOGINs, want 1", n)
	}
}

// When the login of a wrong password is abandoned (its client went away), the waiting
// right password gets its login at once.
func TestLoginWrongAbandoned(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(*pb.Login) {}
	const bare = "bob@localhost"
	ctx, cancel := context.WithCancel(context.Background())
	wrong := e.authAsync(ctx, bare, "wrong")
	e.loginN(t, 1)
	right := e.authAsync(context.Background(), bare, secret)
	pending(t, "the right password", right)
	cancel()
	if err := answer(t, "the abandoned login", wrong); !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned login: %v", err)
	}
	if l := e.loginN(t, 2); l.GetPassword() != secret {
		t.Fatalf("second LOGIN has %q", l.GetPassword())
	}
	eventually(t, "LOGOUT of the abandoned login", func() bool { return e.be.nLogouts() == 1 })
	e.backend(bare, pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: proto.String(bare)})
	if err := answer(t, "the right password", right); err != nil {
		t.Fatalf("the right password failed: %v", err)
	}
}

// The logins waiting for one user are bounded.
func TestLoginWaitersBounded(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(*pb.Login) {}
	const bare = "bob@localhost"
	var chs []<-chan error
	for range maxLoginWaiters {
		chs = append(chs, e.authAsync(context.Background(), bare, "pw"))
	}
	e.loginN(t, 1)
	eventually(t, "all waiting", func() bool {
		u := e.r.lookup(bare)
		n := make(chan int, 1)
		u.post(func() { n <- len(u.waiters) })
		return <-n == maxLoginWaiters
	})
	_, err := e.auth(bare, "pw")
	if ae := authErr(t, err, "temporary-auth-failure"); ae.Text == "" {
		t.Error("no text")
	}
	e.backend(bare, pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: proto.String(bare)})
	for i, ch := range chs {
		if err := answer(t, "a waiter", ch); err != nil {
			t.Fatalf("waiter %d: %v", i, err)
		}
	}
}

// Passwords compare by keyed hash: equal ones match, any difference (also of length) not.
func TestPasswordKey(t *testing.T) {
	k, other := newPasswordKey(), newPasswordKey()
	if !k.equal("secret", "secret") || k.equal("secret", "secre") || k.equal("secret", "secreT") || k.equal("", "x") {
		t.Error("equal is wrong")
	}
	if string(k.sum("secret")) == string(other.sum("secret")) {
		t.Error("two keys give the same hash")
	}
}
