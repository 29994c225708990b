package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const (
	limitUser = "carol@localhost"
	// notYet is how long a test watches for something that must not happen (a wait that
	// must go on): it never decides a pass on a slow machine, only a missed failure.
	notYet = 100 * time.Millisecond
)

// blockActor parks the user's actor until the returned function is called, so that
// posts pile up in its mailbox.
func blockActor(t *testing.T, e *env, bare string) (release func()) {
	t.Helper()
	u := e.r.lookup(bare)
	started, gate := make(chan struct{}), make(chan struct{})
	u.post(func() { close(started); <-gate })
	<-started
	var done bool
	release = func() {
		if !done {
			done = true
			close(gate)
		}
	}
	t.Cleanup(release)
	return release
}

func isLimitError(id string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return el.ID() == id && el.Type() == "error" && strings.Contains(el.String(), "resource-constraint")
	}
}

func TestMailboxFullMakesTheClientWait(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Mailbox = 3 })
	tr, h := e.connect(limitUser, secret, "a")
	release := blockActor(t, e, limitUser)
	for i := range 3 {
		h.Room(context.Background()) // room for each: fewer than 3 queued
		send(t, h, fmt.Sprintf(`<message to='alice@localhost' id='m%d' type='chat'><body>%d</body></message>`, i, i))
	}
	var _ c2s.Pacer = h
	done := make(chan struct{})
	go func() { h.Room(context.Background()); close(done) }()
	select {
	case <-done:
		t.Fatal("Room returned with a full mailbox")
	case <-time.After(notYet):
	}
	release()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Room still waits after the actor went on")
	}
	eventually(t, "the three messages", func() bool { return e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE) == 3 })
	if tr.has(func(el *xmpp.Element) bool { return el.Type() == "error" }) {
		t.Fatalf("a waiting client got an error: %v", tr.all())
	}
}

func TestMailboxWaitEndsWithTheConnection(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Mailbox = 1 })
	_, h := e.connect(limitUser, secret, "a")
	blockActor(t, e, limitUser)
	send(t, h, `<presence/>`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Room(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Room ignores the end of its context")
	}
}

func TestMailboxFrameOverflowEndsTheSessions(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Mailbox, c.Limits.MailboxFrames = 2, 5 })
	tr, _ := e.connect(limitUser, secret, "a")
	release := blockActor(t, e, limitUser)
	for i := range 20 { // never waits: this is the backend's reader goroutine
		e.backend(limitUser, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
			UserName: s(limitUser), BuddyName: s("alice"), Message: s(fmt.Sprint(i))})
	}
	release()
	eventually(t, "the stream closed", func() bool { closed, _, _ := tr.isClosed(); return closed })
	if _, cond, _ := tr.isClosed(); cond != xmpp.CondResourceConstraint {
		t.Fatalf("closed with %q, want resource-constraint", cond)
	}
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
	eventually(t, "the warning", func() bool {
		return strings.Contains(e.log.String(), "overflowed") && strings.Contains(e.log.String(), `"dropped":15`)
	})
	eventually(t, "the user forgotten", func() bool { return e.r.lookup(limitUser) == nil })
	if _, err := e.auth(limitUser, secret); err != nil { // a fresh session
		t.Fatalf("login after the overflow: %v", err)
	}
}

// TestMailboxBytes: frames queued for a user are bounded in bytes as well as in number:
// past half of Limits.MailboxBytes the user's clients wait, past all of it the sessions
// end; a single frame larger than the bound still reaches an empty queue.
func TestMailboxBytes(t *testing.T) {
	const limit = 10000
	e := newEnv(t, func(c *Config) { c.Limits.MailboxBytes = limit })
	tr, h := e.connect(limitUser, secret, "a")
	frame := func(body string) {
		e.backend(limitUser, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
			UserName: s(limitUser), BuddyName: s("alice"), Message: s(body)})
	}
	big := strings.Repeat("b", 2*limit)
	frame(big) // larger than the bound, to an empty queue
	tr.wait(t, "the large message", contains(big))

	release := blockActor(t, e, limitUser)
	for range 6 { // 6 x 1000 bytes: past half of the bound
		frame(strings.Repeat("x", 1000))
	}
	done := make(chan struct{})
	go func() { h.Room(context.Background()); close(done) }()
	select {
	case <-done:
		t.Fatal("Room returned with 6,000 bytes of frames queued (limit 10,000)")
	case <-time.After(notYet):
	}
	release()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Room still waits after the actor went on")
	}

	release = blockActor(t, e, limitUser)
	for range 20 { // never waits: this is the backend's reader goroutine
		frame(strings.Repeat("y", 1000))
	}
	release()
	eventually(t, "the stream closed", func() bool { closed, _, _ := tr.isClosed(); return closed })
	if _, cond, _ := tr.isClosed(); cond != xmpp.CondResourceConstraint {
		t.Fatalf("closed with %q, want resource-constraint", cond)
	}
}

