package router

import (
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

func unacked(t *testing.T, to string) []*xmpp.Element {
	t.Helper()
	return []*xmpp.Element{
		stanza(t, `<message from='echo@localhost/bot' to='`+to+`' type='chat' id='m1'><body>xyzzy-one</body></message>`),
		stanza(t, `<message from='echo@localhost/bot' to='`+to+`' type='chat' id='c1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`),
		stanza(t, `<iq from='alice@localhost/desk' to='`+to+`' type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>`),
		stanza(t, `<message from='echo@localhost/bot' to='`+to+`' type='chat' id='m2'><body>xyzzy-two</body></message>`),
	}
}

// TestUnackedGoToAnotherResource: a hibernated session that times out hands its
// unacknowledged messages to another resource, with <delay/>; its IQ requests are
// answered with recipient-unavailable to their sender.
func TestUnackedGoToAnotherResource(t *testing.T) {
	e := newEnv(t, nil)
	desk, hd := e.connect("alice@localhost", "pw", "desk")
	send(t, hd, `<presence/>`)
	_, hp := e.connect("alice@localhost", "pw", "phone")
	hp.Closed(unacked(t, "alice@localhost/phone"))

	for _, id := range []string{"m1", "m2"} {
		m := desk.wait(t, id, func(el *xmpp.Element) bool { return el.Local == "message" && el.ID() == id })
		if m.Child(xmpp.NSDelay, "delay") == nil || m.To() != "alice@localhost" {
			t.Errorf("redelivered %s", m)
		}
	}
	iq := desk.wait(t, "IQ error", func(el *xmpp.Element) bool { return el.Local == "iq" && el.ID() == "q1" })
	if iq.Type() != "error" || !strings.Contains(iq.String(), "recipient-unavailable") || iq.From() != "alice@localhost/phone" {
		t.Errorf("IQ answer %s", iq)
	}
	if desk.has(func(el *xmpp.Element) bool { return el.ID() == "c1" }) {
		t.Error("a chat state was redelivered")
	}
	if e.be.nLogouts() != 0 {
		t.Error("LOGOUT while a resource is left")
	}
}

// TestUnackedWaitForNextLogin: with no other resource the messages wait for sm.linger,
// the legacy session stays up, and the next login gets them with <delay/>.
func TestUnackedWaitForNextLogin(t *testing.T) {
	e := newEnv(t, nil)
	_, hp := e.connect("alice@localhost", "pw", "phone")
	hp.Closed(unacked(t, "alice@localhost/phone"))
	settle(t, e.r, "alice@localhost")
	if e.be.nLogouts() != 0 {
		t.Fatal("the legacy session ended although messages wait")
	}
	if !strings.Contains(e.log.String(), "keeping unacknowledged messages") {
		t.Error("no log line for the kept messages")
	}
	tr, _ := e.connect("alice@localhost", "pw", "laptop")
	var ids []string
	for _, el := range tr.all() {
		if el.Local == "message" && el.Child(xmpp.NSDelay, "delay") != nil {
			ids = append(ids, el.ID())
		}
	}
	if strings.Join(ids, ",") != "m1,m2" {
		t.Errorf("delivered at login: %v", ids)
	}
	if e.be.nLogins() != 1 {
		t.Errorf("logins: %d", e.be.nLogins())
	}
}

// TestUnackedLingerExpires: nobody logs in within sm.linger: the messages are logged
// without content and the legacy session ends.
func TestUnackedLingerExpires(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Linger = 100 * time.Millisecond })
	_, hp := e.connect("alice@localhost", "pw", "phone")
	hp.Closed(unacked(t, "alice@localhost/phone"))
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	logs := e.log.String()
	if !strings.Contains(logs, "could not be delivered") {
		t.Error("no trace of the lost messages")
	}
	if strings.Contains(logs, "xyzzy") {
		t.Error("message content logged")
	}
}
