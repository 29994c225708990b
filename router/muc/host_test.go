package muc

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// The tests here drive the package through a fake Host, without the router: what the
// rooms send and which frames they write. The tests of the whole path (c2s stanzas and
// backend frames through the router) are router's muc_*_test.go.

const bob = "bob@localhost"

type fakeResource struct {
	jid string
	seq int
}

func (r *fakeResource) JID() string { return r.jid }
func (r *fakeResource) Seq() int    { return r.seq }

type frame struct {
	t pb.WrapperMessage_Type
	m proto.Message
}

// fakeHost records what the rooms send. Post drops its work: the settle timer of a join
// never fires in these tests, which release a hold by the backend's next frame.
type fakeHost struct {
	offline bool
	sent    []*xmpp.Element // to set
	frames  []frame
	refused []string
}

func (h *fakeHost) User() string { return bob }

func (h *fakeHost) Send(rs Resource, el *xmpp.Element) {
	if el.Attr("to") != rs.JID() {
		panic("sent to " + rs.JID() + " a stanza to " + el.Attr("to"))
	}
	h.sent = append(h.sent, el)
}

func (h *fakeHost) Refuse(rs Resource, el *xmpp.Element, what string, n int) {
	h.refused = append(h.refused, what)
}

func (h *fakeHost) Online() bool { return !h.offline }

func (h *fakeHost) ToBackend(t pb.WrapperMessage_Type, m proto.Message) error {
	h.frames = append(h.frames, frame{t, m})
	return nil
}

func (h *fakeHost) BounceOffline(rs Resource, el *xmpp.Element)            {}
func (h *fakeHost) BounceNotSent(rs Resource, el *xmpp.Element, err error) {}
func (h *fakeHost) Post(func())                                            {}
func (h *fakeHost) Debug() *zerolog.Event                                  { return nil }

func (h *fakeHost) Show(s pb.StatusType) (string, bool) {
	return "", s != pb.StatusType_STATUS_NONE && s != pb.StatusType_STATUS_INVISIBLE
}

func (h *fakeHost) Delay(string) *xmpp.Element { return nil }

func (h *fakeHost) Conversation(m *xmpp.Element, buddy string) *pb.ConversationMessage {
	body := m.ChildText(xmpp.NSClient, "body")
	if body == "" {
		return nil
	}
	return &pb.ConversationMessage{UserName: proto.String(bob), BuddyName: proto.String(buddy), Message: proto.String(body)}
}

func (h *fakeHost) References(*xmpp.Element, *pb.ConversationMessage, string, func(string) string) {}
func (h *fakeHost) EventToBackend(Resource, *xmpp.Element, string, string) bool                    { return false }
func (h *fakeHost) MarkerToBackend(*xmpp.Element, string, string) error                            { return nil }
func (h *fakeHost) ToClient(*xmpp.Element, *pb.ConversationMessage, string, func(string) string)   {}
func (h *fakeHost) EventToClient(*xmpp.Element, *pb.ConversationMessage, string) bool              { return false }
func (h *fakeHost) RoomMessage(string, *xmpp.Element, string)                                      {}
func (h *fakeHost) RoomPrivate(string, *xmpp.Element, bool, string)                                {}

// take returns what was sent since the last take.
func (h *fakeHost) take() []*xmpp.Element {
	out := h.sent
	h.sent = nil
	return out
}

type fixture struct {
	svc *Service
	h   *fakeHost
	st  Rooms
	a   *fakeResource
}

func newFixture(cfg Config) *fixture {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	return &fixture{svc: New(cfg), h: &fakeHost{}, a: &fakeResource{jid: bob + "/a", seq: 1}}
}

func (f *fixture) u() User { return f.svc.For(f.h, &f.st) }

func (f *fixture) join(rs Resource, occupant string) {
	p := xmpp.New(xmpp.NSClient, "presence", "to", occupant, "from", rs.JID()).Append(xmpp.New(xmpp.NSMUC, "x"))
	f.u().Presence(rs, p, jid.MustParse(occupant))
}

func (f *fixture) participant(room, nick string, flags pb.ParticipantFlag, st pb.StatusType) {
	f.u().Participant(&pb.Participant{UserName: proto.String(bob), Room: proto.String(room),
		Nickname: proto.String(nick), Flag: proto.Int32(int32(flags)), Status: st.Enum()})
}

