package admin

import (
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// closeConn is a feature.Conn of a given JID that records its Close.
type closeConn struct {
	conn
	full   jid.JID
	mu     sync.Mutex
	closed string
}

func (c *closeConn) JID() jid.JID { return c.full }
func (c *closeConn) Close(cond, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = cond
}
func (c *closeConn) closedWith() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// TestSetAdminsEndsRevokedSessions: a reload that drops a JID from admin_jid ends its
// live sessions at once and runs none of their commands; the others stay, until the
// password changes.
func TestSetAdminsEndsRevokedSessions(t *testing.T) {
	a := New(Config{Domain: "localhost", JIDs: []string{"ann@localhost", "bob@localhost"}, Password: "pw"})
	ann := &closeConn{full: jid.MustParse("ann@localhost/a")}
	bob := &closeConn{full: jid.MustParse("bob@localhost/b")}
	annS, bobS := a.Open(ann), a.Open(bob)
	a.SetAdmins([]string{"bob@localhost"}, "pw")
	if got := ann.closedWith(); got != xmpp.CondPolicyViolation {
		t.Fatalf("ann's session closed with %q, want policy-violation", got)
	}
	if got := bob.closedWith(); got != "" {
		t.Fatalf("bob's session closed with %q", got)
	}
	if handled, ok := a.Authenticate(jid.MustParse("ann@localhost"), "pw"); handled || ok {
		t.Error("ann still logs in as administrator")
	}
	el := xmpp.New(xmpp.NSClient, "message", "to", "localhost", "from", "ann@localhost/a", "type", "chat", "id", "m").
		Append(xmpp.New(xmpp.NSClient, "body").AppendText("status"))
	annS.HandleStanza(el)
	if len(ann.got) != 0 {
		t.Errorf("a revoked session got an answer: %v", ann.got[0])
	}
	bobS.HandleStanza(el.Clone())
	if len(bob.got) != 1 {
		t.Errorf("bob got %d answers, want 1", len(bob.got))
	}
	a.SetAdmins([]string{"bob@localhost"}, "new")
	if got := bob.closedWith(); got != xmpp.CondPolicyViolation {
		t.Errorf("bob's session after a password change closed with %q", got)
	}
	if handled, ok := a.Authenticate(jid.MustParse("bob@localhost"), "pw"); !handled || ok {
		t.Error("the old password still logs in")
	}
	if _, ok := a.Authenticate(jid.MustParse("bob@localhost"), "new"); !ok {
		t.Error("the new password does not log in")
	}
	annS.Closed()
	bobS.Closed()
	if len(a.live) != 0 {
		t.Errorf("%d sessions still tracked", len(a.live))
	}
}
