package router

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
)

// TestJoinNotTaken: a JOIN_ROOM the backend does not take (its queue is full, or it is
// gone) is answered with an error presence and the room is forgotten, rather than a
// join that never completes (issue 18).
func TestJoinNotTaken(t *testing.T) {
	e, tr, h := mucEnv(t)
	e.be.set(func(f *fakeBackends) { f.sendErr = pluginserver.ErrBackendBusy })
	send(t, h, `<presence to='`+lobby+`/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	el := tr.wait(t, "error presence", func(el *xmpp.Element) bool { return el.Type() == "error" })
	if errCond(el) != xmpp.StanzaServiceUnavailable || el.Child(xmpp.NSClient, "error").Attr("type") != xmpp.ErrTypeWait ||
		el.From() != lobby+"/bob" || el.Child(xmpp.NSMUC, "x") == nil {
		t.Fatalf("error presence %s", el)
	}
	settle(t, e.r, bob)
	if u := e.r.lookup(bob); u.rooms.Len() != 0 {
		t.Fatal("room kept after the refused JOIN_ROOM")
	}
	// The next join, once the backend takes frames again, goes through.
	e.be.set(func(f *fakeBackends) { f.sendErr = nil })
	joinLobby(t, e, tr, h, "bob")
}