func TestLimitConversations(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Conversations = 2 })
	tr, h := e.connect(limitUser, secret, "a")
	for _, to := range []string{"n1", "n2", "n3", "n1"} {
		send(t, h, `<message to='`+to+`@localhost' id='`+to+`' type='chat'><body>hi</body></message>`)
	}
	tr.wait(t, "the refusal of the third", isLimitError("n3"))
	eventually(t, "three frames", func() bool { return e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE) == 3 })
	// A contact past the bound still reaches the client (to the bare JID).
	e.backend(limitUser, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s(limitUser), BuddyName: s("n4"), Message: s("hello")})
	tr.wait(t, "n4's message", contains("hello"))
}

func TestLimitPendingVCards(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.PendingIQs = 2 })
	tr, h := e.connect(limitUser, secret, "a")
	for i := range 3 {
		send(t, h, fmt.Sprintf(`<iq type='get' id='v%d' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`, i))
	}
	tr.wait(t, "the refusal", isLimitError("v2"))
	if n := e.be.count(pb.WrapperMessage_TYPE_VCARD); n != 2 {
		t.Fatalf("%d VCARD frames, want 2", n)
	}
	// An answer makes room again.
	req := e.be.waitFrame(t, pb.WrapperMessage_TYPE_VCARD, nil).(*pb.VCard)
	e.backend(limitUser, pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: s(limitUser), BuddyName: s("alice"),
		Id: req.Id, Nickname: s("Al")})
	tr.wait(t, "the answer", func(el *xmpp.Element) bool { return el.ID() == "v0" && el.Type() == "result" })
	send(t, h, `<iq type='get' id='v3' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	eventually(t, "a third VCARD", func() bool { return e.be.count(pb.WrapperMessage_TYPE_VCARD) == 3 })
}

func TestLimitRawIQs(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.PendingIQs = 2 })
	e.be.set(func(f *fakeBackends) { f.features = pluginserver.Features{RawXML: true} })
	tr, h := e.connect(limitUser, secret, "a")
	for i := range 3 {
		send(t, h, fmt.Sprintf(`<iq type='get' id='q%d' to='alice@localhost'><query xmlns='jabber:iq:version'/></iq>`, i))
	}
	tr.wait(t, "the refusal", isLimitError("q2"))
	e.be.mu.Lock()
	n := len(e.be.raw)
	e.be.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d RAW_XML frames, want 2", n)
	}
}

func TestLimitOwnVCardRequests(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect(limitUser, secret, "a")
	for i := range 5 { // the client changes its avatar and never answers our gets
		send(t, h, fmt.Sprintf(`<presence><x xmlns='vcard-temp:x:update'><photo>hash%d</photo></x></presence>`, i))
	}
	eventually(t, "five gets", func() bool {
		n := 0
		for _, el := range tr.all() {
			if el.Local == "iq" && el.Type() == "get" {
				n++
			}
		}
		return n == 5
	})
	u := e.r.lookup(limitUser)
	got := make(chan int, 1)
	u.post(func() { got <- len(u.ownVCard) })
	if n := <-got; n != 1 {
		t.Fatalf("%d own vCard requests pending, want 1 (the latest per resource)", n)
	}
}

func TestLimitRooms(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Rooms = 1 })
	tr, h := e.connect(limitUser, secret, "a")
	send(t, h, `<presence to='#one@localhost/me' id='j1'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil)
	send(t, h, `<presence to='#two@localhost/me' id='j2'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr.wait(t, "the refusal", isLimitError("j2"))
	if n := e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM); n != 1 {
		t.Fatalf("%d JOIN_ROOM frames, want 1", n)
	}
}

func TestLimitRosterAdds(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Roster = 1 })
	tr, h := e.connect(limitUser, secret, "a")
	send(t, h, `<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='dan@localhost'/></query></iq>`)
	tr.wait(t, "the first added", func(el *xmpp.Element) bool { return el.ID() == "s1" && el.Type() == "result" })
	send(t, h, `<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='eve@localhost'/></query></iq>`)
	tr.wait(t, "the roster set refused", isLimitError("s2"))
	send(t, h, `<presence type='subscribe' to='eve@localhost' id='p1'/>`)
	tr.wait(t, "the subscription refused", isLimitError("p1"))
	// Renaming a contact on the roster is no addition.
	send(t, h, `<iq type='set' id='s3'><query xmlns='jabber:iq:roster'><item jid='dan@localhost' name='Dan'/></query></iq>`)
	tr.wait(t, "the rename", func(el *xmpp.Element) bool { return el.ID() == "s3" && el.Type() == "result" })
	if n := e.be.count(pb.WrapperMessage_TYPE_BUDDY_CHANGED); n != 2 {
		t.Fatalf("%d BUDDY_CHANGED frames, want 2", n)
	}
}

func TestMaxUsers(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxUsers = 1 })
	e.connect(limitUser, secret, "a")
	_, err := e.auth("dave@localhost", secret)
	var ae *c2s.AuthError
	if !errors.As(err, &ae) || ae.Condition != "temporary-auth-failure" || !strings.Contains(ae.Text, "limit of 1 users") {
		t.Fatalf("login past max_users: %v", err)
	}
	if e.r.UserCount() != 1 || e.r.MaxUsers() != 1 {
		t.Fatalf("count %d / %d, want 1 / 1", e.r.UserCount(), e.r.MaxUsers())
	}
	if _, err := e.auth(limitUser, secret); err != nil { // the same user again is no new user
		t.Fatalf("second login of the same user: %v", err)
	}
}

func TestLocalMessageToFullMailbox(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Mailbox = 1 })
	tr, h := e.connect(limitUser, secret, "a")
	e.connect("dave@localhost", secret, "a")
	blockActor(t, e, "dave@localhost")
	e.r.lookup("dave@localhost").post(func() {}) // one queued: full
	send(t, h, `<message to='dave@localhost' id='l1' type='chat'><body>hi</body></message>`)
	tr.wait(t, "the refusal", isLimitError("l1"))
	if e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE) != 0 {
		t.Fatal("a local message went to the backend")
	}
}

func TestFeatureSessionWaitsForRoom(t *testing.T) {
	e, _, _, _ := newAdminEnv(t)
	e.r.cfg.Limits.Mailbox = 1
	_, a := adminConnect(t, e)
	started, gate := make(chan struct{}), make(chan struct{})
	a.mb.post(func() { close(started); <-gate })
	<-started
	adminSend(t, a, `<presence/>`) // one queued: full
	var _ c2s.Pacer = a
	done := make(chan struct{})
	go func() { a.Room(context.Background()); close(done) }()
	select {
	case <-done:
		t.Fatal("Room returned with a full mailbox")
	case <-time.After(notYet):
	}
	close(gate)
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Room still waits after the session's actor went on")
	}
}

// TestLimitRoomMembers: a room keeps at most Limits.RoomMembers other participants per
// user. Past it a member's presence still reaches the occupants, who are told once, and
// a resource that joins later gets the kept ones only; a leave makes room again.
func TestLimitRoomMembers(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.RoomMembers = 3 })
	tr, h := e.connect(bob, secret, "a")
	joinLobby(t, e, tr, h, "bob") // Ada and Turing
	notice := func(el *xmpp.Element) bool {
		return el.Local == "message" && el.From() == lobby && el.Type() == "groupchat" &&
			strings.Contains(el.ChildText(xmpp.NSClient, "body"), "more members than the gateway keeps (3)")
	}
	e.participant(participantFrame("#lobby", "Carol", 0, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "Carol", presenceFrom(lobby+"/Carol"))
	if tr.has(notice) {
		t.Fatal("told of the bound at 3 members")
	}
	e.participant(participantFrame("#lobby", "Dave", 0, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "Dave past the bound", presenceFrom(lobby+"/Dave"))
	tr.wait(t, "the notice", notice)
	e.participant(participantFrame("#lobby", "Erin", 0, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "Erin past the bound", presenceFrom(lobby+"/Erin"))

	g, err := e.auth(bob, secret)
	if err != nil {
		t.Fatal(err)
	}
	tr2, h2 := e.bind(g, bob+"/b")
	send(t, h2, `<presence to='`+lobby+`/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr2.wait(t, "b's self-presence", selfPresence("bob"))
	for _, nick := range []string{"Ada", "Turing", "Carol"} {
		if !tr2.has(presenceFrom(lobby + "/" + nick)) {
			t.Errorf("b did not get kept member %s", nick)
		}
	}
	for _, nick := range []string{"Dave", "Erin"} {
		if tr2.has(presenceFrom(lobby + "/" + nick)) {
			t.Errorf("b got %s, past the bound", nick)
		}
	}
	// Carol leaves: Frank is kept, and nobody is told again.
	e.participant(participantFrame("#lobby", "Carol", 0, pb.StatusType_STATUS_NONE))
	tr.wait(t, "Carol leaving", unavailableFrom(lobby+"/Carol"))
	e.participant(participantFrame("#lobby", "Frank", 0, pb.StatusType_STATUS_ONLINE))
	tr2.wait(t, "Frank", presenceFrom(lobby+"/Frank"))
	g3, err := e.auth(bob, secret)
	if err != nil {
		t.Fatal(err)
	}
	tr3, h3 := e.bind(g3, bob+"/c")
	send(t, h3, `<presence to='`+lobby+`/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr3.wait(t, "c's self-presence", selfPresence("bob"))
	if !tr3.has(presenceFrom(lobby+"/Frank")) || tr3.has(presenceFrom(lobby+"/Carol")) {
		t.Error("c did not get Frank in Carol's place")
	}
	n := 0
	for _, el := range tr.all() {
		if notice(el) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a was told %d times of the bound, want once", n)
	}
}
