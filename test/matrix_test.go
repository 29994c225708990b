package test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// The accounts of the Matrix backend tests: alice logs in through the gateway, bob is her
// contact on the homeserver, driven by mautrix in the test.
const (
	matrixServer    = "matrix.test"
	matrixWait      = 60 * time.Second
	matrixAliceUser = "alice%" + matrixServer + "@localhost"
	matrixBobBuddy  = `bob\40` + matrixServer + "@localhost" // router/jidmap/jidmap.go: XEP-0106
	matrixBobName   = "Bob Builder"
	matrixGatewayUA = "Spectrum 2 XMPP gateway" // the device name the backend logs in with
)

// matrixLogin logs name in to d directly with mautrix, as the user's own Matrix client.
func matrixLogin(t *testing.T, d *testsrv.Dendrite, name, password string) *mautrix.Client {
	t.Helper()
	cli, err := mautrix.NewClient(d.URL(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	_, err = cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword, Password: password,
		Identifier:       mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name},
		StoreCredentials: true})
	if err != nil {
		t.Fatalf("matrix login %s: %v", name, err)
	}
	return cli
}

// matrixDM makes bob and alice a direct chat as Element would: bob creates the room with
// alice invited as direct, alice joins, and both mark it in m.direct.
func matrixDM(t *testing.T, alice, bob *mautrix.Client) id.RoomID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(bob.SetDisplayName(ctx, matrixBobName))
	room, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat",
		Invite: []id.UserID{alice.UserID}, IsDirect: true})
	must(err)
	_, err = alice.JoinRoomByID(ctx, room.RoomID)
	must(err)
	must(alice.SetAccountData(ctx, event.AccountDataDirectChats.Type,
		event.DirectChatsEventContent{bob.UserID: {room.RoomID}}))
	must(bob.SetAccountData(ctx, event.AccountDataDirectChats.Type,
		event.DirectChatsEventContent{alice.UserID: {room.RoomID}}))
	return room.RoomID
}

// matrixWaitText syncs cli until a text message with body from sender arrives in room.
func matrixWaitText(t *testing.T, cli *mautrix.Client, room id.RoomID, sender id.UserID, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	since := ""
	for {
		resp, err := cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: 5000, Since: since})
		if err != nil {
			t.Fatalf("waiting for %q from %s: %v", body, sender, err)
		}
		since = resp.NextBatch
		if jr := resp.Rooms.Join[room]; jr != nil {
			for _, ev := range jr.Timeline.Events {
				_ = ev.Content.ParseRaw(ev.Type)
				if m, ok := ev.Content.Parsed.(*event.MessageEventContent); ok && ev.Sender == sender && m.Body == body {
					return
				}
			}
		}
	}
}

// matrixDevices lists the display names of cli's account's devices.
func matrixDevices(t *testing.T, cli *mautrix.Client) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	resp, err := cli.GetDevicesInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range resp.Devices {
		names = append(names, d.DisplayName)
	}
	return names
}

