package xmpp

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/internal/testsrv"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestFeaturesAnnounceExtensions: the keys of issue 24 are announced.
func TestFeaturesAnnounceExtensions(t *testing.T) {
	f := NewPlugin(Config{}, backendtest.Logger(t)).Features()
	if !f.Corrections || !f.Replies || !f.Reactions || !f.Retractions || !f.MsgIDs || !f.Markers {
		t.Errorf("features %+v", f)
	}
}

// TestExtensionsToContact: the user's correction, reply, reactions, retraction and
// displayed marker reach bob on Prosody as XEP-0308, XEP-0461 (+ XEP-0428), XEP-0444,
// XEP-0424 and XEP-0333, naming the messages by the ids the daemon gave.
func TestExtensionsToContact(t *testing.T) {
	_, d, b := friends(t)
	conv := func(c *pb.ConversationMessage) {
		c.UserName, c.BuddyName = ptr(user), ptr(bob)
		d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, c)
	}
	event := func(c *pb.ConversationMessage) {
		c.UserName, c.BuddyName, c.Message = ptr(user), ptr(bob), ptr("")
		d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, c)
	}
	body := func(want string) func(*stanza.Element) bool {
		return func(e *stanza.Element) bool {
			return e.Local == "message" && e.ChildText(stanza.NSClient, "body") == want
		}
	}

	conv(&pb.ConversationMessage{Message: ptr("hello"), Id: ptr("m1")})
	m := b.expect("m1", body("hello"))
	if m.ID() != "m1" || m.Child(stanza.NSSID, "origin-id").Attr("id") != "m1" || m.Child(stanza.NSMarkers, "markable") == nil {
		t.Errorf("m1 reached bob as %s", m)
	}

	conv(&pb.ConversationMessage{Message: ptr("hello!"), Id: ptr("m2"), ReplaceId: ptr("m1")})
	m = b.expect("the correction", body("hello!"))
	if r := m.Child(nsCorrect, "replace"); r == nil || r.Attr("id") != "m1" || m.ID() != "m2" {
		t.Errorf("the correction reached bob as %s", m)
	}

	quote := "> bob: hi\n"
	conv(&pb.ConversationMessage{Message: ptr(quote + "yes"), Id: ptr("m3"), ReplyToId: ptr("b1"),
		ReplyToSender: ptr(bob), ReplyFallbackEnd: ptr(uint32(len([]rune(quote))))})
	m = b.expect("the reply", body(quote+"yes"))
	r := m.Child(nsReply, "reply")
	fb := child(child(m, nsFallback, "fallback"), nsFallback, "body")
	if r == nil || r.Attr("id") != "b1" || r.Attr("to") != bob || fb == nil || fb.Attr("start") != "0" ||
		fb.Attr("end") != strconv.Itoa(len([]rune(quote))) || m.Child(nsFallback, "fallback").Attr("for") != nsReply {
		t.Errorf("the reply reached bob as %s", m)
	}
	conv(&pb.ConversationMessage{Message: ptr("me too"), Id: ptr("m4"), ReplyToId: ptr("m1"), ReplyToSender: ptr("")})
	m = b.expect("the reply to the user's own message", body("me too"))
	if r := m.Child(nsReply, "reply"); r == nil || r.Attr("id") != "m1" || key(r.Attr("to")) != alice ||
		m.Child(nsFallback, "fallback") != nil {
		t.Errorf("the reply to alice's message reached bob as %s", m)
	}

	event(&pb.ConversationMessage{ReactToId: ptr("b1"), Reaction: []string{"👍", "🎉"}})
	m = b.expect("the reactions", func(e *stanza.Element) bool { return e.Child(nsReactions, "reactions") != nil })
	if got := reactionsOf(m); m.Child(nsReactions, "reactions").Attr("id") != "b1" || !slices.Equal(got, []string{"👍", "🎉"}) {
		t.Errorf("the reactions reached bob as %s", m)
	}
	event(&pb.ConversationMessage{ReactToId: ptr("b1")})
	m = b.expect("the reactions removed", func(e *stanza.Element) bool { return e.Child(nsReactions, "reactions") != nil })
	if len(reactionsOf(m)) != 0 {
		t.Errorf("the removal reached bob as %s", m)
	}

	event(&pb.ConversationMessage{RetractId: ptr("m2")})
	m = b.expect("the retraction", func(e *stanza.Element) bool { return e.Child(nsRetract, "retract") != nil })
	if m.Child(nsRetract, "retract").Attr("id") != "m2" || child(m.Child(nsFasten, "apply-to"), nsRetract0, "retract") == nil ||
		m.ChildText(stanza.NSClient, "body") != retractFallback {
		t.Errorf("the retraction reached bob as %s", m)
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(bob),
		Message: ptr(""), Id: ptr("b1")})
	m = b.expect("the displayed marker", func(e *stanza.Element) bool { return e.Child(stanza.NSMarkers, "displayed") != nil })
	if m.Child(stanza.NSMarkers, "displayed").Attr("id") != "b1" {
		t.Errorf("the marker reached bob as %s", m)
	}
}

