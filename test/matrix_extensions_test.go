package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// TestMatrixExtensions (issue 25, with issue 24's frames): through the real binary with
// builtin:matrix on a real Dendrite, in the direct chat with bob (driven by mautrix):
// XEP-0308 corrections are edits (m.replace), XEP-0461 replies m.in_reply_to (the XEP-0428
// quote and the Matrix fallback each kept for its side), XEP-0444 reactions annotations
// with the full set kept both ways (a removed reaction is redacted), XEP-0424 retractions
// redactions, and bob's read receipt a XEP-0333 displayed marker; the user's messages are
// named by their XMPP ids on the XMPP side and by their event IDs on the Matrix side.
func TestMatrixExtensions(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	d := testsrv.StartDendrite(t, matrixServer)
	d.Register("alice", alicePW)
	d.Register("bob", bobPW)
	aliceOwn, bob := matrixLogin(t, d, "alice", alicePW), matrixLogin(t, d, "bob", bobPW)
	room := matrixDM(t, aliceOwn, bob)
	s := StartServerWith(t, "builtin:matrix", fmt.Sprintf("allowed_servers = [\"127.0.0.1\"]\n[backend_ini.matrix]\nhomeserver = %q\n", d.URL()))
	s.secrets = append(s.secrets, alicePW, bobPW)
	c := s.MustDial(matrixAliceUser, alicePW, "laptop")
	in := Listen(c)
	matrixRoster(t, c, in)
	aliceGW := strings.SplitN(c.JID(), "/", 2)[0]

	ctx, cancel := context.WithTimeout(context.Background(), 8*matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	fromAlice := func(what string, match func(*event.Event) bool) *event.Event {
		t.Helper()
		return matrixWaitEvent(t, bob, room, what, func(ev *event.Event) bool { return ev.Sender == aliceOwn.UserID && match(ev) })
	}
	redacts := func(ev *event.Event) id.EventID {
		if ev.Type != event.EventRedaction {
			return ""
		}
		if ev.Redacts != "" {
			return ev.Redacts
		}
		if rc, ok := ev.Content.Parsed.(*event.RedactionEventContent); ok {
			return rc.Redacts
		}
		return ""
	}
	// with matches a message from bob with element local whose attribute id is idv.
	with := func(local, idv string) func(any) bool {
		return func(st any) bool {
			m, ok := st.(xmpp.Chat)
			got, has := xmppChildAttr(m, local, "id")
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && has && got == idv
		}
	}
	reactions := func(m xmpp.Chat) []string {
		var out []string
		for _, e := range m.OtherElem {
			if e.XMLName.Local == "reactions" {
				for _, part := range strings.Split(e.InnerXML, "<reaction")[1:] {
					_, v, _ := strings.Cut(part, ">")
					v, _, _ = strings.Cut(v, "</reaction>")
					out = append(out, v)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	attr := func(m xmpp.Chat, local, name string) string {
		for _, e := range m.OtherElem {
			if e.XMLName.Local == local {
				for _, a := range e.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
			}
		}
		return ""
	}

	// A message each way; a1 is known as a1 on the XMPP side, as its event on Matrix.
	xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a1'><body>hello bob</body></message>`)
	a1 := fromAlice("a1", func(ev *event.Event) bool {
		m, ok := ev.Content.Parsed.(*event.MessageEventContent)
		return ok && m.Body == "hello bob"
	}).ID
	resp, err := bob.SendText(ctx, room, "hello alice")
	must(err)
	b1 := resp.EventID
	in.Wait(t, "b1", matrixWait, xmppChat(matrixBobBuddy, "chat", "hello alice"))

	t.Run("ToMatrix", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a2'><body>hello, bob</body>`+
			`<replace xmlns='urn:xmpp:message-correct:0' id='a1'/></message>`)
		fromAlice("the edit of a1", func(ev *event.Event) bool {
			m, ok := ev.Content.Parsed.(*event.MessageEventContent)
			return ok && m.RelatesTo.GetReplaceID() == a1 && m.NewContent != nil && m.NewContent.Body == "hello, bob"
		})

		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a3'><body>&gt; hello alice
hi</body><reply xmlns='urn:xmpp:reply:0' id='`+string(b1)+`' to='`+matrixBobBuddy+`/x'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='14'/></fallback></message>`)
		fromAlice("the reply to b1", func(ev *event.Event) bool {
			m, ok := ev.Content.Parsed.(*event.MessageEventContent)
			return ok && m.RelatesTo.GetReplyTo() == b1 && m.Body == "hi"
		})

		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a4'>`+
			`<reactions xmlns='urn:xmpp:reactions:0' id='`+string(b1)+`'><reaction>👍</reaction><reaction>🎉</reaction></reactions></message>`)
		reaction := func(key string) func(*event.Event) bool {
			return func(ev *event.Event) bool {
				rc, ok := ev.Content.Parsed.(*event.ReactionEventContent)
				return ok && rc.RelatesTo.GetAnnotationID() == b1 && rc.RelatesTo.GetAnnotationKey() == key
			}
		}
		thumbs := fromAlice("👍 on b1", reaction("👍")).ID
		fromAlice("🎉 on b1", reaction("🎉"))
		// The full set without 👍: its reaction event is redacted, 🎉 stays.
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a5'>`+
			`<reactions xmlns='urn:xmpp:reactions:0' id='`+string(b1)+`'><reaction>🎉</reaction></reactions></message>`)
		fromAlice("👍 taken back", func(ev *event.Event) bool { return redacts(ev) == thumbs })
	})

	t.Run("FromMatrix", func(t *testing.T) {
		_, err := bob.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText,
			Body: "* hello, alice", NewContent: &event.MessageEventContent{MsgType: event.MsgText, Body: "hello, alice"},
			RelatesTo: (&event.RelatesTo{}).SetReplace(b1)})
		must(err)
		if m := in.Wait(t, "bob's edit of b1", matrixWait, with("replace", string(b1))).(xmpp.Chat); m.Text != "hello, alice" {
			t.Errorf("the correction came with body %q", m.Text)
		}

		fallback := "> <" + string(aliceOwn.UserID) + "> hello bob\n\n"
		_, err = bob.SendMessageEvent(ctx, room, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText,
			Body: fallback + "yes?", RelatesTo: (&event.RelatesTo{}).SetReplyTo(a1)})
		must(err)
		m := in.Wait(t, "bob's reply to a1, by its XMPP id", matrixWait, with("reply", "a1")).(xmpp.Chat)
		if to := attr(m, "reply", "to"); !strings.HasPrefix(to, aliceGW) || m.Text != fallback+"yes?" {
			t.Errorf("bob's reply names %q with body %q", to, m.Text)
		}
		if fb := fmt.Sprint(m.OtherElem); !strings.Contains(fb, fmt.Sprintf("end='%d'", len([]rune(fallback)))) &&
			!strings.Contains(fb, fmt.Sprintf(`end="%d"`, len([]rune(fallback)))) {
			t.Errorf("bob's reply has no fallback range of %d characters: %s", len([]rune(fallback)), fb)
		}

		heart, err := bob.SendReaction(ctx, room, a1, "❤")
		must(err)
		if m := in.Wait(t, "bob's ❤ on a1", matrixWait, with("reactions", "a1")).(xmpp.Chat); !slices.Equal(reactions(m), []string{"❤"}) {
			t.Errorf("bob's reactions: %v", reactions(m))
		}
		_, err = bob.SendReaction(ctx, room, a1, "👋")
		must(err)
		if m := in.Wait(t, "bob's full set on a1", matrixWait, with("reactions", "a1")).(xmpp.Chat); !slices.Equal(reactions(m), []string{"❤", "👋"}) {
			t.Errorf("bob's reactions after the second: %v, want both", reactions(m))
		}
		_, err = bob.RedactEvent(ctx, room, heart.EventID)
		must(err)
		if m := in.Wait(t, "bob's set without ❤", matrixWait, with("reactions", "a1")).(xmpp.Chat); !slices.Equal(reactions(m), []string{"👋"}) {
			t.Errorf("bob's reactions after redacting ❤: %v", reactions(m))
		}

		_, err = bob.RedactEvent(ctx, room, b1)
		must(err)
		in.Wait(t, "bob's redaction of b1 as a retraction", matrixWait, with("retract", string(b1)))

		must(bob.SendReceipt(ctx, room, a1, event.ReceiptTypeRead, nil))
		in.Wait(t, "bob's read receipt of a1 as displayed", matrixWait, with("displayed", "a1"))
	})

	t.Run("Room", func(t *testing.T) { matrixRoomExtensions(t, c, in, aliceOwn, bob) })

	t.Run("RetractToMatrix", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a6'><retract xmlns='urn:xmpp:message-retract:1' id='a1'/>`+
			`<body>retracted</body></message>`)
		fromAlice("the redaction of a1", func(ev *event.Event) bool { return redacts(ev) == a1 })
		// An unknown message is answered, not dropped.
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='a7'><retract xmlns='urn:xmpp:message-retract:1' id='nope'/></message>`)
		in.Wait(t, "the answer to retracting an unknown message", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && strings.HasPrefix(m.Text, "Reaction or retraction not delivered")
		})
	})
}

// matrixRoomExtensions: in a joined Matrix room, the client names messages by the room's
// stanza-ids (the daemon maps them to the event IDs) and bob's reactions, edits and
// redactions arrive naming them so: the user's reaction to bob's message and the
// retraction of her own reach Matrix, bob's reaction to her message (a full set), his
// edit and his redaction reach her.
func matrixRoomExtensions(t *testing.T, c *xmpp.Client, in *Stanzas, aliceOwn, bob *mautrix.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const roomJID = `#ext\3a` + matrixServer + "@localhost"
	occ := func(nick string) string { return roomJID + "/" + nick }
	rm, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "ext", Name: "Ext"})
	must(err)
	xmppSend(t, c, `<presence to='`+occ("alice")+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	in.Wait(t, "alice's self-presence", matrixWait, matrixPresence(occ("alice"), ""))
	fromAlice := func(what string, match func(*event.Event) bool) *event.Event {
		t.Helper()
		return matrixWaitEvent(t, bob, rm.RoomID, what, func(ev *event.Event) bool { return ev.Sender == aliceOwn.UserID && match(ev) })
	}
	groupchat := func(from, local, idv string) func(any) bool {
		return func(st any) bool {
			m, ok := st.(xmpp.Chat)
			got, has := xmppChildAttr(m, local, "id")
			return ok && m.Type == "groupchat" && m.Remote == from && has && got == idv
		}
	}

	r1, err := bob.SendText(ctx, rm.RoomID, "hello room")
	must(err)
	m := in.Wait(t, "bob's room message", matrixWait, xmppChat(occ(matrixBobName), "groupchat", "hello room")).(xmpp.Chat)
	s1 := m.StanzaID.ID
	if s1 == "" {
		t.Fatalf("bob's room message has no stanza-id: %+v", m)
	}
	xmppSend(t, c, `<message to='`+roomJID+`' type='groupchat' id='ra1'><body>hi all</body></message>`)
	echo := in.Wait(t, "alice's echo", matrixWait, xmppChat(occ("alice"), "groupchat", "hi all")).(xmpp.Chat)
	sa := echo.StanzaID.ID
	ra1 := fromAlice("alice's room message", func(ev *event.Event) bool {
		mc, ok := ev.Content.Parsed.(*event.MessageEventContent)
		return ok && mc.Body == "hi all"
	}).ID

	xmppSend(t, c, `<message to='`+roomJID+`' type='groupchat' id='ra2'>`+
		`<reactions xmlns='urn:xmpp:reactions:0' id='`+s1+`'><reaction>👍</reaction></reactions></message>`)
	fromAlice("alice's 👍 on bob's room message", func(ev *event.Event) bool {
		rc, ok := ev.Content.Parsed.(*event.ReactionEventContent)
		return ok && rc.RelatesTo.GetAnnotationID() == r1.EventID && rc.RelatesTo.GetAnnotationKey() == "👍"
	})

	_, err = bob.SendReaction(ctx, rm.RoomID, ra1, "❤")
	must(err)
	in.Wait(t, "bob's ❤ on alice's room message, by its stanza-id", matrixWait, groupchat(occ(matrixBobName), "reactions", sa))

	_, err = bob.SendMessageEvent(ctx, rm.RoomID, event.EventMessage, &event.MessageEventContent{MsgType: event.MsgText,
		Body: "* hello, room", NewContent: &event.MessageEventContent{MsgType: event.MsgText, Body: "hello, room"},
		RelatesTo: (&event.RelatesTo{}).SetReplace(r1.EventID)})
	must(err)
	edit := in.Wait(t, "bob's room edit", matrixWait, xmppChat(occ(matrixBobName), "groupchat", "hello, room")).(xmpp.Chat)
	if got, has := xmppChildAttr(edit, "replace", "id"); !has || (got != s1 && got != string(r1.EventID)) {
		t.Errorf("bob's edit came as a correction of %q (%v), want his message", got, has)
	}

	must(bob.SendReceipt(ctx, rm.RoomID, ra1, event.ReceiptTypeRead, nil))
	in.Wait(t, "bob's read receipt of alice's room message as displayed", matrixWait, groupchat(occ(matrixBobName), "displayed", sa))

	_, err = bob.RedactEvent(ctx, rm.RoomID, r1.EventID)
	must(err)
	in.Wait(t, "bob's redaction as a retraction, by the stanza-id", matrixWait, groupchat(occ(matrixBobName), "retract", s1))

	xmppSend(t, c, `<message to='`+roomJID+`' type='groupchat' id='ra3'><retract xmlns='urn:xmpp:message-retract:1' id='`+sa+`'/>`+
		`<body>retracted</body></message>`)
	fromAlice("the redaction of alice's room message", func(ev *event.Event) bool {
		if ev.Type != event.EventRedaction {
			return false
		}
		rc, _ := ev.Content.Parsed.(*event.RedactionEventContent)
		return ev.Redacts == ra1 || (rc != nil && rc.Redacts == ra1)
	})
}
