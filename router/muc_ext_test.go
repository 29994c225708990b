package router

import (
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/archive"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
)

// Issue 24 in rooms: corrections, replies, reactions, retractions and displayed markers
// in groupchat, both ways, with the room's stanza-ids (the archive's) mapped to and from
// the legacy ids.

// archiveMucEnv is mucEnv with the real archive (on SQLite; its writer does not run: the
// ids of this login's messages are remembered on the actor).
func archiveMucEnv(t *testing.T) (*env, *testResource, *handler) {
	t.Helper()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := newEnv(t, func(c *Config) {
		c.MUCHistory = 3
		c.Features = []feature.Feature{archive.New(archive.Config{Store: db})}
	})
	tr, h := e.connect(bob, secret, "a")
	return e, tr, h
}

// roomMessageWithID delivers a groupchat message with a legacy id and returns the
// occupants' copy.
func roomMessageWithID(t *testing.T, e *env, tr *testResource, nick, body, id string) *xmpp.Element {
	t.Helper()
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob),
		BuddyName: s("#lobby"), Nickname: s(nick), Message: s(body), Id: s(id)})
	return tr.wait(t, body, groupchat(lobby+"/"+nick, body))
}

func stanzaID(m *xmpp.Element) string {
	if sid := m.Child(xmpp.NSSID, "stanza-id"); sid != nil {
		return sid.Attr("id")
	}
	return ""
}

func TestRoomExtensionsToBackend(t *testing.T) {
	e, tr, h := archiveMucEnv(t)
	joinLobby(t, e, tr, h, "me")
	turing := roomMessageWithID(t, e, tr, "Turing", "hello all", "leg-1")
	sid := stanzaID(turing)
	if sid == "" || turing.ID() != "leg-1" {
		t.Fatalf("room message without the room's stanza-id or its legacy id: %s", turing)
	}
	isErr := func(id string) func(*xmpp.Element) bool {
		return func(el *xmpp.Element) bool {
			return el.Local == "message" && el.Type() == "error" && el.ID() == id &&
				el.Child(xmpp.NSClient, "error").Child(xmpp.NSStanzas, xmpp.StanzaFeatureNotImplemented) != nil
		}
	}
	isText := func(text string) func(proto.Message) bool {
		return func(m proto.Message) bool { return m.(*pb.ConversationMessage).GetMessage() == text }
	}
	// Without the keys: the correction as text, the reaction and the retraction refused, the marker dropped.
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g1'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	if c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("fixed")).(*pb.ConversationMessage); c.ReplaceId != nil {
		t.Errorf("replaceId without features.corrections: %v", c)
	}
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g2'><reactions xmlns='urn:xmpp:reactions:0' id='`+sid+`'><reaction>👍</reaction></reactions></message>`)
	tr.wait(t, "feature-not-implemented for the reaction", isErr("g2"))
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g3'><body>fallback</body><retract xmlns='urn:xmpp:message-retract:1' id='`+sid+`'/></message>`)
	tr.wait(t, "feature-not-implemented for the retraction", isErr("g3"))
	send(t, h, `<message to='`+lobby+`' type='groupchat'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+sid+`'/></message>`)
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_EVENT) + e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK); n != 0 {
		t.Fatalf("%d frames sent for refused events", n)
	}

	e.be.set(func(f *fakeBackends) {
		f.features.Corrections, f.features.Replies, f.features.Reactions = true, true, true
		f.features.Retractions, f.features.Markers = true, true
	})
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g4'><body>fixed again</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("fixed again")).(*pb.ConversationMessage)
	if c.GetReplaceId() != "m1" || c.GetBuddyName() != "#lobby" {
		t.Errorf("correction %v", c)
	}
	// A reply by the room's stanza-id goes with the legacy id and the member's nick.
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g5'><body>&gt; hello all
yes</body><reply xmlns='urn:xmpp:reply:0' to='`+lobby+`/Turing' id='`+sid+`'/>`+
		`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='12'/></fallback></message>`)
	c = e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("> hello all\nyes")).(*pb.ConversationMessage)
	if c.GetReplyToId() != "leg-1" || c.GetReplyToSender() != "Turing" || c.GetReplyFallbackEnd() != 12 {
		t.Errorf("reply %v", c)
	}
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g6'><reactions xmlns='urn:xmpp:reactions:0' id='`+sid+`'><reaction>👍</reaction></reactions></message>`)
	ev := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_EVENT, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).ReactToId != nil
	}).(*pb.ConversationMessage)
	if ev.GetReactToId() != "leg-1" || ev.GetBuddyName() != "#lobby" || !slices.Equal(ev.GetReaction(), []string{"👍"}) {
		t.Errorf("reaction %v", ev)
	}
	// A retraction of the user's own message by its stanza-id.
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='own1'><body>oops</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("oops"))
	own := roomMessageWithID(t, e, tr, "me", "oops", "own1") // the network's echo
	if own.ID() != "own1" || stanzaID(own) == "" {
		t.Fatalf("reflection %s", own)
	}
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g7'><body>fallback</body><retract xmlns='urn:xmpp:message-retract:1' id='`+stanzaID(own)+`'/></message>`)
	ev = e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_EVENT, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).RetractId != nil
	}).(*pb.ConversationMessage)
	if ev.GetRetractId() != "own1" || ev.GetBuddyName() != "#lobby" {
		t.Errorf("retraction %v", ev)
	}
	send(t, h, `<message to='`+lobby+`' type='groupchat'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+sid+`'/></message>`)
	a := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, nil).(*pb.ConversationMessage)
	if a.GetId() != "leg-1" || a.GetBuddyName() != "#lobby" {
		t.Errorf("marker %v", a)
	}
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE); n != 4 {
		t.Errorf("%d CONV_MESSAGE, want 4: a fallback body went to the backend", n)
	}
}

