package router

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// chatEnv: bob online with buddy alice in the roster.
func chatEnv(t *testing.T, mod func(*Config)) (*env, *testResource, *handler) {
	e := newEnv(t, mod)
	tr, h := e.connect("bob@localhost", secret, "a")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("Alice", "", pb.StatusType_STATUS_ONLINE, ""))
	send(t, h, `<presence/>`)
	tr.wait(t, "alice online", func(el *xmpp.Element) bool { return el.Local == "presence" })
	return e, tr, h
}

func isMsg(el *xmpp.Element) bool { return el.Local == "message" }

func TestMessageToBackend(t *testing.T) {
	e, _, h := chatEnv(t, nil)
	send(t, h, `<message to='alice@localhost' type='chat' id='m1'><body>hi *there*</body>`+
		`<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>hi <b>there</b></p></body></html>`+
		`<request xmlns='urn:xmpp:receipts'/><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	typing := e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_TYPING, nil).(*pb.Buddy)
	if typing.GetBuddyName() != "Alice" {
		t.Fatalf("typing %v", typing)
	}
	m := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
	if m.GetBuddyName() != "Alice" || m.GetMessage() != "hi *there*" || m.GetId() != "m1" ||
		m.GetXhtml() != "<p>hi <b>there</b></p>" {
		t.Fatalf("CONV_MESSAGE %v", m)
	}
	send(t, h, `<message to='alice@localhost' type='chat'><body>look</body><attention xmlns='urn:xmpp:attention:0'/></message>`)
	if a := e.be.waitFrame(t, pb.WrapperMessage_TYPE_ATTENTION, nil).(*pb.ConversationMessage); a.GetMessage() != "look" {
		t.Fatalf("ATTENTION %v", a)
	}
	// Without features.attachments an OOB URL travels only as text: the body, or the URL
	// when there is none.
	send(t, h, `<message to='alice@localhost' type='chat' id='n'><x xmlns='jabber:x:oob'><url>http://x/n.png</url></x></message>`)
	n := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetId() == "n"
	}).(*pb.ConversationMessage)
	if len(n.Attachment) != 0 || n.GetMessage() != "http://x/n.png" {
		t.Fatalf("OOB to a backend without features.attachments: %v", n)
	}
	e.be.set(func(f *fakeBackends) { f.features.Attachments = true })
	send(t, h, `<message to='alice@localhost' type='chat' id='x'><origin-id xmlns='urn:xmpp:sid:0' id='orig'/><body>b</body>`+
		`<x xmlns='jabber:x:oob'><url>http://x/y.png</url><desc>pic</desc></x></message>`)
	o := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetId() == "orig"
	}).(*pb.ConversationMessage)
	if len(o.Attachment) != 1 || o.Attachment[0].GetDescription() != "pic" {
		t.Fatalf("OOB %v", o)
	}
	send(t, h, `<message to='alice@localhost' type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_TYPED, nil)
}

func TestMessageFromBackend(t *testing.T) {
	e, tr, _ := chatEnv(t, nil)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("hello"),
		Xhtml: s("<i>hello</i>"), Timestamp: s("20240102T030405"), Id: s("b1"),
		Attachment: []*pb.Attachment{{Url: s("http://f/a.txt"), Description: s("a file")}},
	})
	m := tr.wait(t, "message", isMsg)
	if m.From() != "alice@localhost/bot" || m.Type() != "chat" || m.ID() != "b1" ||
		m.ChildText(xmpp.NSClient, "body") != "hello" {
		t.Fatalf("message %s", m)
	}
	if !strings.Contains(m.String(), `<i>hello</i>`) || m.Child(xmpp.NSXHTMLIM, "html") == nil {
		t.Fatalf("xhtml missing: %s", m)
	}
	if d := m.Child(xmpp.NSDelay, "delay"); d == nil || d.Attr("stamp") != "2024-01-02T03:04:05Z" {
		t.Fatalf("delay: %s", m)
	}
	if x := m.Child(xmpp.NSOOB, "x"); x == nil || x.ChildText(xmpp.NSOOB, "desc") != "a file" {
		t.Fatalf("oob (quirk 14): %s", m)
	}
	if m.Child(xmpp.NSChatStates, "active") != nil {
		t.Fatal("quirk 22: no chat state where the backend sent none")
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_TYPING, &pb.Buddy{UserName: s("bob@localhost"), BuddyName: s("alice")})
	tr.wait(t, "composing", func(el *xmpp.Element) bool { return el.Child(xmpp.NSChatStates, "composing") != nil })
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_ATTENTION, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("buzz")})
	tr.wait(t, "attention", func(el *xmpp.Element) bool { return el.Child(xmpp.NSAttention, "attention") != nil })
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("news"), Headline: proto.Bool(true)})
	tr.wait(t, "headline", func(el *xmpp.Element) bool { return el.Type() == "headline" })
}

func TestReceipts(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	send(t, h, `<message to='alice@localhost' type='chat' id='r1'><body>x</body><request xmlns='urn:xmpp:receipts'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='r2'><body>y</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool { return m.(*pb.ConversationMessage).GetId() == "r2" })
	for _, id := range []string{"r2", "r1"} { // r2 asked for no receipt: none is sent
		e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, &pb.ConversationMessage{
			UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s(""), Id: s(id)})
	}
	rec := tr.wait(t, "receipt", func(el *xmpp.Element) bool { return el.Child(xmpp.NSReceipts, "received") != nil })
	if rec.Child(xmpp.NSReceipts, "received").Attr("id") != "r1" || rec.To() != "bob@localhost/a" {
		t.Fatalf("receipt %s", rec)
	}
	settle(t, e.r, "bob@localhost")
	if tr.has(contains(`id="r2"`)) {
		t.Fatal("unrequested receipt sent")
	}
}

