package router

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const secret = "s3cret-Pa55word"

func authErr(t *testing.T, err error, cond string) *c2s.AuthError {
	t.Helper()
	var ae *c2s.AuthError
	if !errors.As(err, &ae) || ae.Condition != cond {
		t.Fatalf("got %v, want AuthError %s", err, cond)
	}
	return ae
}

func TestLoginOK(t *testing.T) {
	e := newEnv(t, nil)
	e.connect("user%gmail.com@localhost", secret, "phone")
	e.be.mu.Lock()
	l := e.be.logins[0]
	e.be.mu.Unlock()
	if l.GetUser() != "user%gmail.com@localhost" || l.GetLegacyName() != "user@gmail.com" || l.GetPassword() != secret {
		t.Fatalf("LOGIN = %v", l)
	}
	// spec 3.3 step 3: STATUS_CHANGED(ONLINE) after LOGIN.
	st := e.be.waitFrame(t, pb.WrapperMessage_TYPE_STATUS_CHANGED, nil).(*pb.Status)
	if st.GetStatus() != pb.StatusType_STATUS_ONLINE {
		t.Fatalf("status %v", st)
	}
}

func TestLoginRefusedWithText(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(l *pb.Login) {
		e.backend(l.GetUser(), pb.WrapperMessage_TYPE_DISCONNECTED, &pb.Disconnected{
			User: l.User, Error: proto.Int32(2), Message: s("Invalid password")})
	}
	_, err := e.auth("bob@localhost", secret)
	// The client has not authenticated: a generic text, the legacy one only in the log.
	if ae := authErr(t, err, "not-authorized"); ae.Text != "The legacy server refused the login." {
		t.Fatalf("text %q", ae.Text)
	}
	eventually(t, "the legacy text logged", func() bool { return strings.Contains(e.log.String(), "Invalid password") })
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	eventually(t, "user forgotten", func() bool { return e.r.lookup("bob@localhost") == nil })
}

func TestLoginBackendError(t *testing.T) {
	e := newEnv(t, nil)
	e.be.loginErr = errors.New("no backend")
	_, err := e.auth("bob@localhost", secret)
	authErr(t, err, "temporary-auth-failure")
}

func TestLoginTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginTimeout = 100 * time.Millisecond })
	e.be.onLogin = func(*pb.Login) {} // the legacy network never answers
	_, err := e.auth("bob@localhost", secret)
	authErr(t, err, "temporary-auth-failure")
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
}

func TestSecondResource(t *testing.T) {
	e := newEnv(t, nil)
	e.connect("bob@localhost", secret, "a")
	_, err := e.auth("bob@localhost", "wrong")
	authErr(t, err, "not-authorized")
	e.connect("bob@localhost", secret, "b")
	if n := e.be.nLogins(); n != 1 {
		t.Fatalf("%d LOGINs, want 1: the second resource shares the legacy session", n)
	}
}

func TestLogoutOneResourceKeepsOther(t *testing.T) {
	e := newEnv(t, nil)
	_, ha := e.connect("bob@localhost", secret, "a")
	_, hb := e.connect("bob@localhost", secret, "b")
	ha.Closed(nil)
	settle(t, e.r, "bob@localhost")
	if e.be.nLogouts() != 0 {
		t.Fatal("closing one stream logged the account out (quirk 7)")
	}
	hb.Closed(nil)
	eventually(t, "LOGOUT after the last resource", func() bool { return e.be.nLogouts() == 1 })
}

func TestUnavailableOfLastResourceLogsOut(t *testing.T) {
	e := newEnv(t, nil)
	_, h := e.connect("bob@localhost", secret, "a")
	send(t, h, `<presence/>`)
	send(t, h, `<presence type='unavailable'/>`)
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	send(t, h, `<presence/>`) // back: logged in again with the kept password
	eventually(t, "second LOGIN", func() bool { return e.be.nLogins() == 2 })
}

func TestReleasedGrantLogsOut(t *testing.T) {
	e := newEnv(t, nil)
	g, err := e.auth("bob@localhost", secret)
	if err != nil {
		t.Fatal(err)
	}
	g.Release()
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
}

func disconnect(e *env, code int32, text string) {
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_DISCONNECTED,
		&pb.Disconnected{User: s("bob@localhost"), Error: proto.Int32(code), Message: s(text)})
}

