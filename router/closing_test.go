package router

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// closeSession makes tr refuse every Send, as a closing c2s session does before its
// Closed reaches the router.
func closeSession(tr *testResource) {
	tr.mu.Lock()
	tr.closed = true
	tr.mu.Unlock()
}

func chatFrom(buddy, id, body string) *pb.ConversationMessage {
	return &pb.ConversationMessage{UserName: s("bob@localhost"), BuddyName: s(buddy), Id: s(id), Message: s(body)}
}

func countID(tr *testResource, id string) int {
	n := 0
	for _, el := range tr.all() {
		if el.Local == "message" && el.ID() == id {
			n++
		}
	}
	return n
}

// A message for the conversation's resource whose session is closing goes to the
// user's other resource, once, and not also as a carbon.
func TestMessageToClosingResourceGoesToAnother(t *testing.T) {
	e := newEnv(t, nil)
	phone, hp := e.connect("bob@localhost", secret, "phone")
	desk, hd := e.connect("bob@localhost", secret, "desk")
	send(t, hp, `<presence><priority>5</priority></presence>`)
	send(t, hd, `<presence><priority>1</priority></presence>`)
	send(t, hd, `<iq type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	desk.wait(t, "carbons enabled", isRosterResult("c1"))
	send(t, hp, `<message to='alice@localhost' type='chat' id='out'><body>hi</body></message>`) // phone is the reply target
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)

	closeSession(phone)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, chatFrom("alice", "in1", "are you there?"))
	m := desk.wait(t, "the message on desk", func(el *xmpp.Element) bool { return el.ID() == "in1" })
	if m.ChildText(xmpp.NSClient, "body") != "are you there?" || m.To() != "bob@localhost" {
		t.Errorf("redirected message %s", m)
	}
	settle(t, e.r, "bob@localhost")
	if desk.has(func(el *xmpp.Element) bool { return el.Child(xmpp.NSCarbons, "received") != nil }) {
		t.Error("a carbon of a message its target refused")
	}

	// Two resources of the same priority, one closing: the other gets exactly one copy.
	send(t, hp, `<presence><priority>1</priority></presence>`) // refused answers do not matter
	settle(t, e.r, "bob@localhost")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, chatFrom("carol", "in2", "hello"))
	desk.wait(t, "carol's message", func(el *xmpp.Element) bool { return el.ID() == "in2" })
	settle(t, e.r, "bob@localhost")
	if n := countID(desk, "in2"); n != 1 {
		t.Errorf("desk got %d copies", n)
	}
}

// With no other resource a message the closing session refused waits for the next
// login, marked delayed, and keeps the legacy session up meanwhile.
func TestMessageToClosingResourceWaitsForNextLogin(t *testing.T) {
	e := newEnv(t, nil)
	phone, hp := e.connect("bob@localhost", secret, "phone")
	send(t, hp, `<presence/>`)
	closeSession(phone)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, chatFrom("alice", "in1", "xyzzy"))
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_TYPING, &pb.Buddy{UserName: s("bob@localhost"), BuddyName: s("alice")})
	hp.Closed(nil)
	settle(t, e.r, "bob@localhost")
	if e.be.nLogouts() != 0 {
		t.Fatal("the legacy session ended although a message waits")
	}
	next, _ := e.connect("bob@localhost", secret, "desk")
	m := next.wait(t, "the kept message", func(el *xmpp.Element) bool { return el.ID() == "in1" })
	if m.Child(xmpp.NSDelay, "delay") == nil || m.To() != "bob@localhost/desk" {
		t.Errorf("kept message %s", m)
	}
	settle(t, e.r, "bob@localhost")
	if next.has(func(el *xmpp.Element) bool { return strings.Contains(el.String(), "composing") }) {
		t.Error("a chat state was kept")
	}
}

// undeliverableOps is a fakeOps that counts stanzas given up (UndeliverableCounter).
type undeliverableOps struct {
	fakeOps
	undeliverable atomic.Int32
}

func (o *undeliverableOps) StanzaUndeliverable(string) { o.undeliverable.Add(1) }

// A room message a closing occupant refuses stays with the room: traced and counted.
func TestRoomMessageToClosingResourceIsCounted(t *testing.T) {
	ops := &undeliverableOps{}
	e := newEnv(t, func(c *Config) { c.Ops.Ops = ops })
	phone, _ := e.connect("bob@localhost", secret, "phone")
	closeSession(phone)
	u := e.r.lookup("bob@localhost")
	u.post(func() {
		rs := u.resources["bob@localhost/phone"]
		u.send(rs, stanza(t, `<message type='groupchat' from='#r@localhost/x' to='bob@localhost/phone'><body>b</body></message>`))
	})
	eventually(t, "counted", func() bool { return ops.undeliverable.Load() == 1 })
}