func TestCarbons(t *testing.T) {
	e, tra, ha := chatEnv(t, nil)
	trb, hb := e.connect("bob@localhost", secret, "b")
	send(t, hb, `<presence/>`)
	send(t, hb, `<iq type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	trb.wait(t, "enabled", isRosterResult("c1"))
	send(t, ha, `<message to='alice@localhost' type='chat' id='m1'><body>from a</body></message>`)
	c := trb.wait(t, "sent carbon", func(el *xmpp.Element) bool { return el.Child(xmpp.NSCarbons, "sent") != nil })
	fwd := c.Child(xmpp.NSCarbons, "sent").Child(xmpp.NSForward, "forwarded").Child(xmpp.NSClient, "message")
	if c.From() != "bob@localhost" || fwd.ChildText(xmpp.NSClient, "body") != "from a" {
		t.Fatalf("carbon %s", c)
	}
	// The reply goes to a (it wrote last) and b gets a <received/> carbon.
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("reply")})
	tra.wait(t, "reply on a", contains("reply"))
	trb.wait(t, "received carbon", func(el *xmpp.Element) bool { return el.Child(xmpp.NSCarbons, "received") != nil })
	// A backend carbon (sent from another legacy client) becomes <sent/>.
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("elsewhere"), Carbon: proto.Bool(true)})
	c2 := trb.wait(t, "backend carbon", func(el *xmpp.Element) bool {
		return el.Child(xmpp.NSCarbons, "sent") != nil && strings.Contains(el.String(), "elsewhere")
	})
	inner := c2.Child(xmpp.NSCarbons, "sent").Child(xmpp.NSForward, "forwarded").Child(xmpp.NSClient, "message")
	if inner.From() != "bob@localhost/bot" || inner.To() != "alice@localhost/bot" {
		t.Fatalf("backend carbon %s", c2)
	}
	send(t, hb, `<iq type='set' id='c2'><disable xmlns='urn:xmpp:carbons:2'/></iq>`)
	trb.wait(t, "disabled", isRosterResult("c2"))
}

func errCond(el *xmpp.Element) string {
	e := el.Child(xmpp.NSClient, "error")
	if e == nil {
		return ""
	}
	for _, c := range e.Children() {
		if c.Space == xmpp.NSStanzas && c.Local != "text" {
			return c.Local
		}
	}
	return ""
}

func TestBounces(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	// Spec 3.9: a name outside the roster opens a conversation; the legacy network decides
	// whether it exists (IRC nicks and XMPP strangers are never on the roster).
	send(t, h, `<message to='nobody@localhost' type='chat' id='u1'><body>x</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetBuddyName() == "nobody"
	})
	send(t, h, `<message to='#room@localhost' type='groupchat' id='u2'><body>x</body></message>`)
	if el := tr.wait(t, "room bounce", contains(`id="u2"`)); errCond(el) != "not-acceptable" {
		t.Fatalf("bounce %s", el)
	}
	e.be.set(func(f *fakeBackends) { f.sendErr = errors.New("backend gone") })
	send(t, h, `<message to='alice@localhost' type='chat' id='u3'><body>x</body></message>`)
	if el := tr.wait(t, "send-error bounce", contains(`id="u3"`)); errCond(el) != "service-unavailable" {
		t.Fatalf("bounce %s", el)
	}
	send(t, h, `<message to='someone@elsewhere.example' type='chat' id='u4'><body>x</body></message>`)
	if el := tr.wait(t, "foreign", contains(`id="u4"`)); errCond(el) != "remote-server-not-found" {
		t.Fatalf("bounce %s", el)
	}
}

