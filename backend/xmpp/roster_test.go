package xmpp

import (
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// friends starts Prosody with alice and bob, logs the user in, and makes bob a contact
// through the gateway: the user adds bob (BUDDY_CHANGED), bob approves and asks back,
// the user gets AUTH_REQUEST and approves. It returns once bob's presence arrived.
func friends(t *testing.T) (*prosody, *backendtest.Daemon, *peer) {
	t.Helper()
	p := startProsody(t, "alice", pass, "bob", "bob-secret", "carol", "carol-secret")
	d := startBackend(t, p)
	login(t, d)
	b := connectPeer(t, p, "bob", "bob-secret", "phone")
	b.send(el("presence"))
	d.Send(pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr(bob),
		Alias: ptr("Bob"), Group: []string{"Friends"}, Status: pb.StatusType_STATUS_NONE.Enum()})
	added := waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool { return m.GetBuddyName() == bob })
	if added.GetAlias() != "Bob" || len(added.GetGroup()) != 1 || added.GetGroup()[0] != "Friends" {
		t.Errorf("roster push %v", added)
	}
	b.expect("subscribe", func(e *stanza.Element) bool { return e.Local == "presence" && e.Type() == "subscribe" })
	b.send(el("presence", "type", "subscribed", "to", alice))
	b.send(el("presence", "type", "subscribe", "to", alice))
	waitFor(t, d, pb.WrapperMessage_TYPE_AUTH_REQUEST, func(m *pb.Buddy) bool { return m.GetBuddyName() == bob })
	d.Send(pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr(bob),
		Alias: ptr("Bob"), Group: []string{"Friends"}, Status: pb.StatusType_STATUS_NONE.Enum()})
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool {
		return m.GetBuddyName() == bob && m.GetStatus() == pb.StatusType_STATUS_ONLINE
	})
	return p, d, b
}

func TestRosterImportAndPresence(t *testing.T) {
	_, d, b := friends(t)
	// bob's presence changes reach the user.
	b.send(el("presence").Append(text(stanza.NSClient, "show", "away"), text(stanza.NSClient, "status", "lunch")))
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool {
		return m.GetBuddyName() == bob && m.GetStatus() == pb.StatusType_STATUS_AWAY && m.GetStatusMessage() == "lunch"
	})
	// The user's presence reaches bob.
	d.Send(pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{UserName: ptr(user),
		Status: pb.StatusType_STATUS_DND.Enum(), StatusMessage: ptr("busy")})
	b.expect("dnd presence", func(e *stanza.Element) bool {
		return e.Local == "presence" && bareJID(e.From()) == alice &&
			e.ChildText(stanza.NSClient, "show") == "dnd" && e.ChildText(stanza.NSClient, "status") == "busy"
	})
	// A new login imports the roster: bob with alias and group, then his presence.
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr(alice)})
	login(t, d)
	got := waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool { return m.GetBuddyName() == bob })
	if got.GetAlias() != "Bob" || len(got.GetGroup()) != 1 || got.GetGroup()[0] != "Friends" ||
		got.GetStatus() != pb.StatusType_STATUS_NONE {
		t.Errorf("imported %v", got)
	}
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool {
		return m.GetBuddyName() == bob && m.GetStatus() == pb.StatusType_STATUS_AWAY && m.GetStatusMessage() == "lunch"
	})
	// bob goes offline.
	b.send(el("presence", "type", "unavailable"))
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_CHANGED, func(m *pb.Buddy) bool {
		return m.GetBuddyName() == bob && m.GetStatus() == pb.StatusType_STATUS_NONE
	})
	// Removing bob removes him from the remote roster, which comes back as BUDDY_REMOVED.
	d.Send(pb.WrapperMessage_TYPE_BUDDY_REMOVED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr(bob)})
	waitFor(t, d, pb.WrapperMessage_TYPE_BUDDY_REMOVED, func(m *pb.Buddy) bool { return m.GetBuddyName() == bob })
}

func TestSubscriptionRequestFromStranger(t *testing.T) {
	p, d, _ := friends(t)
	c := connectPeer(t, p, "carol", "carol-secret", "web")
	c.send(el("presence"))
	c.send(el("presence", "type", "subscribe", "to", alice))
	waitFor(t, d, pb.WrapperMessage_TYPE_AUTH_REQUEST, func(m *pb.Buddy) bool { return m.GetBuddyName() == "carol@"+domain })
	d.Send(pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr("carol@" + domain)})
	defer func() {
		if t.Failed() {
			t.Log(p.Logs())
		}
	}()
	// The approval reaches carol as alice's presence, and the gateway asks carol back.
	c.expect("alice's presence", func(e *stanza.Element) bool {
		return e.Local == "presence" && (e.Type() == "" || e.Type() == "subscribed") && bareJID(e.From()) == alice
	})
	c.expect("subscribe back", func(e *stanza.Element) bool {
		return e.Local == "presence" && e.Type() == "subscribe" && bareJID(e.From()) == alice
	})
}
