package router

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/blocking"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
)

// TestBlockingLegacyBothWays: a contact the user blocks is blocked on the legacy network
// too (BUDDY_CHANGED with blocked set); a contact the backend reports blocked joins the
// blocklist with a push, its presence stops, and the backend's unblock takes it out.
func TestBlockingLegacyBothWays(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := newEnv(t, func(c *Config) {
		c.Features = []feature.Feature{blocking.New(blocking.Config{Store: db})}
	})
	const alice = "alice@localhost"
	tr, h := e.connect(alice, "pw", "phone")
	send(t, h, `<presence/>`)
	send(t, h, `<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	tr.wait(t, "the blocklist", func(el *xmpp.Element) bool { return el.ID() == "l1" })
	e.backend(alice, pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: s(alice), BuddyName: s("Echo"),
		Status: pb.StatusType_STATUS_ONLINE.Enum()})

	send(t, h, `<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='echo@localhost'/></block></iq>`)
	tr.wait(t, "the block result", func(el *xmpp.Element) bool { return el.ID() == "b1" && el.Type() == "result" })
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m proto.Message) bool {
		b := m.(*pb.Buddy)
		return b.GetBuddyName() == "Echo" && b.Blocked != nil && b.GetBlocked()
	})

	e.backend(alice, pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: s(alice), BuddyName: s("spam"),
		Status: pb.StatusType_STATUS_ONLINE.Enum(), Blocked: proto.Bool(true)})
	tr.wait(t, "the push of the legacy block", contains(`<block xmlns="urn:xmpp:blocking"><item jid="spam@localhost"/></block>`))
	settle(t, e.r, alice)
	if tr.has(func(el *xmpp.Element) bool { return el.Local == "presence" && strings.HasPrefix(el.From(), "spam@") }) {
		t.Error("a blocked contact's presence was delivered")
	}
	if got, _ := db.Blocklist(context.Background(), alice); !slices.Equal(got, []string{"echo@localhost", "spam@localhost"}) {
		t.Errorf("stored blocklist %q", got)
	}

	e.backend(alice, pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: s(alice), BuddyName: s("spam"), Blocked: proto.Bool(false)})
	tr.wait(t, "the push of the legacy unblock", contains(`<unblock xmlns="urn:xmpp:blocking"><item jid="spam@localhost"/></unblock>`))
	if got, _ := db.Blocklist(context.Background(), alice); !slices.Equal(got, []string{"echo@localhost"}) {
		t.Errorf("stored blocklist after the legacy unblock %q", got)
	}
}