// TestMatrixBackend runs the gateway with builtin:matrix against a real Dendrite: login and
// a wrong password, the DM contact in the roster with its display name, a message each way,
// and the access token logged out when the legacy session ends.
func TestMatrixBackend(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	d := testsrv.StartDendrite(t, matrixServer)
	d.Register("alice", alicePW)
	d.Register("bob", bobPW)
	d.Register("carol", bobPW)
	d.Register("dave", bobPW)
	d.Register("erin", bobPW)
	aliceOwn, bob := matrixLogin(t, d, "alice", alicePW), matrixLogin(t, d, "bob", bobPW)
	room := matrixDM(t, aliceOwn, bob)

	s := StartServerWith(t, "builtin:matrix", fmt.Sprintf("allowed_servers = [\"127.0.0.1\"]\n[backend_ini.matrix]\nhomeserver = %q\n", d.URL()))
	s.secrets = append(s.secrets, alicePW, bobPW)

	t.Run("WrongPassword", func(t *testing.T) {
		wrong := "wrong-" + alicePW
		s.secrets = append(s.secrets, wrong)
		c, err := s.Dial(matrixAliceUser, wrong, "", false)
		if err == nil {
			_ = c.Close()
			t.Fatal("logged in with a wrong password")
		}
		t.Logf("login error: %v", err)
		if !strings.HasPrefix(err.Error(), "auth failure: ") {
			t.Errorf("not a SASL failure: %v", err)
		}
	})

	t.Run("AllowedServers", func(t *testing.T) { matrixNotAllowed(t, d, alicePW) })

	trace := &syncBuffer{}
	c := xmppDialTraced(t, s, matrixAliceUser, alicePW, "laptop", trace)
	in := Listen(c)
	carol, dave := matrixLogin(t, d, "carol", bobPW), matrixLogin(t, d, "dave", bobPW)
	t.Run("Roster", func(t *testing.T) { matrixRoster(t, c, in) })
	t.Run("MessageToMatrix", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='m1'><body>hello bob</body></message>`)
		matrixWaitText(t, bob, room, aliceOwn.UserID, "hello bob")
	})
	t.Run("MessageFromMatrix", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
		defer cancel()
		if _, err := bob.SendText(ctx, room, "hello alice"); err != nil {
			t.Fatal(err)
		}
		in.Wait(t, "bob's message", matrixWait, xmppChat(matrixBobBuddy, "chat", "hello alice"))
	})
	t.Run("Messages", func(t *testing.T) { matrixMessages(t, c, in, trace, aliceOwn, bob, room) })
	var avatar []byte
	t.Run("VCard", func(t *testing.T) { avatar = matrixVCard(t, c, in, bob) })
	t.Run("Presence", func(t *testing.T) { matrixPresences(t, c, in, trace, aliceOwn, bob, avatar) })
	t.Run("FileToMatrix", func(t *testing.T) { matrixFileTo(t, d, c, aliceOwn, bob, room) })
	t.Run("NewDirectChat", func(t *testing.T) { matrixNewDM(t, carol, c, aliceOwn) })
	t.Run("DirectInvite", func(t *testing.T) { matrixDirectInvite(t, dave, aliceOwn, in) })
	t.Run("Room", func(t *testing.T) { matrixRoom(t, c, in, trace, aliceOwn, bob, carol, dave) })
	t.Run("Bounds", func(t *testing.T) { matrixBounds(t, d, bobPW, bob, carol) })
	t.Run("HomeserverRestart", func(t *testing.T) {
		d.Restart()
		ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
		defer cancel()
		if _, err := bob.SendText(ctx, room, "after the restart"); err != nil {
			t.Fatal(err)
		}
		// Delivered, not taken for history: the loop went on from its next_batch (a fresh
		// sync would have treated the message as the initial sync's timeline).
		in.Wait(t, "bob's message after the restart", 2*matrixWait, xmppChat(matrixBobBuddy, "chat", "after the restart"))
		s.waitLogLines(t, 1, "sync failed") // the restart was seen, and backed off from
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><body>back again</body></message>`)
		matrixWaitText(t, bob, room, aliceOwn.UserID, "back again")
	})
	t.Run("LogoutEndsToken", func(t *testing.T) {
		if !slices.Contains(matrixDevices(t, aliceOwn), matrixGatewayUA) {
			t.Fatalf("no gateway device while logged in: %v", matrixDevices(t, aliceOwn))
		}
		CloseClient(t, c)
		deadline := time.Now().Add(matrixWait)
		for slices.Contains(matrixDevices(t, aliceOwn), matrixGatewayUA) {
			if time.Now().After(deadline) {
				t.Fatal("the gateway's device (its access token) outlived the legacy session")
			}
			time.Sleep(200 * time.Millisecond) // polling the homeserver: it sends no event for this
		}
	})
}

// matrixRoster: the DM contact is on the roster under its escaped name with its display
// name, whether it arrived before the roster request or as a push after it.
func matrixRoster(t *testing.T, c *xmpp.Client, in *Stanzas) {
	if err := c.Roster(); err != nil {
		t.Fatal(err)
	}
	iq := in.Wait(t, "roster", matrixWait, isRoster).(xmpp.IQ)
	q := string(iq.Query)
	if !slices.Contains(rosterJIDs(iq), matrixBobBuddy) {
		push := in.Wait(t, "bob's roster push", matrixWait, func(st any) bool {
			iq, ok := st.(xmpp.IQ)
			return ok && iq.Type == "set" && strings.Contains(string(iq.Query), matrixBobBuddy)
		}).(xmpp.IQ)
		q = string(push.Query)
	}
	if !strings.Contains(q, matrixBobName) {
		t.Errorf("bob's item lacks his display name %q: %s", matrixBobName, q)
	}
}

// matrixNotAllowed: without allowed_servers the loopback homeserver is not public, and with
// another server named the user's is not allowed: both logins fail, neither reaches Dendrite.
func matrixNotAllowed(t *testing.T, d *testsrv.Dendrite, password string) {
	for _, allowed := range []string{"", "allowed_servers = [\"other.test\", \"127.0.0.1\"]\n"} {
		s := StartServerWith(t, "builtin:matrix", allowed+fmt.Sprintf("[backend_ini.matrix]\nhomeserver = %q\n", d.URL()))
		s.secrets = append(s.secrets, password)
		c, err := s.Dial(matrixAliceUser, password, "", false)
		if err == nil {
			_ = c.Close()
			t.Fatalf("logged in with allowed_servers %q", allowed)
		}
		if !strings.HasPrefix(err.Error(), "auth failure: ") {
			t.Errorf("allowed_servers %q: not a SASL failure: %v", allowed, err)
		}
		s.waitLogLines(t, 1, "server not allowed") // the backend's reason, not another failure
		s.Stop()
	}
}

// matrixWaitInvite syncs cli until an invitation arrives; it returns the room.
func matrixWaitInvite(t *testing.T, cli *mautrix.Client) id.RoomID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	since := ""
	for {
		resp, err := cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: 5000, Since: since})
		if err != nil {
			t.Fatalf("waiting for an invitation: %v", err)
		}
		since = resp.NextBatch
		for room := range resp.Rooms.Invite {
			return room
		}
	}
}

// matrixNewDM: a message to a Matrix user without a direct chat creates one (carol is
// invited as direct, and the message is there when she joins) and records it in alice's
// m.direct.
func matrixNewDM(t *testing.T, carol *mautrix.Client, c *xmpp.Client, aliceOwn *mautrix.Client) {
	xmppSend(t, c, `<message to='carol\40`+matrixServer+`@localhost' type='chat' id='n1'><body>hi carol</body></message>`)
	room := matrixWaitInvite(t, carol)
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	if _, err := carol.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	matrixWaitText(t, carol, room, aliceOwn.UserID, "hi carol")
	var dc event.DirectChatsEventContent
	if err := aliceOwn.GetAccountData(ctx, event.AccountDataDirectChats.Type, &dc); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dc[carol.UserID], room) {
		t.Errorf("alice's m.direct lacks the new room with carol: %v", dc)
	}
}

