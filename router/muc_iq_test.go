package router

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// iqAnswer waits for the answer to the IQ with id and returns it.
func iqAnswer(t *testing.T, tr *testResource, id string) *xmpp.Element {
	t.Helper()
	return tr.wait(t, "answer to "+id, func(el *xmpp.Element) bool {
		return el.Local == "iq" && el.ID() == id && (el.Type() == "result" || el.Type() == "error")
	})
}

// TestSelfPing: XEP-0410: a ping to the own occupant JID is result while joined and
// not-acceptable before the join completed and after leaving, so that clients notice a
// lost membership and join again.
func TestSelfPing(t *testing.T) {
	e, tr, h := mucEnv(t)
	ping := func(id, to string) *xmpp.Element {
		send(t, h, `<iq type='get' id='`+id+`' to='`+to+`'><ping xmlns='urn:xmpp:ping'/></iq>`)
		return iqAnswer(t, tr, id)
	}
	if el := ping("p0", lobby+"/bob"); errCond(el) != "not-acceptable" {
		t.Fatalf("before joining: %s", el)
	}
	joinLobby(t, e, tr, h, "bob")
	if el := ping("p1", lobby+"/bob"); el.Type() != "result" || el.From() != lobby+"/bob" {
		t.Fatalf("joined: %s", el)
	}
	if el := ping("p2", lobby+"/Ada"); errCond(el) != "service-unavailable" {
		t.Fatalf("another member: %s", el)
	}
	if el := ping("p3", lobby+"/nobody"); errCond(el) != "item-not-found" {
		t.Fatalf("no such member: %s", el)
	}
	send(t, h, `<presence type='unavailable' to='`+lobby+`/bob'/>`)
	if el := ping("p4", lobby+"/bob"); errCond(el) != "not-acceptable" {
		t.Fatalf("after leaving: %s", el)
	}
}

// TestSelfPingAfterKick: the network removing the user makes the self-ping fail.
func TestSelfPingAfterKick(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	e.participant(participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED, pb.StatusType_STATUS_NONE))
	tr.wait(t, "kicked", unavailableFrom(lobby+"/bob"))
	send(t, h, `<iq type='get' id='k1' to='`+lobby+`/bob'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if el := iqAnswer(t, tr, "k1"); errCond(el) != "not-acceptable" {
		t.Fatalf("after the kick: %s", el)
	}
}

// TestOccupantDiscoInfo: disco#info on an occupant JID answers like the member's
// client, for members and for the user's own occupant; only occupants may ask.
func TestOccupantDiscoInfo(t *testing.T) {
	e, tr, h := mucEnv(t)
	info := func(id, to string) *xmpp.Element {
		send(t, h, `<iq type='get' id='`+id+`' to='`+to+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		return iqAnswer(t, tr, id)
	}
	if el := info("i0", lobby+"/Ada"); errCond(el) != "not-acceptable" {
		t.Fatalf("before joining: %s", el)
	}
	joinLobby(t, e, tr, h, "bob")
	for _, tc := range []struct {
		id, nick string
		ping     bool
	}{{"i1", "Ada", false}, {"i2", "bob", true}} {
		el := info(tc.id, lobby+"/"+tc.nick)
		q := el.Child(xmpp.NSDiscoInfo, "query")
		if el.Type() != "result" || q == nil || el.From() != lobby+"/"+tc.nick {
			t.Fatalf("%s: %s", tc.nick, el)
		}
		id := q.Child(xmpp.NSDiscoInfo, "identity")
		if id == nil || id.Attr("category") != "client" || id.Attr("name") != tc.nick {
			t.Fatalf("%s identity: %s", tc.nick, el)
		}
		if hasFeature(q, xmpp.NSPing) != tc.ping || !hasFeature(q, xmpp.NSDiscoInfo) {
			t.Fatalf("%s features: %s", tc.nick, el)
		}
	}
	if el := info("i3", lobby+"/nobody"); errCond(el) != "item-not-found" {
		t.Fatalf("no such member: %s", el)
	}
	// The room itself still answers as a room.
	if el := info("i4", lobby); identities(el)[0] != "conference/text" {
		t.Fatalf("room: %s", el)
	}
}

func hasFeature(q *xmpp.Element, f string) bool {
	for _, c := range q.Children() {
		if c.Is(xmpp.NSDiscoInfo, "feature") && c.Attr("var") == f {
			return true
		}
	}
	return false
}
