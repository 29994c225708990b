package xmpp

import (
	"slices"
	"strconv"
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
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