// matrixDirectInvite: dave invites alice to a direct chat from his Matrix client; the
// gateway accepts it and dave appears on alice's roster, and his message reaches her.
func matrixDirectInvite(t *testing.T, dave, aliceOwn *mautrix.Client, in *Stanzas) {
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	if err := dave.SetDisplayName(ctx, "Dave"); err != nil {
		t.Fatal(err)
	}
	room, err := dave.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat",
		Invite: []id.UserID{aliceOwn.UserID}, IsDirect: true})
	if err != nil {
		t.Fatal(err)
	}
	daveJID := `dave\40` + matrixServer + "@localhost"
	in.Wait(t, "dave's roster push", matrixWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.Type == "set" && strings.Contains(string(iq.Query), daveJID)
	})
	if _, err := dave.SendText(ctx, room.RoomID, "hello from dave"); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "dave's message", matrixWait, xmppChat(daveJID, "chat", "hello from dave"))
}

// The room of the MUC tests: #lobby:matrix.test, escaped into the room JID's node as the
// daemon escapes every legacy room name (XEP-0106: ':' is \3a).
const (
	matrixLobby    = "#lobby:" + matrixServer
	matrixLobbyJID = `#lobby\3a` + matrixServer + "@localhost"
)

// matrixPresence matches an occupant presence of room/nick of type typ.
func matrixPresence(occupant, typ string) func(any) bool {
	return func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && p.From == occupant && p.Type == typ
	}
}

// matrixStatusCount counts the MUC presences in trace from occupant that carry code.
func matrixStatusCount(trace *syncBuffer, occupant, code string) int {
	n := 0
	for _, p := range strings.Split(trace.String(), "<presence")[1:] {
		if strings.Contains(p, "from='"+occupant+"'") || strings.Contains(p, `from="`+occupant+`"`) {
			if strings.Contains(p, "code='"+code+"'") || strings.Contains(p, `code="`+code+`"`) {
				n++
			}
		}
	}
	return n
}