// TestExtensionsFromContact: bob's ids, correction, replies, reactions (up to the bound),
// retractions (both forms, their fallback body not delivered) and displayed marker reach
// the daemon as the frames of issue 24.
func TestExtensionsFromContact(t *testing.T) {
	_, d, b := friends(t)
	msg := func(id string, children ...*stanza.Element) {
		b.send(el("message", "to", alice, "type", "chat", "id", id).Append(children...))
	}
	conv := func(string) *pb.ConversationMessage {
		t.Helper()
		return waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(*pb.ConversationMessage) bool { return true })
	}
	event := func() *pb.ConversationMessage {
		t.Helper()
		return waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(*pb.ConversationMessage) bool { return true })
	}

	msg("b1", text(stanza.NSClient, "body", "hi"))
	if c := conv("b1"); c.GetId() != "b1" || c.GetMessage() != "hi" {
		t.Errorf("b1 came as %v", c)
	}
	msg("b2", text(stanza.NSClient, "body", "with origin-id"), stanza.New(stanza.NSSID, "origin-id", "id", "o2"))
	if c := conv("b2"); c.GetId() != "o2" {
		t.Errorf("b2's legacy id is %q, want its origin-id", c.GetId())
	}
	msg("b3", text(stanza.NSClient, "body", "hi!"), stanza.New(nsCorrect, "replace", "id", "b1"))
	if c := conv("correction"); c.GetId() != "b3" || c.GetReplaceId() != "b1" || c.GetMessage() != "hi!" {
		t.Errorf("the correction came as %v", c)
	}
	quote := "> alice: hello\n"
	n := strconv.Itoa(len([]rune(quote)))
	msg("b4", text(stanza.NSClient, "body", quote+"hello to you"), stanza.New(nsReply, "reply", "id", "m1", "to", alice+"/Spectrum"),
		stanza.New(nsFallback, "fallback", "for", nsReply).Append(stanza.New(nsFallback, "body", "start", "0", "end", n)))
	if c := conv("reply"); c.GetReplyToId() != "m1" || c.ReplyToSender == nil || c.GetReplyToSender() != "" ||
		c.GetReplyFallbackEnd() != uint32(len([]rune(quote))) || c.GetMessage() != quote+"hello to you" {
		t.Errorf("the reply to alice came as %v", c)
	}
	msg("b5", text(stanza.NSClient, "body", "and mine"), stanza.New(nsReply, "reply", "id", "b1", "to", bob),
		stanza.New(nsFallback, "fallback", "for", nsReply).Append(stanza.New(nsFallback, "body", "start", "0", "end", "999")))
	if c := conv("reply to bob"); c.GetReplyToId() != "b1" || c.GetReplyToSender() != bob || c.GetReplyFallbackEnd() != 0 {
		t.Errorf("the reply to bob (with a fallback range past the body) came as %v", c)
	}

	msg("b6", stanza.New(nsReactions, "reactions", "id", "m1").Append(text(nsReactions, "reaction", "❤")))
	if e := event(); e.GetId() != "b6" || e.GetReactToId() != "m1" || !slices.Equal(e.Reaction, []string{"❤"}) {
		t.Errorf("the reaction came as %v", e)
	}
	many := stanza.New(nsReactions, "reactions", "id", "m1")
	for i := range maxReactions + 8 {
		many.Append(text(nsReactions, "reaction", "r"+strconv.Itoa(i)))
	}
	msg("b7", many)
	if e := event(); len(e.Reaction) != maxReactions || e.Reaction[0] != "r0" {
		t.Errorf("%d reactions came, want the bound %d", len(e.Reaction), maxReactions)
	}
	msg("b8", stanza.New(nsReactions, "reactions", "id", "m1"))
	if e := event(); e.GetReactToId() != "m1" || len(e.Reaction) != 0 {
		t.Errorf("the removal came as %v", e)
	}

	msg("b9", stanza.New(nsRetract, "retract", "id", "b3"), stanza.New(nsFallback, "fallback", "for", nsRetract),
		text(stanza.NSClient, "body", retractFallback))
	if e := event(); e.GetRetractId() != "b3" {
		t.Errorf("the retraction came as %v", e)
	}
	msg("b10", stanza.New(nsFasten, "apply-to", "id", "b1").Append(stanza.New(nsRetract0, "retract")),
		text(stanza.NSClient, "body", retractFallback))
	if e := event(); e.GetRetractId() != "b1" {
		t.Errorf("the older retraction came as %v", e)
	}
	msg("b11", stanza.New(stanza.NSMarkers, "displayed", "id", "m1"))
	if e := event(); e.GetDisplayedId() != "m1" {
		t.Errorf("the marker came as %v", e)
	}
	// The retractions' fallback bodies were no messages: the next message is this one.
	msg("b12", text(stanza.NSClient, "body", "done"))
	if c := conv("done"); c.GetMessage() != "done" {
		t.Errorf("a retraction's fallback body came as a message: %v", c)
	}
}

