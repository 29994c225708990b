package irc_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/internal/testsrv"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

var msgidTag = regexp.MustCompile(`(?:^@|;)msgid=([^; ]+)`)

// msgidOf is the msgid tag of a raw IRC line.
func msgidOf(t *testing.T, line string) string {
	t.Helper()
	m := msgidTag.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no msgid in %q", line)
	}
	return m[1]
}

// ircv3 starts InspIRCd and the backend in single-network mode against it, with alice
// logged in as "client".
func ircv3(t *testing.T, kv ...string) (*testsrv.InspIRCd, *backendtest.Daemon) {
	t.Helper()
	s := testsrv.StartInspIRCd(t)
	d := startBackend(t, append([]string{"irc_server", s.Addr(), "irc_away_timeout", "60"}, kv...)...)
	login(t, d, "client", "")
	return s, d
}

// TestIRCv3Tags (issue 24): against InspIRCd with message tags, one-to-one: a message from
// IRC carries its msgid as the id and its +draft/reply; the user's message's msgid (learnt
// from echo-message) maps back to the client's id in a contact's reply and reaction; the
// user's reply goes with +draft/reply and without the client's quote; the user's
// reactions go as TAGMSG +draft/react and +draft/unreact, a contact's come as the set.
func TestIRCv3Tags(t *testing.T) {
	t.Parallel()
	s, d := ircv3(t)
	bob := testsrv.ConnectIRCv3Peer(t, s, "bob", "message-tags")

	bob.Send("@+draft/reply=elsewhere PRIVMSG client :hi there")
	m := message(t, d, "hi there")
	bobID := m.GetId()
	if bobID == "" || m.GetReplyToId() != "elsewhere" || m.GetReplyToSender() != "bob" {
		t.Fatalf("message from IRC: id %q replyTo %q sender %q", bobID, m.GetReplyToId(), m.GetReplyToSender())
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("bob"),
		Message: ptr("hello bob"), Id: ptr("c1")})
	ownID := msgidOf(t, bob.Expect("PRIVMSG bob :hello bob"))
	bob.Send("@+draft/reply=" + ownID + " PRIVMSG client :answer to you")
	if m := message(t, d, "answer to you"); m.GetReplyToId() != "c1" || m.ReplyToSender == nil || m.GetReplyToSender() != "" {
		t.Errorf("reply to the user's message: replyTo %q sender %v, want c1 and the user", m.GetReplyToId(), m.ReplyToSender)
	}

	quote := "> bob: hi there\n"
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("bob"),
		Message: ptr(quote + "my reply"), ReplyToId: ptr(bobID), ReplyToSender: ptr("bob"),
		ReplyFallbackEnd: ptr(uint32(len([]rune(quote))))})
	if line := bob.Expect("PRIVMSG bob :"); !strings.Contains(line, "+draft/reply="+bobID) || !strings.HasSuffix(line, "PRIVMSG bob :my reply") {
		t.Errorf("the user's reply reached IRC as %q", line)
	}

	react := func(set ...string) {
		d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("bob"),
			Message: ptr(""), ReactToId: ptr(bobID), Reaction: set})
	}
	react("👍")
	if line := bob.Expect(" TAGMSG "); !strings.Contains(line, "+draft/react=👍") || !strings.Contains(line, "+draft/reply="+bobID) {
		t.Errorf("the user's reaction reached IRC as %q", line)
	}
	react()
	if line := bob.Expect(" TAGMSG "); !strings.Contains(line, "+draft/unreact=👍") {
		t.Errorf("the removed reaction reached IRC as %q", line)
	}

	bob.Send("@+draft/reply=" + ownID + ";+draft/react=🎉 TAGMSG client")
	ev := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(c *pb.ConversationMessage) bool { return c.GetReactToId() != "" })
	if ev.GetBuddyName() != "bob" || ev.GetReactToId() != "c1" || strings.Join(ev.GetReaction(), ",") != "🎉" {
		t.Errorf("contact's reaction = %v", ev)
	}
	bob.Send("@+draft/reply=" + ownID + ";+draft/react=👀 TAGMSG client")
	ev = waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(c *pb.ConversationMessage) bool { return c.GetReactToId() != "" })
	if strings.Join(ev.GetReaction(), ",") != "🎉,👀" {
		t.Errorf("second reaction: set %q, want both", ev.GetReaction())
	}
	bob.Send("@+draft/reply=" + ownID + ";+draft/unreact=🎉 TAGMSG client")
	ev = waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(c *pb.ConversationMessage) bool { return c.GetReactToId() != "" })
	if strings.Join(ev.GetReaction(), ",") != "👀" {
		t.Errorf("after unreact: set %q", ev.GetReaction())
	}
}