// matrixRoom: a Matrix room joined as MUC through its alias: members as occupants with
// power levels as affiliations (bob 100 owner, carol 50 admin, alice member), the topic as
// subject, messages both ways, a topic change, a join, a kick (307), a ban (301), an
// invitation to another room as XEP-0249, and alice's own kick (110 and 307).
func matrixRoom(t *testing.T, c *xmpp.Client, in *Stanzas, trace *syncBuffer, aliceOwn, bob, carol, dave *mautrix.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lobby, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "lobby",
		Name: "Lobby", Topic: "Lobby topic",
		PowerLevelOverride: &event.PowerLevelsEventContent{Users: map[id.UserID]int{bob.UserID: 100, carol.UserID: 50}}})
	must(err)
	_, err = carol.JoinRoom(ctx, matrixLobby, nil)
	must(err)

	occ := func(nick string) string { return matrixLobbyJID + "/" + nick }
	xmppSend(t, c, `<presence to='`+occ("alice")+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	for _, want := range []struct{ nick, aff, role string }{
		{matrixBobName, "owner", "moderator"}, {"carol", "admin", "moderator"}, {"alice", "member", "participant"},
	} {
		p := in.Wait(t, want.nick+"'s occupant presence", matrixWait, matrixPresence(occ(want.nick), "")).(xmpp.Presence)
		if p.Affiliation != want.aff || p.Role != want.role {
			t.Errorf("%s: affiliation %q role %q, want %s/%s", want.nick, p.Affiliation, p.Role, want.aff, want.role)
		}
	}
	in.Wait(t, "the topic as subject", matrixWait, xmppSubject(matrixLobbyJID, "Lobby topic"))

	t.Run("RoomList", func(t *testing.T) {
		// The joined rooms are the disco#items of the service, by alias and name.
		deadline := time.Now().Add(matrixWait)
		for n := 0; ; n++ {
			id := fmt.Sprintf("di%d", n)
			xmppSend(t, c, `<iq type='get' to='localhost' id='`+id+`'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
			items := in.Wait(t, "disco#items", matrixWait, func(st any) bool {
				di, ok := st.(xmpp.DiscoItems)
				return ok && di.ID == id
			}).(xmpp.DiscoItems)
			if slices.Contains(items.Items, xmpp.DiscoItem{Jid: matrixLobbyJID, Name: "Lobby"}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the room list lacks %s (Lobby): %+v", matrixLobbyJID, items.Items)
			}
			time.Sleep(200 * time.Millisecond) // the list follows the syncs
		}
	})
	t.Run("MessageFromRoom", func(t *testing.T) {
		_, err := bob.SendText(ctx, lobby.RoomID, "hello lobby")
		must(err)
		in.Wait(t, "bob's room message", matrixWait, xmppChat(occ(matrixBobName), "groupchat", "hello lobby"))
	})
	t.Run("MessageToRoom", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixLobbyJID+`' type='groupchat' id='g1'><body>hi all</body></message>`)
		matrixWaitText(t, bob, lobby.RoomID, aliceOwn.UserID, "hi all")
		in.Wait(t, "the reflection", matrixWait, xmppChat(occ("alice"), "groupchat", "hi all"))
	})
	t.Run("FileToRoom", func(t *testing.T) {
		// As in a direct chat: the shared file goes into the media repository and to the
		// room as m.image; the room's echo comes back to the client with OOB.
		file := []byte("\x89PNG\r\n\x1a\n shared in the lobby " + xmppSecret())
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(file)
		}))
		defer srv.Close()
		u := srv.URL + "/slot/lobby.png"
		xmppSend(t, c, `<message to='`+matrixLobbyJID+`' type='groupchat'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x></message>`)
		ev := matrixWaitEvent(t, bob, lobby.RoomID, "alice's image in the room", func(ev *event.Event) bool {
			m, ok := ev.Content.Parsed.(*event.MessageEventContent)
			return ok && ev.Sender == aliceOwn.UserID && m.MsgType == event.MsgImage
		})
		m := ev.Content.AsMessage()
		mxc, err := m.URL.Parse()
		if err != nil || m.Body != "lobby.png" {
			t.Fatalf("image %q at %q: %v", m.Body, m.URL, err)
		}
		got, err := bob.DownloadBytes(ctx, mxc)
		must(err)
		if !bytes.Equal(got, file) {
			t.Errorf("the room's image has %d bytes, want the %d shared", len(got), len(file))
		}
		in.Wait(t, "the image's reflection", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && m.Remote == occ("alice") && m.Type == "groupchat" && m.Oob.Url != ""
		})
	})
	t.Run("Topic", func(t *testing.T) {
		_, err := bob.SendStateEvent(ctx, lobby.RoomID, event.StateTopic, "", &event.TopicEventContent{Topic: "New topic"})
		must(err)
		in.Wait(t, "the new subject", matrixWait, xmppSubject(matrixLobbyJID, "New topic"))
	})
	t.Run("PrivateMessage", func(t *testing.T) {
		// Matrix has no private messages in rooms: one to an occupant goes to the member's
		// direct chat (carol's with alice exists since NewDirectChat).
		xmppSend(t, c, `<message to='`+occ("carol")+`' type='chat'><body>psst carol</body></message>`)
		wctx, wcancel := context.WithTimeout(ctx, matrixWait)
		defer wcancel()
		for since := ""; ; {
			resp, err := carol.FullSyncRequest(wctx, mautrix.ReqSync{Timeout: 5000, Since: since})
			must(err)
			since = resp.NextBatch
			for room, jr := range resp.Rooms.Join {
				for _, ev := range jr.Timeline.Events {
					_ = ev.Content.ParseRaw(ev.Type)
					if m, ok := ev.Content.Parsed.(*event.MessageEventContent); ok && ev.Sender == aliceOwn.UserID && m.Body == "psst carol" {
						if room == lobby.RoomID {
							t.Fatal("the private message went to the room")
						}
						return
					}
				}
			}
		}
	})
	t.Run("JoinAndBan", func(t *testing.T) {
		_, err := dave.JoinRoom(ctx, matrixLobby, nil)
		must(err)
		in.Wait(t, "dave joined", matrixWait, matrixPresence(occ("Dave"), ""))
		_, err = bob.BanUser(ctx, lobby.RoomID, &mautrix.ReqBanUser{UserID: dave.UserID, Reason: "spam"})
		must(err)
		in.Wait(t, "dave banned", matrixWait, matrixPresence(occ("Dave"), "unavailable"))
		if matrixStatusCount(trace, occ("Dave"), "301") == 0 {
			t.Errorf("dave's ban has no status 301:\n%s", trace.String())
		}
	})
	t.Run("Kick", func(t *testing.T) {
		_, err := bob.KickUser(ctx, lobby.RoomID, &mautrix.ReqKickUser{UserID: carol.UserID, Reason: "out"})
		must(err)
		in.Wait(t, "carol kicked", matrixWait, matrixPresence(occ("carol"), "unavailable"))
		if matrixStatusCount(trace, occ("carol"), "307") == 0 {
			t.Errorf("carol's kick has no status 307")
		}
	})
	t.Run("Invite", func(t *testing.T) {
		side, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "side", Name: "Side"})
		must(err)
		_, err = bob.InviteUser(ctx, side.RoomID, &mautrix.ReqInviteUser{UserID: aliceOwn.UserID})
		must(err)
		// go-xmpp takes any <x/> for its OOB field, so the invitation is read in the trace.
		in.Wait(t, "the invitation", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && strings.Contains(m.Text, "#side:"+matrixServer)
		})
		want := `<x xmlns="jabber:x:conference" jid="#side\3a` + matrixServer + `@localhost"`
		if !strings.Contains(trace.String(), want) {
			t.Errorf("no XEP-0249 invitation %s in the trace", want)
		}
	})
	t.Run("CapitalAlias", func(t *testing.T) {
		// #CapsRoom: the room JID's node is case-folded, so the capitals are marked
		// (#^caps^room) and come back exact; the lower-case name is another alias, and
		// its refusal says how capitals are written.
		caps, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "CapsRoom",
			Name: "Caps", Topic: "Capital topic"})
		must(err)
		plainJID := `#capsroom\3a` + matrixServer + "@localhost"
		xmppSend(t, c, `<presence to='`+plainJID+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		in.Wait(t, "the lower-case alias refused", matrixWait, matrixPresence(plainJID+"/alice", "error"))
		xmppWaitTrace(t, trace, "#^my^room:server for #MyRoom:server")
		_, err = bob.InviteUser(ctx, caps.RoomID, &mautrix.ReqInviteUser{UserID: aliceOwn.UserID})
		must(err)
		capsJID := `#^caps^room\3a` + matrixServer + "@localhost"
		in.Wait(t, "the invitation to #CapsRoom", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && strings.Contains(m.Text, "#CapsRoom:"+matrixServer)
		})
		xmppWaitTrace(t, trace, `<x xmlns="jabber:x:conference" jid="`+capsJID+`"`)
		xmppSend(t, c, `<presence to='`+capsJID+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		in.Wait(t, "bob in #CapsRoom", matrixWait, matrixPresence(capsJID+"/"+matrixBobName, ""))
		in.Wait(t, "the subject of #CapsRoom", matrixWait, xmppSubject(capsJID, "Capital topic"))
		xmppSend(t, c, `<message to='`+capsJID+`' type='groupchat'><body>hi caps</body></message>`)
		matrixWaitText(t, bob, caps.RoomID, aliceOwn.UserID, "hi caps")
		_, err = bob.SendText(ctx, caps.RoomID, "caps answer")
		must(err)
		in.Wait(t, "bob's message in #CapsRoom", matrixWait, xmppChat(capsJID+"/"+matrixBobName, "groupchat", "caps answer"))
		xmppSend(t, c, `<presence to='`+capsJID+`/alice' type='unavailable'/>`)
		in.Wait(t, "alice left #CapsRoom", matrixWait, matrixPresence(capsJID+"/alice", "unavailable"))
	})
	t.Run("EncryptedRoom", func(t *testing.T) {
		sealed, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "sealed",
			Topic: "Secrets", InitialState: []*event.Event{{Type: event.StateEncryption, StateKey: new(string),
				Content: event.Content{Parsed: &event.EncryptionEventContent{Algorithm: id.AlgorithmMegolmV1}}}}})
		must(err)
		sealedJID := `#sealed\3a` + matrixServer + "@localhost"
		xmppSend(t, c, `<presence to='`+sealedJID+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		subj := in.Wait(t, "the encrypted room's subject", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, sealedJID) && m.Type == "groupchat" && m.Subject != ""
		}).(xmpp.Chat)
		if !strings.HasPrefix(subj.Subject, "Secrets") || !strings.Contains(subj.Subject, "end-to-end encrypted") {
			t.Errorf("subject %q does not say the room is encrypted", subj.Subject)
		}
		_, err = bob.SendMessageEvent(ctx, sealed.RoomID, event.EventEncrypted, map[string]any{
			"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcaF", "device_id": "BOBDEVICE",
			"sender_key": "c2VuZGVya2V5", "session_id": "c2Vzc2lvbg"})
		must(err)
		in.Wait(t, "the notice for bob's encrypted message", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && m.Remote == sealedJID+"/"+matrixBobName && m.Type == "groupchat" &&
				strings.Contains(m.Text, "end-to-end encrypted")
		})
		// Nothing goes out in plain text to a room its members believe private.
		xmppSend(t, c, `<message to='`+sealedJID+`' type='groupchat' id='e1'><body>plain secret</body></message>`)
		in.Wait(t, "the refusal", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, sealedJID) && strings.Contains(m.Text, "Message not delivered") &&
				strings.Contains(m.Text, "end-to-end encrypted")
		})
	})
	t.Run("History", func(t *testing.T) {
		// A join brings the room's last 20 messages, oldest first, with XEP-0203 delays
		// (after the subject: the daemon sends it when the self-presence goes, at the
		// first message); older ones stay on Matrix, later ones are live.
		hist, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "history", Topic: "Old times"})
		must(err)
		for i := 1; i <= 25; i++ {
			_, err := bob.SendText(ctx, hist.RoomID, fmt.Sprintf("h%d", i))
			must(err)
		}
		histJID := `#history\3a` + matrixServer + "@localhost"
		xmppSend(t, c, `<presence to='`+histJID+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		in.Wait(t, "the subject", matrixWait, xmppSubject(histJID, "Old times"))
		var got []string
		in.Wait(t, "the history", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			if !ok || !strings.HasPrefix(m.Remote, histJID+"/") || m.Type != "groupchat" || m.Text == "" {
				return false
			}
			if m.Stamp.IsZero() {
				t.Errorf("history message %q without a delay", m.Text)
			}
			got = append(got, m.Text)
			return m.Text == "h25"
		})
		var want []string
		for i := 6; i <= 25; i++ {
			want = append(want, fmt.Sprintf("h%d", i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("history %v, want %v", got, want)
		}
		_, err = bob.SendText(ctx, hist.RoomID, "live now")
		must(err)
		m := in.Wait(t, "a live message after the history", matrixWait, xmppChat(histJID+"/"+matrixBobName, "groupchat", "live now")).(xmpp.Chat)
		if !m.Stamp.IsZero() {
			t.Errorf("the live message has a delay %v", m.Stamp)
		}
		xmppSend(t, c, `<presence to='`+histJID+`/alice' type='unavailable'/>`)
		in.Wait(t, "alice left #history", matrixWait, matrixPresence(histJID+"/alice", "unavailable"))
	})
	t.Run("LeaveAndRejoin", func(t *testing.T) {
		// A leave and a re-join at once: the sync may bring both in one batch, and the
		// old leave must not end the new join.
		xmppSend(t, c, `<presence to='`+occ("alice")+`' type='unavailable'/>`)
		in.Wait(t, "alice left", matrixWait, matrixPresence(occ("alice"), "unavailable"))
		xmppSend(t, c, `<presence to='`+occ("alice")+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		in.Wait(t, "alice back", matrixWait, matrixPresence(occ("alice"), ""))
		time.Sleep(2 * time.Second) // the syncs with the leave and the join come through
		_, err := bob.SendText(ctx, lobby.RoomID, "welcome back")
		must(err)
		in.Wait(t, "bob's message after the re-join", matrixWait, xmppChat(occ(matrixBobName), "groupchat", "welcome back"))
	})
	t.Run("KickedSelf", func(t *testing.T) {
		_, err := bob.KickUser(ctx, lobby.RoomID, &mautrix.ReqKickUser{UserID: aliceOwn.UserID, Reason: "bye"})
		must(err)
		in.Wait(t, "alice kicked", matrixWait, matrixPresence(occ("alice"), "unavailable"))
		if matrixStatusCount(trace, occ("alice"), "307") == 0 || matrixStatusCount(trace, occ("alice"), "110") < 2 {
			t.Errorf("alice's kick lacks 110 and 307")
		}
	})
}