func TestOOBModes(t *testing.T) {
	xhtml := `text one <img src='http://i/1.png'/> text two <img src='http://i/2.png'/>`
	for _, tc := range []struct {
		name            string
		replace, split  bool
		msgs, oob       int
		firstBodyPrefix string
	}{
		{"exclusive", true, false, 1, 1, "http://i/1.png"},
		{"split", false, true, 4, 2, "text one"},
		{"wrap-all", false, false, 1, 2, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, tr, _ := chatEnv(t, func(c *Config) { c.OOBReplaceBody, c.OOBSplit = tc.replace, tc.split })
			e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
				UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("body"), Xhtml: s(xhtml)})
			eventually(t, "messages", func() bool {
				n := 0
				for _, el := range tr.all() {
					if isMsg(el) {
						n++
					}
				}
				return n == tc.msgs
			})
			var msgs []*xmpp.Element
			oob := 0
			for _, el := range tr.all() {
				if isMsg(el) {
					msgs = append(msgs, el)
					for _, c := range el.Children() {
						if c.Is(xmpp.NSOOB, "x") {
							oob++
						}
					}
				}
			}
			if oob != tc.oob || !strings.HasPrefix(msgs[0].ChildText(xmpp.NSClient, "body"), tc.firstBodyPrefix) {
				t.Fatalf("%d oob, first %s", oob, msgs[0])
			}
		})
	}
}

// TestAttachmentOnlyFromBackend: a backend's attachment without text reaches the client
// as its URL in the body and the OOB element, as Conversations shows it inline.
func TestAttachmentOnlyFromBackend(t *testing.T) {
	e, tr, _ := chatEnv(t, nil)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s(""),
		Attachment: []*pb.Attachment{{Url: s("https://f/cat.jpg"), MimeType: s("image/jpeg"), Description: s("cat")}},
	})
	m := tr.wait(t, "message", isMsg)
	x := m.Child(xmpp.NSOOB, "x")
	if m.ChildText(xmpp.NSClient, "body") != "https://f/cat.jpg" || x == nil ||
		x.ChildText(xmpp.NSOOB, "url") != "https://f/cat.jpg" || x.ChildText(xmpp.NSOOB, "desc") != "cat" {
		t.Fatalf("attachment: %s", m)
	}
}