// TestRoomExtensionsFromBackend: a member's correction and reply, reactions, retraction
// and displayed marker reach every occupant from the member's occupant JID, naming
// messages by the room's stanza-ids.
func TestRoomExtensionsFromBackend(t *testing.T) {
	e, tr, h := archiveMucEnv(t)
	joinLobby(t, e, tr, h, "me")
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='u1'><body>hi</body></message>`)
	mine := roomMessageWithID(t, e, tr, "me", "hi", "u1")
	turing := roomMessageWithID(t, e, tr, "Turing", "hello", "leg-1")
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob), BuddyName: s("#lobby"),
		Nickname: s("Turing"), Message: s("hello!"), Id: s("leg-2"), ReplaceId: s("leg-1")})
	m := tr.wait(t, "correction", groupchat(lobby+"/Turing", "hello!"))
	if r := m.Child(nsCorrect, "replace"); r == nil || r.Attr("id") != "leg-1" {
		t.Errorf("correction %s", m)
	}
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob), BuddyName: s("#lobby"),
		Nickname: s("Turing"), Message: s("> hi\nwelcome"), Id: s("leg-3"), ReplyToId: s("u1"), ReplyToSender: s(""),
		ReplyFallbackEnd: proto.Uint32(5)})
	m = tr.wait(t, "reply", groupchat(lobby+"/Turing", "> hi\nwelcome"))
	if r := m.Child(nsReply, "reply"); r == nil || r.Attr("id") != stanzaID(mine) || r.Attr("to") != lobby+"/me" ||
		m.Child(nsFallback, "fallback") == nil {
		t.Errorf("reply %s, want to the stanza-id %s of %s", m, stanzaID(mine), mine)
	}
	events := []*pb.ConversationMessage{
		{ReactToId: s("u1"), Reaction: []string{"🎉"}, Nickname: s("Turing")},
		{RetractId: s("leg-1"), Nickname: s("Turing")},
		{DisplayedId: s("u1"), Nickname: s("Ada")},
		{ReactToId: s("leg-1"), Reaction: []string{"👍"}, Nickname: s("me")}, // the echo of the user's own
	}
	for _, ev := range events {
		ev.UserName, ev.BuddyName, ev.Message = s(bob), s("#lobby"), s("")
		e.backend(bob, pb.WrapperMessage_TYPE_CONV_EVENT, ev)
	}
	at := func(what, from string, has func(*xmpp.Element) bool) {
		t.Helper()
		m := tr.wait(t, what, func(el *xmpp.Element) bool {
			return el.Local == "message" && el.Type() == "groupchat" && el.From() == from && has(el)
		})
		t.Logf("%s: %s", what, m)
	}
	idIs := func(ns, local, id string) func(*xmpp.Element) bool {
		return func(el *xmpp.Element) bool { c := el.Child(ns, local); return c != nil && c.Attr("id") == id }
	}
	at("reaction to mine", lobby+"/Turing", idIs(nsReactions, "reactions", stanzaID(mine)))
	at("retraction", lobby+"/Turing", idIs(nsRetract, "retract", stanzaID(turing)))
	at("displayed", lobby+"/Ada", idIs(xmpp.NSMarkers, "displayed", stanzaID(mine)))
	at("own reaction's echo", lobby+"/me", idIs(nsReactions, "reactions", stanzaID(turing)))
	// Unknown to the archive: the legacy id as it is.
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: s(bob), BuddyName: s("#lobby"),
		Message: s(""), Nickname: s("Ada"), ReactToId: s("before-my-time"), Reaction: []string{"❤"}})
	at("reaction to an unknown id", lobby+"/Ada", idIs(nsReactions, "reactions", "before-my-time"))
}

// TestRoomDiscoExtensions: a room lists the features of issue 24 only for the keys the
// backends announced.
func TestRoomDiscoExtensions(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "me")
	ask := func(id string) []string {
		send(t, h, `<iq type='get' id='`+id+`' to='`+lobby+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		r := tr.wait(t, "disco#info", func(el *xmpp.Element) bool { return el.Local == "iq" && el.ID() == id })
		var out []string
		for _, f := range r.Child(xmpp.NSDiscoInfo, "query").Children() {
			if f.Local == "feature" {
				out = append(out, f.Attr("var"))
			}
		}
		return out
	}
	ext := []string{nsCorrect, nsReply, nsReactions, nsRetract, nsRetract0, xmpp.NSMarkers}
	for _, f := range ask("d1") {
		if slices.Contains(ext, f) {
			t.Errorf("%s advertised without its key", f)
		}
	}
	e.be.set(func(f *fakeBackends) { f.features.Reactions, f.features.Markers = true, true })
	got := ask("d2")
	for _, f := range ext {
		want := f == nsReactions || f == xmpp.NSMarkers
		if slices.Contains(got, f) != want {
			t.Errorf("%s advertised %v, want %v: %v", f, !want, want, got)
		}
	}
}