// matrixWaitEvent syncs cli until an event of room (timeline or ephemeral) matches.
func matrixWaitEvent(t *testing.T, cli *mautrix.Client, room id.RoomID, what string, match func(*event.Event) bool) *event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	since := ""
	for {
		resp, err := cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: 5000, Since: since})
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		since = resp.NextBatch
		if jr := resp.Rooms.Join[room]; jr != nil {
			for _, ev := range append(jr.Timeline.Events, jr.Ephemeral.Events...) {
				_ = ev.Content.ParseRaw(ev.Type)
				if match(ev) {
					return ev
				}
			}
		}
	}
}

// matrixMessages: in the direct chat with bob, both ways: emotes, notices, HTML and
// XHTML-IM, typing, receipts; an image from bob as a URL (with OOB) that downloads the
// same bytes; an encrypted message as a notice saying it cannot be shown.
func matrixMessages(t *testing.T, c *xmpp.Client, in *Stanzas, trace *syncBuffer, aliceOwn, bob *mautrix.Client, room id.RoomID) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	send := func(content any) id.EventID {
		t.Helper()
		resp, err := bob.SendMessageEvent(ctx, room, event.EventMessage, content)
		must(err)
		return resp.EventID
	}
	fromBob := func(body string) func(any) bool { return xmppChat(matrixBobBuddy, "chat", body) }
	aliceMsg := func(what string, match func(*event.MessageEventContent) bool) *event.Event {
		t.Helper()
		return matrixWaitEvent(t, bob, room, what, func(ev *event.Event) bool {
			m, ok := ev.Content.Parsed.(*event.MessageEventContent)
			return ok && ev.Sender == aliceOwn.UserID && match(m)
		})
	}

	t.Run("EmoteAndNoticeFromMatrix", func(t *testing.T) {
		send(&event.MessageEventContent{MsgType: event.MsgEmote, Body: "waves"})
		in.Wait(t, "bob's emote", matrixWait, fromBob("/me waves"))
		send(&event.MessageEventContent{MsgType: event.MsgNotice, Body: "a notice"})
		in.Wait(t, "bob's notice", matrixWait, fromBob("a notice"))
	})
	t.Run("FormattedFromMatrix", func(t *testing.T) {
		send(&event.MessageEventContent{MsgType: event.MsgText, Body: "bold and it",
			Format: event.FormatHTML, FormattedBody: "<b>bold</b> and <i>it</i><script>x</script>"})
		in.Wait(t, "bob's formatted message", matrixWait, fromBob("bold and it"))
		if !strings.Contains(trace.String(), "<strong>bold</strong> and <em>it</em>") {
			t.Errorf("no XHTML-IM body <strong>bold</strong> and <em>it</em> in the trace")
		}
	})
	t.Run("EmoteAndFormattedToMatrix", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><body>/me dances</body></message>`)
		aliceMsg("alice's emote", func(m *event.MessageEventContent) bool {
			return m.MsgType == event.MsgEmote && m.Body == "dances"
		})
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><body>loud</body>`+
			`<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><strong>loud</strong></body></html></message>`)
		m := aliceMsg("alice's formatted message", func(m *event.MessageEventContent) bool { return m.Body == "loud" })
		if c := m.Content.AsMessage(); c.Format != event.FormatHTML || !strings.Contains(c.FormattedBody, "<strong>loud</strong>") {
			t.Errorf("formatted body %q (%s)", c.FormattedBody, c.Format)
		}
	})
	t.Run("TypingFromMatrix", func(t *testing.T) {
		_, err := bob.UserTyping(ctx, room, true, 20*time.Second)
		must(err)
		in.Wait(t, "bob composing", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && hasElem(m, "composing")
		})
		_, err = bob.UserTyping(ctx, room, false, 0)
		must(err)
		in.Wait(t, "bob active", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && hasElem(m, "active")
		})
	})
	t.Run("ReceiptFromMatrix", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat' id='r1'><body>read this</body><request xmlns='urn:xmpp:receipts'/></message>`)
		ev := aliceMsg("alice's message", func(m *event.MessageEventContent) bool { return m.Body == "read this" })
		must(bob.MarkRead(ctx, room, ev.ID))
		in.Wait(t, "the receipt", matrixWait, xmppReceipt(matrixBobBuddy, "r1"))
	})
	t.Run("TypingAndReadToMatrix", func(t *testing.T) {
		last := send(&event.MessageEventContent{MsgType: event.MsgText, Body: "are you there"})
		in.Wait(t, "bob's question", matrixWait, fromBob("are you there"))
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
		matrixWaitEvent(t, bob, room, "alice typing", func(ev *event.Event) bool {
			tc, ok := ev.Content.Parsed.(*event.TypingEventContent)
			return ok && slices.Contains(tc.UserIDs, aliceOwn.UserID)
		})
		matrixWaitEvent(t, bob, room, "alice's read receipt", func(ev *event.Event) bool {
			rc, ok := ev.Content.Parsed.(*event.ReceiptEventContent)
			if !ok {
				return false
			}
			_, read := (*rc)[last][event.ReceiptTypeRead][aliceOwn.UserID]
			return read
		})
	})
	t.Run("DisplayedToMatrix", func(t *testing.T) {
		ev := send(&event.MessageEventContent{MsgType: event.MsgText, Body: "did you see this"})
		in.Wait(t, "bob's message", matrixWait, fromBob("did you see this"))
		if !strings.Contains(trace.String(), `id="`+string(ev)+`"`) {
			t.Errorf("bob's message does not carry its event ID %s as its id", ev)
		}
		xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+string(ev)+`'/></message>`)
		matrixWaitEvent(t, bob, room, "alice's read receipt for the displayed message", func(e *event.Event) bool {
			rc, ok := e.Content.Parsed.(*event.ReceiptEventContent)
			if !ok {
				return false
			}
			_, read := (*rc)[ev][event.ReceiptTypeRead][aliceOwn.UserID]
			return read
		})
	})
	t.Run("ImageFromMatrix", func(t *testing.T) {
		img := []byte("\x89PNG\r\n\x1a\n not really an image, but bytes " + xmppSecret())
		up, err := bob.UploadBytesWithName(ctx, img, "image/png", "cat.png")
		must(err)
		send(&event.MessageEventContent{MsgType: event.MsgImage, Body: "cat.png", URL: up.ContentURI.CUString(),
			Info: &event.FileInfo{MimeType: "image/png", Size: len(img)}})
		m := in.Wait(t, "bob's image", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && m.Oob.Url != ""
		}).(xmpp.Chat)
		if m.Text != m.Oob.Url {
			t.Errorf("body %q is not the OOB URL %q", m.Text, m.Oob.Url)
		}
		resp, err := http.Get(m.Oob.Url)
		must(err)
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		must(err)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
			t.Errorf("GET %s: %s, %d bytes, want the %d uploaded", m.Oob.Url, resp.Status, len(got), len(img))
		}
	})
	t.Run("EncryptedFromMatrix", func(t *testing.T) {
		_, err := bob.SendMessageEvent(ctx, room, event.EventEncrypted, map[string]any{
			"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcaF", "device_id": "BOBDEVICE",
			"sender_key": "c2VuZGVya2V5", "session_id": "c2Vzc2lvbg"})
		must(err)
		in.Wait(t, "the encrypted message's notice", matrixWait, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, matrixBobBuddy) && strings.Contains(m.Text, "end-to-end encrypted")
		})
	})
}

