package router

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/offline"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"google.golang.org/protobuf/proto"
)

// TestMessageToLoggedOutAccount: a local user's message to a user of this server who
// logged in before and is fully logged out (unknown to the router) is stored for the
// next login, up to the bound (then resource-constraint); a JID that never logged in is
// a legacy contact as before; a login records the account.
func TestMessageToLoggedOutAccount(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	if err := db.TouchAccount(ctx, "carol@localhost", time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Features = []feature.Feature{offline.New(offline.Config{Store: db, Accounts: db, Domain: "localhost", MaxMessages: 2})}
	})
	alice, ha := e.connect("alice@localhost", "pw", "desk")
	send(t, ha, `<presence/>`)
	settle(t, e.r, "alice@localhost")
	if _, ok, _ := db.Account(ctx, "alice@localhost"); !ok {
		t.Error("alice's login was not recorded")
	}
	for i, id := range []string{"c1", "c2", "c3"} {
		send(t, ha, `<message to='carol@localhost' type='chat' id='`+id+`'><body>hi carol `+itoa(i)+`</body></message>`)
	}
	send(t, ha, `<message to='carol@localhost' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	full := alice.wait(t, "the refusal past the bound", func(el *xmpp.Element) bool { return el.ID() == "c3" })
	if full.Type() != "error" || !strings.Contains(full.String(), "resource-constraint") {
		t.Errorf("third message answered %s", full)
	}
	settle(t, e.r, "alice@localhost")
	if alice.has(func(el *xmpp.Element) bool { return el.ID() == "c1" || el.ID() == "c2" || el.ID() == "cs" }) {
		t.Error("a stored message was answered")
	}
	if n, _ := db.CountOffline(ctx, "carol@localhost"); n != 2 {
		t.Errorf("carol holds %d, want 2", n)
	}
	if e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE) != 0 {
		t.Error("a message to a local account went to the legacy network")
	}
	send(t, ha, `<message to='dave@localhost' type='chat' id='d1'><body>hi dave</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetMessage() == "hi dave"
	})
	carol, hc := e.connect("carol@localhost", "pw", "phone")
	send(t, hc, `<presence/>`)
	m := carol.wait(t, "alice's message", contains("hi carol 0"))
	if m.From() != "alice@localhost/desk" || m.Child(xmpp.NSDelay, "delay") == nil {
		t.Errorf("delivered %s", m)
	}
	carol.wait(t, "the second", contains("hi carol 1"))
}

// TestOverflowLeavesANotice: the messages refused while a user's mailbox overflowed do
// not vanish without a word: the next login gets a message from the service that says
// how many were lost.
func TestOverflowLeavesANotice(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := newEnv(t, func(c *Config) {
		c.Limits.Mailbox, c.Limits.MailboxFrames = 2, 5
		c.Features = []feature.Feature{offline.New(offline.Config{Store: db, Accounts: db, Domain: "localhost", MaxMessages: 10})}
	})
	tr, h := e.connect(limitUser, secret, "a")
	send(t, h, `<presence/>`)
	settle(t, e.r, limitUser)
	release := blockActor(t, e, limitUser)
	for i := range 20 {
		e.backend(limitUser, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
			UserName: s(limitUser), BuddyName: s("alice"), Message: s(itoa(i))})
	}
	release()
	eventually(t, "the stream closed", func() bool { closed, _, _ := tr.isClosed(); return closed })
	eventually(t, "the user forgotten", func() bool { return e.r.lookup(limitUser) == nil })
	next, h2 := e.connect(limitUser, secret, "b")
	send(t, h2, `<presence/>`)
	m := next.wait(t, "the notice", contains("messages were lost"))
	if m.From() != "localhost" || !strings.Contains(m.String(), "15 messages were lost") {
		t.Errorf("notice %s, want from localhost, 15 messages", m)
	}
}