func (f *fixture) message(room, nick, body string) bool {
	return f.u().Conversation(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: proto.String(bob),
		BuddyName: proto.String(room), Nickname: proto.String(nick), Message: proto.String(body)})
}

func statusCodes(el *xmpp.Element) []string {
	var out []string
	if x := el.Child(xmpp.NSMUCUser, "x"); x != nil {
		for _, c := range x.Children() {
			if c.Is(xmpp.NSMUCUser, "status") {
				out = append(out, c.Attr("code"))
			}
		}
	}
	return out
}

// describe names each stanza by its kind and from, for comparing sequences.
func describe(els []*xmpp.Element) []string {
	out := make([]string, len(els))
	for i, el := range els {
		out[i] = el.Local + " " + el.Attr("from")
		if slices.Contains(statusCodes(el), "110") {
			out[i] += " self"
		}
	}
	return out
}

// TestJoinSelfPresenceLast: JOIN_ROOM goes out; our own participant is held until the
// backend's next frame that is no participant, then the self-presence (110) follows the
// other occupants, and the empty subject ends the join before the message.
func TestJoinSelfPresenceLast(t *testing.T) {
	f := newFixture(Config{MaxRooms: 4, History: 3})
	f.join(f.a, "#lobby@localhost/bob")
	if len(f.h.frames) != 1 || f.h.frames[0].t != pb.WrapperMessage_TYPE_JOIN_ROOM {
		t.Fatalf("frames %v, want one JOIN_ROOM", f.h.frames)
	}
	if r := f.h.frames[0].m.(*pb.Room); r.GetRoom() != "#lobby" || r.GetNickname() != "bob" || r.GetUserName() != bob {
		t.Fatalf("JOIN_ROOM %v", r)
	}
	f.participant("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE)
	f.participant("#lobby", "Ada", pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR, pb.StatusType_STATUS_ONLINE)
	if got := describe(f.h.take()); !slices.Equal(got, []string{"presence #lobby@localhost/Ada"}) {
		t.Fatalf("before the room settled: %q", got)
	}
	if !f.message("#lobby", "Ada", "hi") {
		t.Fatal("a message of a joined room was not taken")
	}
	want := []string{"presence #lobby@localhost/bob self", "message #lobby@localhost", "message #lobby@localhost/Ada"}
	if got := describe(f.h.take()); !slices.Equal(got, want) {
		t.Fatalf("after the message: %q, want %q", got, want)
	}
	if f.message("#other", "Ada", "hi") {
		t.Fatal("a message of a room the user is not in was taken")
	}
}

// TestLateJoinerGetsBacklog: a second resource joining a joined room gets the
// occupants, its self-presence, the history (with delay) and the subject, and nothing
// goes to the backend.
func TestLateJoinerGetsBacklog(t *testing.T) {
	f := newFixture(Config{MaxRooms: 4, History: 1})
	f.join(f.a, "#lobby@localhost/bob")
	f.participant("#lobby", "Ada", 0, pb.StatusType_STATUS_ONLINE)
	f.participant("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE)
	f.message("#lobby", "Ada", "one")
	f.message("#lobby", "Ada", "two")
	f.h.take()
	frames := len(f.h.frames)
	b := &fakeResource{jid: bob + "/b", seq: 2}
	f.join(b, "#lobby@localhost/bob")
	got := f.h.take()
	want := []string{"presence #lobby@localhost/Ada", "presence #lobby@localhost/bob self",
		"message #lobby@localhost/Ada", "message #lobby@localhost"}
	if !slices.Equal(describe(got), want) {
		t.Fatalf("late joiner got %q, want %q", describe(got), want)
	}
	if h := got[2]; h.ChildText(xmpp.NSClient, "body") != "two" || h.Child(xmpp.NSDelay, "delay") == nil {
		t.Fatalf("history %s, want the last message with a delay", h)
	}
	if len(f.h.frames) != frames {
		t.Fatalf("a second resource wrote frames: %v", f.h.frames[frames:])
	}
}

// TestRoomLimit: a join past Config.MaxRooms is refused, naming the limit.
func TestRoomLimit(t *testing.T) {
	f := newFixture(Config{MaxRooms: 1})
	f.join(f.a, "#one@localhost/bob")
	f.join(f.a, "#two@localhost/bob")
	if !slices.Equal(f.h.refused, []string{"rooms joined"}) || f.st.Len() != 1 {
		t.Fatalf("refused %q with %d rooms", f.h.refused, f.st.Len())
	}
}

// TestLeaveAndStaleConfirmation: the last occupant's exit leaves the legacy room; a
// re-join before the network confirmed the leave survives the late confirmation.
func TestLeaveAndStaleConfirmation(t *testing.T) {
	f := newFixture(Config{MaxRooms: 4})
	f.join(f.a, "#lobby@localhost/bob")
	f.participant("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE)
	f.message("#lobby", "", "settled")
	f.u().ResourceGone(f.a)
	if last := f.h.frames[len(f.h.frames)-1]; last.t != pb.WrapperMessage_TYPE_LEAVE_ROOM || f.st.Len() != 0 {
		t.Fatalf("last frame %v with %d rooms, want LEAVE_ROOM and none", last.t, f.st.Len())
	}
	f.join(f.a, "#lobby@localhost/bob")
	f.h.take()
	f.participant("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_NONE)
	if f.st.Len() != 1 || len(f.h.take()) != 0 {
		t.Fatal("the late confirmation of the leave ended the new join")
	}
}

// TestLostMessage: a lost groupchat message goes back to the room, a private one to the
// resource that wrote to the nick.
func TestLostMessage(t *testing.T) {
	f := newFixture(Config{MaxRooms: 4})
	f.join(f.a, "#lobby@localhost/bob")
	pm := xmpp.New(xmpp.NSClient, "message", "type", "chat", "to", "#lobby@localhost/Ada").
		Append(xmpp.New(xmpp.NSClient, "body").AppendText("psst"))
	f.u().Message(f.a, pm, jid.MustParse("#lobby@localhost/Ada"))
	if to, typ, ok := f.u().LostTarget("#lobby"); !ok || to != "#lobby@localhost" || typ != "groupchat" {
		t.Fatalf("LostTarget(#lobby) = %q, %q, %v", to, typ, ok)
	}
	if to, typ, ok := f.u().LostTarget("#lobby/Ada"); !ok || to != "#lobby@localhost/Ada" || typ != "chat" {
		t.Fatalf("LostTarget(#lobby/Ada) = %q, %q, %v", to, typ, ok)
	}
	if pm, occ, ok := f.u().LostSenders("#lobby/Ada"); !ok || pm != f.a.jid || !slices.Equal(occ, []string{f.a.jid}) {
		t.Fatalf("LostSenders(#lobby/Ada) = %q, %q, %v", pm, occ, ok)
	}
	if _, _, ok := f.u().LostSenders("alice"); ok {
		t.Fatal("a contact's message counted as a room's")
	}
}

// TestRoomListAndDisco: disco#items lists the global list up to MaxRoomList, then the
// user's own, once each; disco#info names the room from the lists and merges a
// feature's muc#roominfo fields into the room's form.
func TestRoomListAndDisco(t *testing.T) {
	f := newFixture(Config{MaxRooms: 4, MaxRoomList: 2})
	f.svc.SetList(&pb.RoomList{Room: []string{"#a", "#b", "#c"}, Name: []string{"A", "", "C"}})
	f.u().SetList(&pb.RoomList{Room: []string{"#B", "#mine"}})
	q := xmpp.New(xmpp.NSDiscoItems, "query")
	f.u().AppendItems(q)
	var items []string
	for _, it := range q.Children() {
		items = append(items, it.Attr("jid")+"="+it.Attr("name"))
	}
	if want := []string{"#a@localhost=A", "#b@localhost=#b", "#mine@localhost=#mine"}; !slices.Equal(items, want) {
		t.Fatalf("items %q, want %q", items, want)
	}
	form := xmpp.New(nsData, "x", "type", "result").Append(dataField("FORM_TYPE", "hidden", nsRoomInfo),
		dataField("muc#roominfo_logs", "", "https://example.org/logs"))
	info, cond := f.u().DiscoInfo(jid.MustParse("#a@localhost"), "", []string{"urn:example"}, []*xmpp.Element{form})
	if cond != "" {
		t.Fatalf("disco#info refused: %s", cond)
	}
	if id := info.Child(xmpp.NSDiscoInfo, "identity"); id.Attr("name") != "A" {
		t.Fatalf("identity %s", id)
	}
	var vars []string
	forms := 0
	for _, c := range info.Children() {
		switch {
		case c.Is(xmpp.NSDiscoInfo, "feature"):
			vars = append(vars, c.Attr("var"))
		case c.Is(nsData, "x"):
			forms++
			if formType(c) != nsRoomInfo || len(c.Children()) != 2 {
				t.Fatalf("room form %s", c)
			}
		}
	}
	if want := []string{xmpp.NSDiscoInfo, xmpp.NSMUC, "urn:example"}; !slices.Equal(vars, want) || forms != 1 {
		t.Fatalf("features %q and %d forms", vars, forms)
	}
	if _, cond := f.u().DiscoInfo(jid.MustParse("#a@localhost"), "x", nil, nil); cond != xmpp.StanzaItemNotFound {
		t.Fatalf("a node got %q", cond)
	}
}

// TestPendingLeavesBound: leaves the network has not confirmed are remembered for at most
// maxPendingLeaves rooms; past it a leave still goes to the backend, unremembered, and a
// confirmation frees its place.
func TestPendingLeavesBound(t *testing.T) {
	const n = maxPendingLeaves + 6
	f := newFixture(Config{MaxRooms: n})
	for i := range n {
		room := fmt.Sprintf("#r%d", i)
		f.join(f.a, room+"@localhost/bob")
		f.participant(room, "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE)
		f.message(room, "", "settled")
	}
	before := len(f.h.frames)
	f.u().ResourceGone(f.a) // leaves every room, none confirmed
	leaves := 0
	for _, fr := range f.h.frames[before:] {
		if fr.t == pb.WrapperMessage_TYPE_LEAVE_ROOM {
			leaves++
		}
	}
	if leaves != n || f.st.Len() != 0 {
		t.Fatalf("%d LEAVE_ROOM frames with %d rooms left, want %d and none", leaves, f.st.Len(), n)
	}
	if len(f.st.leaving) != maxPendingLeaves {
		t.Fatalf("%d leaves remembered, want the bound %d", len(f.st.leaving), maxPendingLeaves)
	}
	var key string
	for k := range f.st.leaving {
		key = k
		break
	}
	f.participant(key, "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_NONE)
	if len(f.st.leaving) != maxPendingLeaves-1 {
		t.Fatalf("%d leaves remembered after a confirmation, want %d", len(f.st.leaving), maxPendingLeaves-1)
	}
}

// TestPMTargetsBound: private messages to more nicks than maxPMTargets remember at most
// that many targets, the newest among them, and a reply from it goes to its writer alone.
func TestPMTargetsBound(t *testing.T) {
	f := newFixture(Config{MaxRooms: 1})
	b := &fakeResource{jid: bob + "/b", seq: 2}
	f.join(f.a, "#r@localhost/bob")
	f.participant("#r", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE)
	f.join(b, "#r@localhost/bob")
	f.message("#r", "", "settled") // releases the held self-presences
	const n = maxPMTargets + 10
	for i := range n {
		to := fmt.Sprintf("#r@localhost/nick%d", i)
		m := xmpp.New(xmpp.NSClient, "message", "type", "chat", "to", to, "from", f.a.JID()).
			Append(xmpp.New(xmpp.NSClient, "body").AppendText("hi"))
		f.u().Message(f.a, m, jid.MustParse(to))
	}
	rm := f.u().room("#r")
	if rm == nil {
		t.Fatalf("no room; rooms %v, sent %d, frames %d", f.st.rooms, len(f.h.sent), len(f.h.frames))
	}
	if len(rm.pmTo) != maxPMTargets {
		t.Fatalf("%d private-message targets remembered, want the bound %d", len(rm.pmTo), maxPMTargets)
	}
	before := len(f.h.sent)
	newest := fmt.Sprintf("nick%d", n-1)
	f.u().Conversation(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: proto.String(bob),
		BuddyName: proto.String("#r"), Nickname: proto.String(newest), Message: proto.String("back"), Pm: proto.Bool(true)})
	got := f.h.sent[before:]
	if len(got) != 1 || got[0].Attr("to") != f.a.JID() {
		t.Fatalf("the reply of %s went to %d stanzas, want one to a", newest, len(got))
	}
}