// TestIRCv3NoTags (issue 24): on ngircd, which has no message tags, the announced
// extensions fall back in the backend: a reply goes as its text with the quote, a
// reaction as service.reaction_fallback says (error: the user is told by a headline;
// text: a line; drop: nothing), and messages from IRC have no id.
func TestIRCv3NoTags(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"error", "text", "drop"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s, d := single(t, "reaction_fallback", mode)
			bob := connectPeer(t, s, "bob")
			login(t, d, "client", "")
			bob.Send("PRIVMSG client :hi there")
			if m := message(t, d, "hi there"); m.GetId() != "" || m.GetReplyToId() != "" {
				t.Errorf("message from ngircd has id %q replyTo %q", m.GetId(), m.GetReplyToId())
			}
			d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("bob"),
				Message: ptr("> bob: hi there\nmy reply"), ReplyToId: ptr("x"), ReplyToSender: ptr("bob"), ReplyFallbackEnd: ptr(uint32(16))})
			bob.Expect("PRIVMSG bob :> bob: hi there")
			bob.Expect("PRIVMSG bob :my reply")
			d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("bob"),
				Message: ptr(""), ReactToId: ptr("x"), Reaction: []string{"👍"}})
			send(d, "bob", "after")
			switch mode {
			case "error":
				m := message(t, d, "reaction was not sent")
				if !m.GetHeadline() || m.GetBuddyName() != "bob" {
					t.Errorf("error notice = %v", m)
				}
				bob.Expect("PRIVMSG bob :after")
			case "text":
				bob.Expect("PRIVMSG bob :reacted 👍")
				bob.Expect("PRIVMSG bob :after")
			case "drop":
				if line := bob.Expect("PRIVMSG bob :"); !strings.HasSuffix(line, ":after") {
					t.Errorf("dropped reaction: bob got %q", line)
				}
			}
		})
	}
}

// TestIRCv3Channel (issue 24): in a channel on InspIRCd, messages carry their msgid as
// the id; the user's own message reaches the daemon from the server's echo, with its
// msgid; replies name the message and its sender's nick both ways; reactions go as TAGMSG
// to the channel (echoed to the daemon from the user's nick) and a member's come as its
// set.
func TestIRCv3Channel(t *testing.T) {
	t.Parallel()
	s, d := ircv3(t)
	bob := testsrv.ConnectIRCv3Peer(t, s, "bob", "message-tags")
	bob.Send("JOIN #v3")
	bob.Expect("366")
	join(t, d, "#v3", "client")
	bob.Expect("JOIN")

	bob.Send("PRIVMSG #v3 :hello room")
	m := message(t, d, "hello room")
	bobID := m.GetId()
	if bobID == "" || m.GetBuddyName() != "#v3" || m.GetNickname() != "bob" {
		t.Fatalf("room message = %v", m)
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("#v3"),
		Message: ptr("> bob: hello room\nmy answer"), Id: ptr("r1"), ReplyToId: ptr(bobID), ReplyToSender: ptr("bob"),
		ReplyFallbackEnd: ptr(uint32(18))})
	line := bob.Expect("PRIVMSG #v3 :")
	if !strings.Contains(line, "+draft/reply="+bobID) || !strings.HasSuffix(line, "PRIVMSG #v3 :my answer") {
		t.Errorf("the user's room reply reached IRC as %q", line)
	}
	ownID := msgidOf(t, line)
	echo := message(t, d, "my answer")
	if echo.GetId() != ownID || echo.GetNickname() != "client" || echo.GetMessage() != "> bob: hello room\nmy answer" {
		t.Errorf("the echo of the user's message = %v, want id %q", echo, ownID)
	}

	bob.Send("@+draft/reply=" + ownID + " PRIVMSG #v3 :to you")
	if m := message(t, d, "to you"); m.GetReplyToId() != ownID || m.ReplyToSender == nil || m.GetReplyToSender() != "" {
		t.Errorf("reply to the user's room message: %v", m)
	}
	bob.Send("@+draft/reply=unseen PRIVMSG #v3 :to something old")
	if m := message(t, d, "to something old"); m.ReplyToId != nil {
		t.Errorf("a reply to a message the backend did not see names it: %v", m)
	}

	d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("#v3"),
		Message: ptr(""), ReactToId: ptr(bobID), Reaction: []string{"👍"}, Id: ptr("e1")})
	if line := bob.Expect(" TAGMSG "); !strings.Contains(line, "+draft/react=👍") || !strings.HasSuffix(line, "TAGMSG :#v3") {
		t.Errorf("the user's room reaction reached IRC as %q", line)
	}
	ev := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(c *pb.ConversationMessage) bool { return c.GetReactToId() != "" })
	if ev.GetNickname() != "client" || ev.GetReactToId() != bobID || ev.GetBuddyName() != "#v3" {
		t.Errorf("the echo of the user's reaction = %v", ev)
	}
	bob.Send("@+draft/reply=" + ownID + ";+draft/react=🎉 TAGMSG #v3")
	ev = waitFor(t, d, pb.WrapperMessage_TYPE_CONV_EVENT, func(c *pb.ConversationMessage) bool { return c.GetReactToId() != "" })
	if ev.GetNickname() != "bob" || ev.GetReactToId() != ownID || strings.Join(ev.GetReaction(), ",") != "🎉" {
		t.Errorf("bob's room reaction = %v", ev)
	}
}
