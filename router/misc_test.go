package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestVCard(t *testing.T) {
	e, tr, h := chatEnv(t, func(c *Config) { c.VCardTimeout = 200 * time.Millisecond })
	send(t, h, `<iq type='get' id='v1' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	req := e.be.waitFrame(t, pb.WrapperMessage_TYPE_VCARD, nil).(*pb.VCard)
	if req.GetBuddyName() != "Alice" || req.GetId() == 0 {
		t.Fatalf("VCARD request %v", req)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: s("bob@localhost"),
		BuddyName: s("Alice"), Id: req.Id, Fullname: s("Alice L."), Nickname: s("al"), Photo: []byte("PNG")})
	res := tr.wait(t, "vcard", isRosterResult("v1"))
	card := res.Child(xmpp.NSVCard, "vCard")
	if res.From() != "alice@localhost" || card.ChildText(xmpp.NSVCard, "FN") != "Alice L." ||
		card.Child(xmpp.NSVCard, "PHOTO").ChildText(xmpp.NSVCard, "BINVAL") != "UE5H" {
		t.Fatalf("vcard %s", res)
	}
	// Unanswered: an empty vCard after the timeout (spec 3.11).
	send(t, h, `<iq type='get' id='v2' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	res = tr.wait(t, "empty vcard", isRosterResult("v2"))
	if card := res.Child(xmpp.NSVCard, "vCard"); card == nil || len(card.Children()) != 0 {
		t.Fatalf("timeout answer %s", res)
	}
	// Own vCard set -> VCARD update id 0.
	send(t, h, `<iq type='set' id='v3'><vCard xmlns='vcard-temp'><NICKNAME>bobby</NICKNAME><PHOTO><BINVAL>UE5H</BINVAL></PHOTO></vCard></iq>`)
	tr.wait(t, "set result", isRosterResult("v3"))
	up := e.be.waitFrame(t, pb.WrapperMessage_TYPE_VCARD, func(m proto.Message) bool { return m.(*pb.VCard).GetId() == 0 }).(*pb.VCard)
	if up.GetNickname() != "bobby" || string(up.GetPhoto()) != "PNG" || up.GetBuddyName() != "" {
		t.Fatalf("update %v", up)
	}
}

// Spec 3.6: a new photo hash in the presence -> vCard get to the client -> VCARD update.
func TestOwnAvatarFlow(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	send(t, h, `<presence><x xmlns='vcard-temp:x:update'><photo>hash1</photo></x></presence>`)
	get := tr.wait(t, "vcard get", func(el *xmpp.Element) bool { return el.Local == "iq" && el.Type() == "get" })
	send(t, h, `<iq type='result' id='`+get.ID()+`'><vCard xmlns='vcard-temp'><NICKNAME>me</NICKNAME></vCard></iq>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_VCARD, func(m proto.Message) bool {
		v := m.(*pb.VCard)
		return v.GetId() == 0 && v.GetNickname() == "me"
	})
}

func TestDiscoVersionPing(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	send(t, h, `<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	res := tr.wait(t, "server info", isRosterResult("d1"))
	if !strings.Contains(res.String(), xmpp.NSCarbons) || strings.Contains(res.String(), "jabber:iq:register") ||
		res.Child(xmpp.NSDiscoInfo, "query").Child(xmpp.NSDiscoInfo, "identity").Attr("category") != "gateway" {
		t.Fatalf("server info %s", res)
	}
	send(t, h, `<iq type='get' id='d2' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	res = tr.wait(t, "buddy info", isRosterResult("d2"))
	if res.From() != "alice@localhost" || !strings.Contains(res.String(), xmpp.NSChatStates) ||
		!strings.Contains(res.String(), xmpp.NSReceipts) {
		t.Fatalf("buddy info %s", res)
	}
	// The caps node#ver of buddy presences answers the same.
	send(t, h, `<iq type='get' id='d3' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='spectrum#`+
		e.r.capsVer()+`'/></iq>`)
	tr.wait(t, "caps info", isRosterResult("d3"))
	send(t, h, `<iq type='get' id='d4' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	tr.wait(t, "items", isRosterResult("d4"))
	send(t, h, `<iq type='get' id='v' to='localhost'><query xmlns='jabber:iq:version'/></iq>`)
	if res := tr.wait(t, "version", isRosterResult("v")); !strings.Contains(res.String(), "<version>test</version>") {
		t.Fatalf("version %s", res)
	}
	send(t, h, `<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	tr.wait(t, "ping", isRosterResult("p1"))
	send(t, h, `<iq type='get' id='p2' to='alice@localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if el := tr.wait(t, "buddy ping", contains(`id="p2"`)); errCond(el) != "service-unavailable" {
		t.Fatalf("buddy ping %s", el)
	}
	send(t, h, `<iq type='get' id='u' to='localhost'><query xmlns='urn:example:unknown'/></iq>`)
	if el := tr.wait(t, "unknown", contains(`id="u"`)); errCond(el) != "service-unavailable" {
		t.Fatalf("unknown %s", el)
	}
}

func TestRawXMLSplitReassembly(t *testing.T) {
	e := newEnv(t, nil)
	e.be.features.RawXML = true
	// The legacy name bob@legacy.net makes legacy.net the legacy domain (rawFromAllowed).
	tr, h := e.connect("bob%legacy.net@localhost", secret, "a")
	send(t, h, `<presence/>`)
	e.r.HandleRawXML("b1", []byte(`<message to='bob%legacy.net@localhost/a' from='alice@legacy.net/home' type='chat'><bo`))
	e.r.HandleRawXML("b2", []byte(`<message to='bob%legacy.net@localhost' from='x@legacy.net' type='chat'><body>other</body></message>`))
	// Not of bob's legacy side: no from, another domain, one of our own users.
	e.r.HandleRawXML("b2", []byte(`<message to='bob%legacy.net@localhost' type='chat'><body>nofrom</body></message>`+
		`<message to='bob%legacy.net@localhost' from='eve@elsewhere.net' type='chat'><body>elsewhere</body></message>`+
		`<message to='bob%legacy.net@localhost' from='carol%legacy.net@localhost' type='chat'><body>ours</body></message>`))
	e.r.HandleRawXML("b1", []byte(`dy>split</body></message><message to='bob%legacy.net@localhost' from='carol@legacy.net'><body>2</body></message>`))
	m := tr.wait(t, "reassembled", contains("split"))
	if m.From() != `alice\40legacy.net@localhost/home` {
		t.Fatalf("from not rewritten: %s", m)
	}
	// "2" comes after the three dropped ones in bob's queue.
	tr.wait(t, "second of the frame", contains(">2<"))
	tr.wait(t, "other backend", contains("other"))
	for _, body := range []string{"nofrom", "elsewhere", "ours"} {
		if tr.has(contains(body)) {
			t.Errorf("RAW_XML message %q with a foreign from delivered", body)
		}
	}
	// Client -> backend: RAW_XML with to rewritten to the legacy JID.
	send(t, h, `<message to='dave\40legacy.net@localhost/res' type='chat'><body>out</body></message>`)
	eventually(t, "raw out", func() bool {
		e.be.mu.Lock()
		defer e.be.mu.Unlock()
		for _, b := range e.be.raw {
			if strings.Contains(string(b), `to="dave@legacy.net/res"`) && strings.Contains(string(b), `from="bob%legacy.net@localhost/a"`) {
				return true
			}
		}
		return false
	})
}

func TestBareJIDRoutingAndRelogin(t *testing.T) {
	e, tra, ha := chatEnv(t, nil)
	trb, hb := e.connect("bob@localhost", secret, "b")
	send(t, ha, `<presence><priority>1</priority></presence>`)
	send(t, hb, `<presence><priority>5</priority></presence>`)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("to the top")})
	trb.wait(t, "highest priority", contains("to the top"))
	settle(t, e.r, "bob@localhost")
	if tra.has(contains("to the top")) {
		t.Fatal("lower priority resource got the message")
	}
	// During a re-login the backend cannot take messages: recipient-unavailable (wait).
	e.be.set(func(f *fakeBackends) { f.onLogin = func(*pb.Login) {} })
	disconnect(e, 16, "crash")
	eventually(t, "re-login", func() bool { return e.be.nLogins() == 2 })
	e.be.set(func(f *fakeBackends) { f.sendErr = errors.New("restarting") })
	send(t, hb, `<message to='alice@localhost' type='chat' id='w'><body>x</body></message>`)
	if el := trb.wait(t, "bounce", contains(`id="w"`)); errCond(el) != "recipient-unavailable" {
		t.Fatalf("bounce %s", el)
	}
	_ = hb
}