// reactionsOf lists the reactions of m's XEP-0444 element.
func reactionsOf(m *stanza.Element) []string {
	var out []string
	for _, c := range child(m, nsReactions, "reactions").Children() {
		if c.Is(nsReactions, "reaction") {
			out = append(out, c.Text())
		}
	}
	return out
}

// TestLegacyID: origin-id before id before our own server's stanza-id; another's stanza-id
// names nothing.
func TestLegacyID(t *testing.T) {
	sid := func(by, id string) *stanza.Element { return stanza.New(stanza.NSSID, "stanza-id", "by", by, "id", id) }
	for _, c := range []struct {
		el   *stanza.Element
		want string
	}{
		{el("message", "id", "x").Append(stanza.New(stanza.NSSID, "origin-id", "id", "o"), sid(alice, "s")), "o"},
		{el("message", "id", "x").Append(sid(alice, "s")), "x"},
		{el("message").Append(sid("other@"+domain, "t"), sid("Alice@"+domain, "s")), "s"},
		{el("message").Append(sid("other@"+domain, "t")), ""},
	} {
		if got := legacyID(c.el, alice); got != c.want {
			t.Errorf("legacyID(%s) = %q, want %q", c.el, got, c.want)
		}
	}
}

// TestRoomExtensions: in a room on Prosody with mod_muc_mam (stanza-ids by the room), the
// legacy id of a room message is the room's stanza-id; a member's correction by its own
// id arrives naming that stanza-id, and the user's correction of its own message goes
// out naming its own id; reactions, replies and retractions name stanza-ids both ways,
// and the room's reflection of the user's reaction comes back from the user's nick.
func TestRoomExtensions(t *testing.T) {
	p := &prosody{testsrv.StartProsody(t, testsrv.ProsodyOptions{Domain: domain, MUC: muc, MUCArchive: true,
		Users: []string{"alice", pass, "bob", "bob-secret"}})}
	d := startBackend(t, p)
	login(t, d)
	resp := connectPeer(t, p, "bob", "bob-secret", "xr")
	joinDirect(resp, testRoom, "resp")
	joinGateway(t, d, testRoom, "client")
	resp.expect("client joined", func(e *stanza.Element) bool { return e.Local == "presence" && e.From() == testRoom+"/client" })
	roomMsg := func(what string, ok func(*pb.ConversationMessage) bool) *pb.ConversationMessage {
		t.Helper()
		return waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m *pb.ConversationMessage) bool {
			return m.GetBuddyName() == testRoom && ok(m)
		})
	}
	roomEvent := func(ok func(*pb.ConversationMessage) bool) *pb.ConversationMessage {
		t.Helper()
		return waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(m *pb.ConversationMessage) bool {
			return m.GetBuddyName() == testRoom && ok(m)
		})
	}
	groupchat := func(what string, ok func(*stanza.Element) bool) *stanza.Element {
		t.Helper()
		return resp.expect(what, func(e *stanza.Element) bool {
			return e.Local == "message" && e.Type() == "groupchat" && e.From() == testRoom+"/client" && ok(e)
		})
	}
	sid := func(e *stanza.Element) string { return roomLegacyID(e, testRoom) }

	resp.send(el("message", "to", testRoom, "type", "groupchat", "id", "b1").Append(text(stanza.NSClient, "body", "hi room")))
	b1 := roomMsg("b1", func(m *pb.ConversationMessage) bool { return m.GetMessage() == "hi room" })
	s1 := b1.GetId()
	if s1 == "" || s1 == "b1" || b1.GetNickname() != "resp" {
		t.Fatalf("bob's room message came with id %q (want the room's stanza-id) from %q", s1, b1.GetNickname())
	}
	resp.send(el("message", "to", testRoom, "type", "groupchat", "id", "b2").Append(text(stanza.NSClient, "body", "hi, room"),
		stanza.New(nsCorrect, "replace", "id", "b1")))
	if m := roomMsg("b2", func(m *pb.ConversationMessage) bool { return m.GetMessage() == "hi, room" }); m.GetReplaceId() != s1 {
		t.Errorf("bob's correction names %q, want b1's stanza-id %q", m.GetReplaceId(), s1)
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom),
		Message: ptr("hello all"), Id: ptr("u1")})
	u1 := groupchat("u1", func(e *stanza.Element) bool { return e.ChildText(stanza.NSClient, "body") == "hello all" })
	su := sid(u1)
	if echo := roomMsg("u1's reflection", func(m *pb.ConversationMessage) bool { return m.GetMessage() == "hello all" }); echo.GetId() != su || su == "u1" {
		t.Errorf("the reflection's legacy id %q, bob's stanza-id %q", echo.GetId(), su)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom),
		Message: ptr("hello, all"), Id: ptr("u2"), ReplaceId: ptr(su)})
	if m := groupchat("u2", func(e *stanza.Element) bool { return e.ChildText(stanza.NSClient, "body") == "hello, all" }); child(m, nsCorrect, "replace").Attr("id") != "u1" {
		t.Errorf("the user's correction reached the room as %s, want it to name u1", m)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom),
		Message: ptr("right"), Id: ptr("u3"), ReplyToId: ptr(s1), ReplyToSender: ptr("resp")})
	if m := groupchat("u3", func(e *stanza.Element) bool { return e.ChildText(stanza.NSClient, "body") == "right" }); child(m, nsReply, "reply").Attr("id") != s1 ||
		child(m, nsReply, "reply").Attr("to") != testRoom+"/resp" {
		t.Errorf("the user's reply reached the room as %s", m)
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom),
		Message: ptr(""), ReactToId: ptr(s1), Reaction: []string{"👍"}})
	groupchat("the user's reaction", func(e *stanza.Element) bool { return child(e, nsReactions, "reactions").Attr("id") == s1 })
	if e := roomEvent(func(m *pb.ConversationMessage) bool { return m.GetReactToId() == s1 }); e.GetNickname() != "client" {
		t.Errorf("the reflection of the user's reaction came from %q", e.GetNickname())
	}

	resp.send(el("message", "to", testRoom, "type", "groupchat", "id", "b3").Append(
		stanza.New(nsReactions, "reactions", "id", su).Append(text(nsReactions, "reaction", "🎉"))))
	if e := roomEvent(func(m *pb.ConversationMessage) bool { return m.GetReactToId() == su }); e.GetNickname() != "resp" || !slices.Equal(e.Reaction, []string{"🎉"}) {
		t.Errorf("bob's reaction came as %v", e)
	}
	resp.send(el("message", "to", testRoom, "type", "groupchat", "id", "b4").Append(text(stanza.NSClient, "body", "indeed"),
		stanza.New(nsReply, "reply", "id", su, "to", testRoom+"/client")))
	if m := roomMsg("b4", func(m *pb.ConversationMessage) bool { return m.GetMessage() == "indeed" }); m.GetReplyToId() != su ||
		m.ReplyToSender == nil || m.GetReplyToSender() != "" {
		t.Errorf("bob's reply to the user came as %v", m)
	}
	resp.send(el("message", "to", testRoom, "type", "groupchat", "id", "b5").Append(stanza.New(nsRetract, "retract", "id", s1),
		text(stanza.NSClient, "body", retractFallback)))
	if e := roomEvent(func(m *pb.ConversationMessage) bool { return m.GetRetractId() == s1 }); e.GetNickname() != "resp" {
		t.Errorf("bob's retraction came as %v", e)
	}

	// A private chat with an occupant maps them as a one-to-one chat, named "room/nick".
	resp.send(el("message", "to", testRoom+"/client", "type", "chat", "id", "p1").Append(
		stanza.New(nsReactions, "reactions", "id", "pm1").Append(text(nsReactions, "reaction", "👋")),
		stanza.New(nsMUCUser, "x")))
	waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(m *pb.ConversationMessage) bool {
		return m.GetBuddyName() == testRoom+"/resp" && m.GetReactToId() == "pm1"
	})
	d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom + "/resp"),
		Message: ptr(""), ReactToId: ptr("p1"), Reaction: []string{"👌"}})
	resp.expect("the user's reaction in the private chat", func(e *stanza.Element) bool {
		return e.Type() == "chat" && e.From() == testRoom+"/client" && child(e, nsReactions, "reactions").Attr("id") == "p1"
	})
}