// TestChatReferenceByStanzaID: in a one-to-one chat a client that names a message by the
// stanza-id the archive gave it (as read from MAM) reaches the backend with the legacy
// id; its own ids go as they are.
func TestChatReferenceByStanzaID(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e, tr, h := chatEnv(t, func(c *Config) { c.Features = []feature.Feature{archive.New(archive.Config{Store: db})} })
	e.be.set(func(f *fakeBackends) {
		f.features.Reactions, f.features.Corrections, f.features.Replies = true, true, true
	})
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob), BuddyName: s("Alice"),
		Message: s("hi"), Id: s("leg-9")})
	m := tr.wait(t, "alice's message", func(el *xmpp.Element) bool { return isMsg(el) && el.ID() == "leg-9" })
	sid := stanzaID(m)
	send(t, h, `<message to='alice@localhost' type='chat' id='e1'><reactions xmlns='urn:xmpp:reactions:0' id='`+sid+`'><reaction>👍</reaction></reactions></message>`)
	ev := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_EVENT, nil).(*pb.ConversationMessage)
	if ev.GetReactToId() != "leg-9" {
		t.Errorf("reaction by the stanza-id %s: %v", sid, ev)
	}
	send(t, h, `<message to='alice@localhost' type='chat' id='e2'><body>yes</body><reply xmlns='urn:xmpp:reply:0' to='alice@localhost' id='`+sid+`'/>`+
		`<replace xmlns='urn:xmpp:message-correct:0' id='own-7'/></message>`)
	c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
	if c.GetReplyToId() != "leg-9" || c.GetReplaceId() != "own-7" {
		t.Errorf("reply and correction %v", c)
	}
}

// TestMarkable: messages with a body from a backend that reads markers ask for them
// (XEP-0333 <markable/>), in a chat (when they have an id to name) and in a room; from
// one that does not, they do not.
func TestMarkable(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "me")
	markable := func(m *xmpp.Element) bool { return m.Child(xmpp.NSMarkers, "markable") != nil }
	if m := roomMessageWithID(t, e, tr, "Turing", "one", "l1"); markable(m) {
		t.Errorf("markable without features.markers: %s", m)
	}
	e.be.set(func(f *fakeBackends) { f.features.Markers = true })
	if m := roomMessageWithID(t, e, tr, "Turing", "two", "l2"); !markable(m) {
		t.Errorf("room message not markable: %s", m)
	}
	for _, id := range []string{"c1", ""} {
		e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob), BuddyName: s("alice"),
			Message: s("chat " + id), Id: s(id)})
		m := tr.wait(t, "chat "+id, func(el *xmpp.Element) bool { return isMsg(el) && el.ChildText(xmpp.NSClient, "body") == "chat "+id })
		if markable(m) != (id != "") {
			t.Errorf("chat message %s: markable %v", m, markable(m))
		}
	}
}

// TestRoomReactionFallbackText: with service.reaction_fallback = text a reaction in a room
// whose backend does not carry reactions goes to the room as a line.
func TestRoomReactionFallbackText(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ReactionFallback = "text" })
	tr, h := e.connect(bob, secret, "a")
	joinLobby(t, e, tr, h, "me")
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g1'><reactions xmlns='urn:xmpp:reactions:0' id='x'><reaction>👍</reaction></reactions></message>`)
	c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
	if c.GetMessage() != "reacted 👍" || c.GetBuddyName() != "#lobby" {
		t.Errorf("fallback line %v", c)
	}
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_EVENT); n != 0 {
		t.Errorf("%d CONV_EVENT to a backend without reactions", n)
	}
}
