package router

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// busy is what pluginserver.Server.Send returns for a backend whose outbound queue is full.
var busy = fmt.Errorf("%w (4096 frames, 1024 bytes queued)", pluginserver.ErrBackendBusy)

// errorOf is the <error/> child of el, or nil.
func errorOf(el *xmpp.Element) *xmpp.Element { return el.Child(xmpp.NSClient, "error") }

// TestMessageBackendBusy: a message the backend's full queue refuses bounces with
// resource-constraint (wait), since the backend is slow, not gone; one to a backend that
// is gone keeps its service-unavailable (issue 18).
func TestMessageBackendBusy(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	e.be.set(func(f *fakeBackends) { f.sendErr = busy })
	send(t, h, `<message to='alice@localhost' type='chat' id='b1'><body>x</body></message>`)
	el := tr.wait(t, "busy bounce", contains(`id="b1"`))
	if el.Type() != "error" || errCond(el) != xmpp.StanzaResourceConstraint || errorOf(el).Attr("type") != xmpp.ErrTypeWait {
		t.Fatalf("bounce %s", el)
	}
	// A chat state's frame refused the same way.
	send(t, h, `<message to='alice@localhost' type='chat' id='b2'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	if el := tr.wait(t, "chat state bounce", contains(`id="b2"`)); errCond(el) != xmpp.StanzaResourceConstraint {
		t.Fatalf("bounce %s", el)
	}
	e.be.set(func(f *fakeBackends) { f.sendErr = pluginserver.ErrNoBackend })
	send(t, h, `<message to='alice@localhost' type='chat' id='b3'><body>x</body></message>`)
	if el := tr.wait(t, "gone bounce", contains(`id="b3"`)); errCond(el) != xmpp.StanzaServiceUnavailable {
		t.Fatalf("bounce %s", el)
	}
}

// TestGroupchatBackendBusy: the same for a message to a joined room.
func TestGroupchatBackendBusy(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	e.be.set(func(f *fakeBackends) { f.sendErr = busy })
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g1'><body>hi</body></message>`)
	el := tr.wait(t, "busy bounce", func(el *xmpp.Element) bool { return el.ID() == "g1" && el.Type() == "error" })
	if errCond(el) != xmpp.StanzaResourceConstraint || errorOf(el).Attr("type") != xmpp.ErrTypeWait {
		t.Fatalf("bounce %s", el)
	}
}

// TestSubscribeNotSent: a subscribe or subscribed whose BUDDY_CHANGED the backend does not
// take is answered with an error presence; the client is not told "subscribed" and the
// roster stays as it was (no buddy added, no push). Once the backend takes frames again
// the same subscription goes through (issue 18).
func TestSubscribeNotSent(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect(bob, secret, "a")
	e.backend(bob, pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("Alice", "", pb.StatusType_STATUS_ONLINE, ""))
	send(t, h, `<presence/>`)
	send(t, h, `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	tr.wait(t, "roster", isRosterResult("r1"))

	subscribed := func(from string) func(*xmpp.Element) bool {
		return func(el *xmpp.Element) bool {
			return el.Local == "presence" && el.Type() == "subscribed" && el.From() == from
		}
	}
	refused := func(what, to, cond, typ string) {
		t.Helper()
		el := tr.wait(t, what, func(el *xmpp.Element) bool {
			return el.Local == "presence" && el.Type() == "error" && el.From() == to
		})
		if errCond(el) != cond || errorOf(el).Attr("type") != typ {
			t.Fatalf("%s: error presence %s", what, el)
		}
	}
	for _, c := range []struct {
		name, typ, to, legacy string
		err                   error
		cond, errType         string
	}{
		{"subscribe, new, busy", "subscribe", "erin@localhost", "erin", busy, xmpp.StanzaResourceConstraint, xmpp.ErrTypeWait},
		{"subscribed, new, gone", "subscribed", "frank@localhost", "frank", errors.New("backend gone"), xmpp.StanzaServiceUnavailable, xmpp.ErrTypeCancel},
		{"subscribe, on the roster, busy", "subscribe", "alice@localhost", "Alice", busy, xmpp.StanzaResourceConstraint, xmpp.ErrTypeWait},
	} {
		t.Run(c.name, func(t *testing.T) {
			known := e.onRoster(t, c.legacy)
			e.be.set(func(f *fakeBackends) { f.sendErr = c.err })
			send(t, h, `<presence type='`+c.typ+`' to='`+c.to+`'/>`)
			refused(c.name, c.to, c.cond, c.errType)
			settle(t, e.r, bob)
			if tr.has(subscribed(c.to)) {
				t.Fatal("told subscribed for a BUDDY_CHANGED the backend did not take")
			}
			if on := e.onRoster(t, c.legacy); on != known {
				t.Fatalf("roster changed: on it %v (before: %v)", on, known)
			}
			if !known && tr.has(contains(`jid="`+c.to+`"`)) {
				t.Fatal("roster push for a buddy the backend did not take")
			}
		})
	}

	e.be.set(func(f *fakeBackends) { f.sendErr = nil })
	send(t, h, `<presence type='subscribe' to='erin@localhost'/>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_CHANGED, nil)
	tr.wait(t, "push for erin", contains(`jid="erin@localhost"`))
	tr.wait(t, "subscribed", subscribed("erin@localhost"))
}

// onRoster reports whether bob's roster holds the buddy legacy (asked on bob's actor).
func (e *env) onRoster(t *testing.T, legacy string) bool {
	t.Helper()
	u := e.r.lookup(bob)
	done := make(chan bool, 1)
	u.post(func() { done <- u.roster.get(legacy) != nil })
	return <-done
}