// matrixVCard: bob's vCard is his Matrix profile: the display name and the avatar fetched
// from the media repository. It returns the avatar.
func matrixVCard(t *testing.T, c *xmpp.Client, in *Stanzas, bob *mautrix.Client) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	avatar := []byte("avatar bytes " + xmppSecret())
	up, err := bob.UploadBytes(ctx, avatar, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.SetAvatarURL(ctx, up.ContentURI); err != nil {
		t.Fatal(err)
	}
	xmppSend(t, c, `<iq type='get' to='`+matrixBobBuddy+`' id='vc1'><vCard xmlns='vcard-temp'/></iq>`)
	iq := in.Wait(t, "bob's vCard", matrixWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "vc1"
	}).(xmpp.IQ)
	q := string(iq.Query)
	if iq.Type != "result" || !strings.Contains(q, matrixBobName) ||
		!strings.Contains(q, base64.StdEncoding.EncodeToString(avatar)) {
		t.Errorf("bob's vCard lacks his name or avatar: %s %s", iq.Type, q)
	}
	return avatar
}

// matrixFileTo: a Conversations-style upload message (the URL as body and OOB) becomes an
// m.image in bob's direct chat whose media has the file's bytes, not a link.
func matrixFileTo(t *testing.T, d *testsrv.Dendrite, c *xmpp.Client, aliceOwn, bob *mautrix.Client, room id.RoomID) {
	file := []byte("\x89PNG\r\n\x1a\n uploaded by alice " + xmppSecret())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(file)
	}))
	defer srv.Close()
	u := srv.URL + "/slot/photo.png"
	xmppSend(t, c, `<message to='`+matrixBobBuddy+`' type='chat'><body>`+u+`</body><x xmlns='jabber:x:oob'><url>`+u+`</url></x></message>`)
	ev := matrixWaitEvent(t, bob, room, "alice's image", func(ev *event.Event) bool {
		m, ok := ev.Content.Parsed.(*event.MessageEventContent)
		return ok && ev.Sender == aliceOwn.UserID && m.MsgType == event.MsgImage
	})
	m := ev.Content.AsMessage()
	mxc, err := m.URL.Parse()
	if err != nil || m.Body != "photo.png" {
		t.Fatalf("image %q at %q: %v", m.Body, m.URL, err)
	}
	resp, err := http.Get(d.URL() + "/_matrix/media/v3/download/" + mxc.Homeserver + "/" + mxc.FileID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(got, file) {
		t.Errorf("the homeserver's media has %d bytes (%s), want the %d uploaded", len(got), resp.Status, len(file))
	}
}

