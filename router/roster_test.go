package router

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func buddyFrame(name, alias string, st pb.StatusType, msg string) *pb.Buddy {
	return &pb.Buddy{UserName: s("bob@localhost"), BuddyName: s(name), Alias: s(alias),
		Group: []string{"Friends"}, Status: st.Enum(), StatusMessage: s(msg), IconHash: s("abc")}
}

func isRosterResult(id string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool { return el.Local == "iq" && el.ID() == id && el.Type() == "result" }
}

func TestRosterGetWithVersion(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", secret, "a")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("Alice@Wonder.land", "Alice", pb.StatusType_STATUS_AWAY, "busy"))
	send(t, h, `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	res := tr.wait(t, "roster", isRosterResult("r1"))
	q := res.Child(xmpp.NSRoster, "query")
	it := q.Child(xmpp.NSRoster, "item")
	if it == nil || it.Attr("jid") != `alice\40wonder.land@localhost` || it.Attr("name") != "Alice" ||
		it.Attr("subscription") != "both" || it.ChildText(xmpp.NSRoster, "group") != "Friends" {
		t.Fatalf("roster %s", res)
	}
	ver := q.Attr("ver")
	send(t, h, fmt.Sprintf(`<iq type='get' id='r2'><query xmlns='jabber:iq:roster' ver='%s'/></iq>`, ver))
	if res := tr.wait(t, "roster 2", isRosterResult("r2")); len(res.Children()) != 0 {
		t.Fatalf("matching ver must give an empty result: %s", res)
	}
	// A change: a push from the bare JID with a new ver (quirk 12).
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("carol", "Carol", pb.StatusType_STATUS_ONLINE, ""))
	push := tr.wait(t, "push", func(el *xmpp.Element) bool { return el.Local == "iq" && el.Type() == "set" })
	pq := push.Child(xmpp.NSRoster, "query")
	if push.From() != "bob@localhost" || pq.Attr("ver") == ver || pq.Child(xmpp.NSRoster, "item").Attr("jid") != "carol@localhost" {
		t.Fatalf("push %s", push)
	}
	// Removal: push with subscription remove.
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_REMOVED, &pb.Buddy{UserName: s("bob@localhost"), BuddyName: s("CAROL")})
	tr.wait(t, "remove push", contains(`subscription="remove"`))
}

func TestBuddyPresences(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", secret, "a")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("alice", "", pb.StatusType_STATUS_DND, "meeting"))
	settle(t, e.r, "bob@localhost")
	// Quirk 12 fixed: the first resource gets the buddy presences after its initial presence.
	send(t, h, `<presence/>`)
	p := tr.wait(t, "presence", func(el *xmpp.Element) bool { return el.Local == "presence" })
	if p.From() != "alice@localhost/bot" || p.ChildText(xmpp.NSClient, "show") != "dnd" ||
		p.ChildText(xmpp.NSClient, "status") != "meeting" ||
		p.Child(xmpp.NSVCardUpd, "x").ChildText(xmpp.NSVCardUpd, "photo") != "abc" ||
		p.Child(xmpp.NSCaps, "c").Attr("node") != capsNode {
		t.Fatalf("presence %s", p)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("alice", "", pb.StatusType_STATUS_NONE, ""))
	tr.wait(t, "unavailable", contains(`type="unavailable"`))
	// A second resource gets the current presences too.
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("alice", "", pb.StatusType_STATUS_FFC, ""))
	tr2, h2 := e.connect("bob@localhost", secret, "b")
	send(t, h2, `<presence/>`)
	tr2.wait(t, "presence on b", contains(">chat</show>"))
	// Probe.
	send(t, h, `<presence type='probe' to='alice@localhost'/>`)
	send(t, h, `<presence type='probe' to='nobody@localhost' id='p'/>`)
	tr.wait(t, "probe of unknown", func(el *xmpp.Element) bool {
		return el.From() == "nobody@localhost" && el.Type() == "unavailable"
	})
}

func TestClientPresenceToStatus(t *testing.T) {
	e := newEnv(t, nil)
	_, ha := e.connect("bob@localhost", secret, "a")
	_, hb := e.connect("bob@localhost", secret, "b")
	send(t, ha, `<presence><show>away</show><status>out</status><priority>1</priority></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_STATUS_CHANGED, func(m proto.Message) bool {
		st := m.(*pb.Status)
		return st.GetStatus() == pb.StatusType_STATUS_AWAY && st.GetStatusMessage() == "out"
	})
	send(t, hb, `<presence><show>dnd</show><priority>5</priority></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_STATUS_CHANGED, func(m proto.Message) bool {
		return m.(*pb.Status).GetStatus() == pb.StatusType_STATUS_DND
	})
	send(t, hb, `<presence><invisible xmlns='urn:xmpp:invisible:0'/><priority>5</priority></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_STATUS_CHANGED, func(m proto.Message) bool {
		return m.(*pb.Status).GetStatus() == pb.StatusType_STATUS_INVISIBLE
	})
	send(t, hb, `<presence type='unavailable'/>`) // back to a's presence
	settle(t, e.r, "bob@localhost")
	e.be.mu.Lock()
	last := e.be.frames[len(e.be.frames)-1]
	e.be.mu.Unlock()
	if st, ok := last.m.(*pb.Status); !ok || st.GetStatus() != pb.StatusType_STATUS_AWAY {
		t.Fatalf("last frame %v", last)
	}
}