// The room ids remembered are bounded, both ways.
func TestRoomIDsBounded(t *testing.T) {
	m := newRoomIDs(maxRoomIDs)
	for i := range maxRoomIDs + 3 {
		m.put(testRoom, "own"+strconv.Itoa(i), "sid"+strconv.Itoa(i))
	}
	if len(m.order) != maxRoomIDs || len(m.legacy) != maxRoomIDs || len(m.own) != maxRoomIDs {
		t.Fatalf("%d/%d/%d remembered, want the bound %d", len(m.order), len(m.legacy), len(m.own), maxRoomIDs)
	}
	if m.legacyOf(testRoom, "own0") != "own0" || m.ownOf(testRoom, "sid0") != "sid0" {
		t.Error("the oldest outlived the bound")
	}
	if m.legacyOf(testRoom, "own5") != "sid5" || m.ownOf(testRoom, "sid5") != "own5" || m.ownOf("other@"+muc, "sid5") != "sid5" {
		t.Error("a remembered id is not mapped, or is mapped in another room")
	}
	m.put(testRoom, "same", "same") // no stanza-id of its own: nothing to remember
	if len(m.order) != maxRoomIDs || m.legacyOf(testRoom, "same") != "same" {
		t.Error("an id equal to its stanza-id was recorded")
	}
}