// matrixPresences: bob's Matrix presence is his XMPP presence (online with a status text,
// unavailable as away), with his avatar's SHA-1 as the XEP-0153 photo hash (the avatar
// matrixVCard set, the photo of his vCard); alice's XMPP away is her Matrix unavailable.
func matrixPresences(t *testing.T, c *xmpp.Client, in *Stanzas, trace *syncBuffer, aliceOwn, bob *mautrix.Client, avatar []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), matrixWait)
	defer cancel()
	if err := bob.SetPresence(ctx, mautrix.ReqPresence{Presence: event.PresenceOnline, StatusMsg: "building"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "bob online", matrixWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, matrixBobBuddy) && p.Type == "" && p.Status == "building"
	})
	if avatar != nil {
		sum := sha1.Sum(avatar)
		xmppWaitTrace(t, trace, "<photo>"+hex.EncodeToString(sum[:])+"</photo>")
	}
	if err := bob.SetPresence(ctx, mautrix.ReqPresence{Presence: event.PresenceUnavailable, StatusMsg: "lunch"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "bob away", matrixWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, matrixBobBuddy) && p.Show == "away" && p.Status == "lunch"
	})
	xmppSend(t, c, `<presence><show>away</show><status>in a meeting</status></presence>`)
	deadline := time.Now().Add(matrixWait)
	for {
		p, err := bob.GetPresence(ctx, aliceOwn.UserID)
		if err == nil && p.Presence == event.PresenceUnavailable && p.StatusMsg == "in a meeting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice's Matrix presence: %+v, %v", p, err)
		}
		time.Sleep(200 * time.Millisecond) // polling: bob's presence of alice
	}
	xmppSend(t, c, `<presence/>`)
}