// Spec 3.4: error 16 re-logs in up to 3 times, invisibly; the 4th is fatal.
func TestReloginThenFatal(t *testing.T) {
	e := newEnv(t, shortBackoff)
	tr, _ := e.connect("bob@localhost", secret, "a")
	e.be.onLogin = func(*pb.Login) {} // re-logins stay pending
	for i := 1; i <= 3; i++ {
		disconnect(e, 16, "Internal Server Error, please reconnect.")
		eventually(t, "re-login", func() bool { return e.be.nLogins() == 1+i })
	}
	if c, _, _ := tr.isClosed(); c || len(tr.all()) != 0 {
		t.Fatalf("the client saw the re-logins: %v", tr.all())
	}
	disconnect(e, 16, "Internal Server Error, please reconnect.")
	msg := tr.wait(t, "spectrumerror", contains("spectrumerror"))
	se := msg.Child(xmpp.NSSpectrum, "spectrumerror")
	if se.Attr("error") != "16" || se.Text() != "CONNECTION_ERROR_OTHER_ERROR" ||
		msg.ChildText(xmpp.NSClient, "body") != "Internal Server Error, please reconnect." {
		t.Fatalf("error message %s", msg)
	}
	eventually(t, "stream closed", func() bool { c, _, _ := tr.isClosed(); return c })
	if _, cond, text := tr.isClosed(); cond != xmpp.CondUndefinedCondition || !strings.Contains(text, "Internal") {
		t.Fatalf("closed with %s %q", cond, text)
	}
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 4 })
}

func TestReloginCounterResetsOnConnected(t *testing.T) {
	e := newEnv(t, shortBackoff)
	tr, _ := e.connect("bob@localhost", secret, "a")
	for i := 1; i <= 5; i++ {
		disconnect(e, 0, "net down")
		eventually(t, "re-login", func() bool { return e.be.nLogins() == 1+i })
		settle(t, e.r, "bob@localhost")
	}
	if c, _, _ := tr.isClosed(); c {
		t.Fatal("closed although every re-login succeeded")
	}
}

func TestFatalAuthError(t *testing.T) {
	e := newEnv(t, nil)
	tr, _ := e.connect("bob@localhost", secret, "a")
	disconnect(e, 2, "Wrong password")
	eventually(t, "closed", func() bool { c, _, _ := tr.isClosed(); return c })
	if _, cond, _ := tr.isClosed(); cond != xmpp.CondNotAuthorized {
		t.Fatalf("condition %s", cond)
	}
	msg := tr.wait(t, "spectrumerror", contains("spectrumerror"))
	if se := msg.Child(xmpp.NSSpectrum, "spectrumerror"); se.Text() != "CONNECTION_ERROR_AUTHENTICATION_FAILED" {
		t.Fatalf("%s", msg)
	}
}

// Quirk 15: the names are right for codes 10-16 too.
func TestSpectrumErrorNames(t *testing.T) {
	if got := spectrumError(12).Text(); got != "CONNECTION_ERROR_CERT_HOSTNAME_MISMATCH" {
		t.Fatal(got)
	}
}

// No log line carries the password, whatever happens.
func TestPasswordNeverLogged(t *testing.T) {
	e := newEnv(t, nil)
	_, h := e.connect("bob@localhost", secret, "a")
	send(t, h, `<presence/>`)
	_, err := e.auth("bob@localhost", secret+"x")
	authErr(t, err, "not-authorized")
	disconnect(e, 2, "bad")
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	if logs := e.log.String(); strings.Contains(logs, "s3cret") || logs == "" {
		t.Fatalf("logs: %s", logs)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Fatal("password in an error text")
	}
}

func TestShutdownLogsOut(t *testing.T) {
	e := newEnv(t, nil)
	e.connect("bob@localhost", secret, "a")
	e.connect("carol@localhost", secret, "a")
	e.stop()
	if n := e.be.nLogouts(); n != 2 {
		t.Errorf("%d LOGOUTs at shutdown, want 2", n)
	}
	if _, err := e.auth("dave@localhost", secret); err == nil {
		t.Error("login accepted after shutdown")
	}
}

// An Authenticate that gives up (its stream went away) ends the pending legacy login.
func TestAbandonedLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.be.onLogin = func(*pb.Login) {}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.r.Authenticate(ctx, jid.MustParse("bob@localhost"), secret); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	eventually(t, "forgotten", func() bool { return e.r.lookup("bob@localhost") == nil })
}

// A grant whose legacy session ended before bind cannot bind.
func TestBindAfterFatal(t *testing.T) {
	e := newEnv(t, nil)
	e.connect("bob@localhost", secret, "a")
	g, err := e.auth("bob@localhost", secret)
	if err != nil {
		t.Fatal(err)
	}
	disconnect(e, 1, "no such user")
	settle(t, e.r, "bob@localhost")
	if _, err := g.bind(&testResource{full: jid.MustParse("bob@localhost/b")}); err == nil {
		t.Fatal("bound to an ended session")
	}
	eventually(t, "forgotten", func() bool { return e.r.lookup("bob@localhost") == nil })
}

// Stanzas a closing session never acknowledged go to another resource.
func TestUndeliveredRedelivered(t *testing.T) {
	e := newEnv(t, nil)
	_, ha := e.connect("bob@localhost", secret, "a")
	trb, hb := e.connect("bob@localhost", secret, "b")
	send(t, hb, `<presence/>`)
	lost := stanza(t, `<message from='alice@localhost/bot' to='bob@localhost/a' type='chat'><body>lost</body></message>`)
	ha.Closed([]*xmpp.Element{lost})
	trb.wait(t, "redelivered", contains(">lost<"))
}

// shortBackoff keeps the re-login schedule's shape (three attempts) without its seconds.
func shortBackoff(c *Config) {
	c.ReloginBackoff = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
}