func TestRosterSetAndSubscriptions(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", secret, "a")
	send(t, h, `<presence/>`)
	send(t, h, `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	tr.wait(t, "roster", isRosterResult("r1"))
	send(t, h, `<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='dan\40x.org@localhost' name='Dan'><group>G</group></item></query></iq>`)
	tr.wait(t, "set result", isRosterResult("s1"))
	b := e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_CHANGED, nil).(*pb.Buddy)
	if b.GetBuddyName() != "dan@x.org" || b.GetAlias() != "Dan" || b.GetGroup()[0] != "G" {
		t.Fatalf("BUDDY_CHANGED %v", b)
	}
	tr.wait(t, "push", contains(`name="Dan"`))
	send(t, h, `<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='dan\40x.org@localhost' subscription='remove'/></query></iq>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_REMOVED, nil)
	// subscribe: BUDDY_CHANGED and subscribed back.
	send(t, h, `<presence type='subscribe' to='erin@localhost'/>`)
	tr.wait(t, "subscribed", func(el *xmpp.Element) bool { return el.Type() == "subscribed" && el.From() == "erin@localhost" })
	// Quirk 21 fixed: subscribed to an unknown buddy adds it.
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_AUTH_REQUEST, &pb.Buddy{UserName: s("bob@localhost"), BuddyName: s("frank")})
	tr.wait(t, "subscribe", func(el *xmpp.Element) bool { return el.Type() == "subscribe" && el.From() == "frank@localhost" })
	send(t, h, `<presence type='subscribed' to='frank@localhost'/>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m proto.Message) bool { return m.(*pb.Buddy).GetBuddyName() == "frank" })
	tr.wait(t, "push for frank", contains(`jid="frank@localhost"`))
	send(t, h, `<presence type='unsubscribe' to='frank@localhost'/>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_BUDDY_REMOVED, func(m proto.Message) bool { return m.(*pb.Buddy).GetBuddyName() == "frank" })
	tr.wait(t, "unsubscribed", func(el *xmpp.Element) bool { return el.Type() == "unsubscribed" })
}

func TestLargeRosterMemoryShape(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", secret, "a")
	for i := range 10000 {
		e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: s("bob@localhost"),
			BuddyName: s(fmt.Sprintf("buddy%d", i)), Status: pb.StatusType_STATUS_ONLINE.Enum()})
	}
	send(t, h, `<iq type='get' id='big'><query xmlns='jabber:iq:roster'/></iq>`)
	res := tr.wait(t, "big roster", isRosterResult("big"))
	if n := len(res.Child(xmpp.NSRoster, "query").Children()); n != 10000 {
		t.Fatalf("%d items", n)
	}
	if !strings.Contains(res.String(), "buddy9999@localhost") {
		t.Fatal("missing buddy")
	}
}

// A roster of 10,000 buddies stays within a few MB (the budget).
func TestRosterMemory(t *testing.T) {
	r := New(Config{Domain: "localhost", JIDEscaping: true})
	r.SetBackends(&fakeBackends{r: r})
	u := newUser(r, jid.MustParse("bob@localhost"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 10000 {
		u.buddyChanged(&pb.Buddy{UserName: s("bob@localhost"), BuddyName: s(fmt.Sprintf("buddy.number%d@legacy.example", i)),
			Alias: s(fmt.Sprintf("Buddy %d", i)), Group: []string{"Contacts"},
			Status: pb.StatusType_STATUS_ONLINE.Enum(), IconHash: s("0123456789abcdef0123456789abcdef01234567")})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(u.roster.buddies) != 10000 {
		t.Fatalf("%d buddies", len(u.roster.buddies))
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Fatalf("10,000 buddies take %d bytes", grown)
	}
	t.Logf("10,000 buddies: %d KB of heap", (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10)
	runtime.KeepAlive(u)
}
