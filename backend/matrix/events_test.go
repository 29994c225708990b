package matrix

import (
	"fmt"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

func TestHTMLToXHTML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<b>bold</b> and <i>it</i>", "<strong>bold</strong> and <em>it</em>"},
		{`<a href="https://x.org/?a=1&b=2">l</a>`, `<a href="https://x.org/?a=1&amp;b=2">l</a>`},
		{`<a href="javascript:alert(1)">l</a>`, `<a>l</a>`},
		{"<script>x</script>y<br>z", "xy<br/>z"}, // the tag goes, its text stays
		{"<mx-reply><blockquote>quoted</blockquote></mx-reply>answer", "answer"},
		{"<del>gone</del>", `<span style="text-decoration: line-through">gone</span>`},
		{"a < b & <p>c", "a &lt; b &amp; <p>c</p>"},
	} {
		if got := htmlToXHTML(tc.in); got != tc.want {
			t.Errorf("htmlToXHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := htmlToXHTML(strings.Repeat("<b>x</b>", maxXHTML)); got != "" {
		t.Errorf("an XHTML body past maxXHTML was kept (%d bytes)", len(got))
	}
}

func TestContent(t *testing.T) {
	c := content(backend.Message{Body: "/me dances", XHTML: "/me <em>dances</em>"})
	if c.MsgType != event.MsgEmote || c.Body != "dances" || c.FormattedBody != "<em>dances</em>" || c.Format != event.FormatHTML {
		t.Errorf("emote: %+v", c)
	}
	c = content(backend.Message{Body: "see", Attachments: []backend.Attachment{{URL: "https://up/x.png"}}})
	if c.MsgType != event.MsgText || c.Body != "see\nhttps://up/x.png" || c.Format != "" {
		t.Errorf("attachment: %+v", c)
	}
}

func TestNicknames(t *testing.T) {
	rm := &mucRoom{members: map[id.UserID]*member{}, nicks: map[string]id.UserID{}, levels: map[id.UserID]int{}}
	a := rm.add("@a:x", "Sam")
	b := rm.add("@b:x", "sam") // the same nickname for XMPP (case-insensitive): the user ID
	c := rm.add("@c:x", "")
	if a.nick != "Sam" || b.nick != "@b:x" || c.nick != "c" {
		t.Fatalf("nicks %q %q %q", a.nick, b.nick, c.nick)
	}
	rm.remove("@a:x")
	if d := rm.add("@d:x", "Sam"); d.nick != "Sam" {
		t.Fatalf("a freed nickname is not free: %q", d.nick)
	}
}

func TestPowerLevels(t *testing.T) {
	for _, tc := range []struct {
		level int
		aff   string
		mod   bool
	}{{100, "owner", true}, {150, "owner", true}, {50, "admin", true}, {99, "admin", true}, {49, "member", false}, {0, "member", false}} {
		if got := affiliation(tc.level); got != tc.aff {
			t.Errorf("affiliation(%d) = %s, want %s", tc.level, got, tc.aff)
		}
		if got := flags(tc.level) != 0; got != tc.mod {
			t.Errorf("flags(%d) moderator %v", tc.level, got)
		}
	}
	// The levels kept are bounded: a room listing more users than its member bound keeps
	// that many of them, and the rest get users_default.
	pl := &event.PowerLevelsEventContent{Users: map[id.UserID]int{}, UsersDefault: 1}
	for i := range DefaultMaxMembers + 10 {
		pl.Users[id.UserID(fmt.Sprintf("@u%d:x", i))] = 50
	}
	rm := &mucRoom{limit: DefaultMaxMembers}
	rm.setLevels(pl)
	if len(rm.levels) != DefaultMaxMembers || rm.defLevel != 1 {
		t.Fatalf("kept %d levels (default %d), want %d", len(rm.levels), rm.defLevel, DefaultMaxMembers)
	}
}

func TestReceiptsBounded(t *testing.T) {
	r := newReceipts()
	for i := range maxPendingAcks + 5 {
		r.sent(pendingAck{room: "!r:x", event: id.EventID(fmt.Sprintf("$%d", i)), buddy: "b@x", id: fmt.Sprint(i)})
	}
	if len(r.pending) != maxPendingAcks {
		t.Fatalf("%d pending, want the bound %d", len(r.pending), maxPendingAcks)
	}
	if got := r.read("!r:x", "$0"); got != nil {
		t.Fatalf("the oldest, forgotten past the bound, was acknowledged: %v", got)
	}
	// A receipt covers the messages before it, in its room only ($5 went for "$o").
	if r.sent(pendingAck{room: "!other:x", event: "$o", id: "o"}) {
		t.Fatal("acknowledged before any receipt")
	}
	got := r.read("!r:x", "$10")
	if len(got) != 5 || got[0].id != "6" || got[4].id != "10" {
		t.Fatalf("read up to $10: %v", got)
	}
	if got := r.read("!other:x", "$o"); len(got) != 1 {
		t.Fatalf("the other room's message: %v", got)
	}
}

// The outbox is bounded: past outboxSize requests, the overflow answer runs at once.
func TestOutboxBounded(t *testing.T) {
	s := &session{outbox: make(chan func(), outboxSize)}
	for range outboxSize {
		s.do(func() {}, func() { t.Fatal("refused below the bound") })
	}
	refused := false
	s.do(func() {}, func() { refused = true })
	if !refused || len(s.outbox) != outboxSize {
		t.Fatalf("past the bound: refused %v, %d queued", refused, len(s.outbox))
	}
}

// The joined rooms remembered are bounded.
func TestJoinedBounded(t *testing.T) {
	r := newRoster()
	r.mu.Lock()
	for i := range maxJoined + 5 {
		r.join(id.RoomID(fmt.Sprintf("!%d:x", i)))
	}
	n := len(r.joined)
	r.mu.Unlock()
	if n != maxJoined {
		t.Fatalf("%d joined rooms kept, want the bound %d", n, maxJoined)
	}
}

// A read receipt that arrives before the message it covers was recorded acknowledges it
// when it is (the sync and the sender race).
func TestReceiptBeforeSent(t *testing.T) {
	r := newReceipts()
	if got := r.read("!r:x", "$early"); got != nil {
		t.Fatalf("nothing was pending: %v", got)
	}
	if !r.sent(pendingAck{room: "!r:x", event: "$early", id: "e"}) {
		t.Fatal("the receipt seen first did not acknowledge the message")
	}
	if len(r.pending) != 0 {
		t.Fatal("an acknowledged message stayed pending")
	}
}

// The direct chats' latest messages and read receipts are kept for at most maxContacts
// rooms; a room already kept is still updated at the bound.
func TestReceiptRoomsBounded(t *testing.T) {
	r := newReceipts()
	for i := range maxContacts + 5 {
		room := id.RoomID(fmt.Sprintf("!%d:x", i))
		r.seen(room, "$a")
		r.read(room, "$a")
	}
	if len(r.last) != maxContacts || len(r.readTo) != maxContacts {
		t.Fatalf("kept %d latest messages and %d receipts, want %d", len(r.last), len(r.readTo), maxContacts)
	}
	r.seen("!0:x", "$b")
	if got := r.takeLast("!0:x"); got != "$b" {
		t.Fatalf("a kept room at the bound: latest %q, want $b", got)
	}
}

// The invitations and the room list remembered are bounded by maxRoomList: an invitation
// past it is reported full (and logged by roomInvites), not taken for one already told.
func TestRoomStateBounded(t *testing.T) {
	s := &session{rooms: newRooms()}
	for i := range maxRoomList {
		if told, full := s.rooms.noteInvite(id.RoomID(fmt.Sprintf("!%d:x", i))); told || full {
			t.Fatalf("invitation %d: told %v, full %v", i, told, full)
		}
	}
	if told, full := s.rooms.noteInvite("!0:x"); !told || full {
		t.Fatalf("a known invitation: told %v, full %v", told, full)
	}
	if told, full := s.rooms.noteInvite("!new:x"); told || !full {
		t.Fatalf("past the bound: told %v, full %v", told, full)
	}
	for i := range maxRoomList + 5 {
		s.roomInfoEvents(id.RoomID(fmt.Sprintf("!%d:y", i)), nil)
	}
	if len(s.rooms.info) != maxRoomList {
		t.Fatalf("%d rooms listed, want the bound %d", len(s.rooms.info), maxRoomList)
	}
}

// The avatars to fetch are bounded by maxContacts (past it a contact's hash stays unknown
// until the queue drains), and the hashes kept are pruned to the contacts' avatars.
func TestAvatarsBounded(t *testing.T) {
	s := &session{r: newRoster(), avatarWake: make(chan struct{}, 1)}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for i := range maxContacts + 5 {
		u := id.UserID(fmt.Sprintf("@u%d:x", i))
		s.r.direct[u] = nil
		s.r.setAvatar(u, id.ContentURIString(fmt.Sprintf("mxc://x/%d", i)))
		if h := s.avatarOf(u); h != nil {
			t.Fatalf("an avatar not fetched has hash %q", *h)
		}
	}
	if len(s.r.want) != maxContacts {
		t.Fatalf("%d avatars queued, want the bound %d", len(s.r.want), maxContacts)
	}
	s.r.direct["@none:x"] = nil
	s.r.setAvatar("@none:x", "")
	if h := s.avatarOf("@none:x"); h == nil || *h != "" {
		t.Fatalf("no avatar: hash %v, want empty", h)
	}
	for i := range maxContacts {
		s.r.hashes[id.ContentURIString(fmt.Sprintf("mxc://gone/%d", i))] = "h"
	}
	s.r.hashes["mxc://x/0"] = "kept"
	s.r.pruneHashes()
	if len(s.r.hashes) != 1 || s.r.hashes["mxc://x/0"] != "kept" {
		t.Fatalf("after pruning %d hashes kept, want the contact's one", len(s.r.hashes))
	}
	if h := s.avatarOf("@u0:x"); h == nil || *h != "kept" {
		t.Fatalf("a fetched avatar: hash %v", h)
	}
}

// The event IDs remembered against duplicates between the backfill and the sync are
// bounded per room; the join's first sync counts its messages before the user's own join
// as history, and only that sync.
func TestBackfillBounded(t *testing.T) {
	rm := &mucRoom{fresh: true}
	for i := range maxDelivered + 5 {
		if !rm.deliver(id.EventID(fmt.Sprintf("$%d", i))) {
			t.Fatalf("event %d taken for delivered", i)
		}
	}
	if len(rm.delivered) != maxDelivered || rm.deliver(id.EventID(fmt.Sprintf("$%d", maxDelivered+4))) {
		t.Fatalf("%d remembered, want %d, the latest among them", len(rm.delivered), maxDelivered)
	}
	me := id.UserID("@me:x")
	key := string(me)
	join := &event.Event{Type: event.StateMember, StateKey: &key,
		Content: event.Content{Parsed: &event.MemberEventContent{Membership: event.MembershipJoin}}}
	msg := &event.Event{Type: event.EventMessage}
	if got := rm.historyEnd([]*event.Event{msg, msg, join, msg}, me); got != 3 {
		t.Fatalf("history ends at %d, want 3 (after the join)", got)
	}
	if got := rm.historyEnd([]*event.Event{msg, join, msg}, me); got != 0 {
		t.Fatalf("a later sync: history ends at %d, want 0", got)
	}
}