// matrixBounds: through a gateway with [backend_ini.matrix] max_rooms = 1 and max_members
// = 2, erin joins a room of three: she and bob (the first user ID) are occupants, carol is
// not, and carol's message comes under her user ID. A second room is refused with the
// reason; leaving the first frees the slot, and the second joins.
func matrixBounds(t *testing.T, d *testsrv.Dendrite, password string, bob, carol *mautrix.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*matrixWait)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	first, err := bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "bounds1"})
	must(err)
	_, err = carol.JoinRoom(ctx, "#bounds1:"+matrixServer, nil)
	must(err)
	_, err = bob.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "bounds2", Topic: "second"})
	must(err)

	s := StartServerWith(t, "builtin:matrix", fmt.Sprintf("allowed_servers = [\"127.0.0.1\"]\n[backend_ini.matrix]\nhomeserver = %q\nmax_rooms = 1\nmax_members = 2\n", d.URL()))
	s.secrets = append(s.secrets, password)
	defer s.Stop()
	trace := &syncBuffer{}
	c := xmppDialTraced(t, s, "erin%"+matrixServer+"@localhost", password, "phone", trace)
	defer CloseClient(t, c)
	in := Listen(c)
	room1, room2 := `#bounds1\3a`+matrixServer+"@localhost", `#bounds2\3a`+matrixServer+"@localhost"

	xmppSend(t, c, `<presence to='`+room1+`/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	in.Wait(t, "bob's occupant presence", matrixWait, matrixPresence(room1+"/"+matrixBobName, ""))
	in.Wait(t, "erin's own presence", matrixWait, matrixPresence(room1+"/erin", ""))
	_, err = carol.SendText(ctx, first.RoomID, "carol past the bound")
	must(err)
	in.Wait(t, "carol's message under her user ID", matrixWait,
		xmppChat(room1+"/"+carol.UserID.String(), "groupchat", "carol past the bound"))
	if strings.Contains(trace.String(), room1+"/carol") {
		t.Errorf("carol, past max_members, is an occupant:\n%s", trace.String())
	}

	xmppSend(t, c, `<presence to='`+room2+`/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	in.Wait(t, "the refused join", matrixWait, matrixPresence(room2+"/erin", "error"))
	xmppWaitTrace(t, trace, "too many Matrix rooms joined through the gateway (at most 1)")

	xmppSend(t, c, `<presence to='`+room1+`/erin' type='unavailable'/>`)
	in.Wait(t, "erin left the first room", matrixWait, matrixPresence(room1+"/erin", "unavailable"))
	xmppSend(t, c, `<presence to='`+room2+`/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	in.Wait(t, "erin in the second room", matrixWait, matrixPresence(room2+"/erin", ""))
	in.Wait(t, "the second room's subject", matrixWait, xmppSubject(room2, "second"))
}
