package router

import (
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// A message that a dead backend never read comes back to its sender as a message error
// (spec 2.6 changed: not lost in silence), from the buddy, with the original id.
func TestUndeliveredMessageBounces(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	tr2, _ := e.bind(undeliveredAuth(t, e), "bob@localhost/b")
	send(t, h, `<message to='alice@localhost' type='chat' id='m1'><body>are you there?</body></message>`)
	sent := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)

	e.r.HandleUndelivered("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, sent)
	isErr := func(el *xmpp.Element) bool { return el.Local == "message" && el.Type() == "error" }
	m := tr.wait(t, "the bounce", isErr)
	if m.ID() != "m1" || m.From() != "alice@localhost" || m.To() != "bob@localhost/a" {
		t.Fatalf("bounce addressing: %s", m)
	}
	errEl := m.Child(xmpp.NSClient, "error")
	if errEl == nil || errEl.Attr("type") != xmpp.ErrTypeWait ||
		errEl.Child(xmpp.NSStanzas, xmpp.StanzaRecipientUnavailable) == nil ||
		errEl.ChildText(xmpp.NSStanzas, "text") != undeliveredText {
		t.Fatalf("bounce error: %s", m)
	}
	if m.ChildText(xmpp.NSClient, "body") != "are you there?" {
		t.Errorf("bounce without the original body: %s", m)
	}
	settle(t, e.r, "bob@localhost")
	if tr2.has(isErr) {
		t.Error("the bounce went to a resource that did not send the message")
	}

	// Attention is a message too; a vCard request is answered by its timeout instead.
	send(t, h, `<message to='alice@localhost' type='chat'><body>look</body><attention xmlns='urn:xmpp:attention:0'/></message>`)
	att := e.be.waitFrame(t, pb.WrapperMessage_TYPE_ATTENTION, nil)
	e.r.HandleUndelivered("bob@localhost", pb.WrapperMessage_TYPE_ATTENTION, att)
	tr.wait(t, "the attention bounce", func(el *xmpp.Element) bool {
		return isErr(el) && el.Child(xmpp.NSAttention, "attention") != nil
	})
	e.r.HandleUndelivered("bob@localhost", pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: s("bob@localhost"), BuddyName: s("alice")})
	e.r.HandleUndelivered("nobody@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, sent)
	settle(t, e.r, "bob@localhost")
	if n := undeliveredCount(tr.all(), isErr); n != 2 {
		t.Errorf("%d errors, want 2 (message and attention)", n)
	}
	if !strings.Contains(e.log.String(), "lost with its backend") {
		t.Error("the lost vCard request was not logged")
	}
}

func undeliveredAuth(t *testing.T, e *env) *grant {
	t.Helper()
	g, err := e.auth("bob@localhost", secret)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func undeliveredCount(els []*xmpp.Element, ok func(*xmpp.Element) bool) int {
	n := 0
	for _, el := range els {
		if ok(el) {
			n++
		}
	}
	return n
}
