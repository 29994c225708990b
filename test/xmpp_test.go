package test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// The accounts of the XMPP backend tests: alice logs in through the gateway, bob is her
// contact on the remote server (driven directly by the test).
const (
	xmppWait      = 45 * time.Second
	xmppAliceUser = "alice%" + remoteDomain + "@localhost"
	xmppAliceJID  = "alice@" + remoteDomain
	xmppBobJID    = "bob@" + remoteDomain
	xmppBobBuddy  = `bob\40` + remoteDomain + "@localhost" // router/jidmap/jidmap.go: XEP-0106
	xmppRoomR     = "group%" + remoteMUC + "@localhost"    // the room through the gateway
	xmppRoomP     = "group@" + remoteMUC                   // the same room on Prosody
)

// startXMPPGateway runs spectrum2 with builtin:xmpp pointed at p, whose loopback address
// allowed_servers lists; passwords are the secrets the log check looks for.
func startXMPPGateway(t *testing.T, p *Prosody, passwords ...string) *Server {
	t.Helper()
	s := StartServerWith(t, "builtin:xmpp", fmt.Sprintf("allowed_servers = [%q]\n[backend_ini.xmpp]\nserver = %q\nca_file = %q\n",
		p.IP, p.Addr(), p.CAFile))
	s.secrets = append(s.secrets, passwords...)
	return s
}

// xmppBefriend makes alice and bob mutual contacts on Prosody directly, before the gateway
// starts: the roster the gateway imports (alice's item for bob: name Bob, group Friends).
func xmppBefriend(t *testing.T, p *Prosody, alicePW, bobPW string) {
	t.Helper()
	a := p.MustDial("alice", alicePW, "setup")
	ina := Listen(a)
	b := p.MustDial("bob", bobPW, "setup")
	inb := Listen(b)
	// Roster pushes go to resources that asked for the roster (RFC 6121 2.1.6).
	if err := a.Roster(); err != nil {
		t.Fatal(err)
	}
	ina.Wait(t, "alice's roster", xmppWait, isRoster)
	xmppSend(t, a, `<iq type='set' id='add1'><query xmlns='jabber:iq:roster'><item jid='`+xmppBobJID+`' name='Bob'><group>Friends</group></item></query></iq>`)
	xmppSend(t, a, `<presence to='`+xmppBobJID+`' type='subscribe'/>`)
	inb.Wait(t, "alice's subscription request", xmppWait, xmppPresence(xmppAliceJID, "subscribe"))
	xmppSend(t, b, `<presence to='`+xmppAliceJID+`' type='subscribed'/>`)
	xmppSend(t, b, `<presence to='`+xmppAliceJID+`' type='subscribe'/>`)
	ina.Wait(t, "bob's subscription request", xmppWait, xmppPresence(xmppBobJID, "subscribe"))
	xmppSend(t, a, `<presence to='`+xmppBobJID+`' type='subscribed'/>`)
	// Prosody pushes alice's changed item (RFC 6121 2.1.6) once the subscription is mutual.
	ina.Wait(t, "the roster push of the mutual subscription", xmppWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		q := string(iq.Query)
		return ok && iq.Type == "set" && strings.Contains(q, xmppBobJID) && strings.Contains(q, "both")
	})
	CloseClient(t, a)
	CloseClient(t, b)
}

// TestXMPPBackend runs the gateway with the native XMPP backend against a real Prosody:
// roster import, presence and chat both ways with receipts, spec 5.3's jabber scenarios
// (rooms, avatar, carbons), a wrong password, and a restart of the remote server.
func TestXMPPBackend(t *testing.T) {
	alicePW, bobPW, carolPW := "alice-"+xmppSecret(), "bob-"+xmppSecret(), "carol-"+xmppSecret()
	p := StartProsody(t, "alice", alicePW, "bob", bobPW, "carol", carolPW)
	xmppBefriend(t, p, alicePW, bobPW)
	s := startXMPPGateway(t, p, alicePW, bobPW, carolPW)

	bobTrace := &syncBuffer{}
	bob := p.MustDialTraced("bob", bobPW, "phone", bobTrace)
	inb := Listen(bob)
	trace := &syncBuffer{}
	c := xmppDialTraced(t, s, xmppAliceUser, alicePW, "laptop", trace)
	in := Listen(c)

	t.Run("RosterImport", func(t *testing.T) { xmppRosterImport(t, c, in) })
	t.Run("PresenceBothWays", func(t *testing.T) { xmppPresenceBothWays(t, c, in, bob, inb) })
	t.Run("ChatWithReceipts", func(t *testing.T) { xmppChatWithReceipts(t, c, in, bob, inb) })
	t.Run("MUC", func(t *testing.T) { xmppMUC(t, c, in, trace, bob, inb) })
	t.Run("Avatar", func(t *testing.T) { xmppAvatar(t, c, in, bob, inb, bobTrace) })
	t.Run("BuddyAvatar", func(t *testing.T) { xmppBuddyAvatar(t, c, in, trace, bob, inb) })
	t.Run("Carbons", func(t *testing.T) { xmppCarbons(t, p, alicePW, c, in, inb) })
	t.Run("WrongPassword", func(t *testing.T) { xmppWrongPassword(t, s, carolPW) })
	t.Run("RemoteRestart", func(t *testing.T) { xmppRemoteRestart(t, p, bobPW, s, c, in) })
	t.Run("RemoteDown", func(t *testing.T) { xmppRemoteDown(t, p, alicePW, bobPW, s, in) })
}

// xmppRosterImport: alice's remote roster becomes the gateway roster, bob under his escaped
// JID with his name and group (spec 3.7).
func xmppRosterImport(t *testing.T, c *xmpp.Client, in *Stanzas) {
	// Bob is online: his presence reaches the client once his item is on the roster.
	in.Wait(t, "bob's presence", xmppWait, xmppPresence(xmppBobBuddy, ""))
	if err := c.Roster(); err != nil {
		t.Fatal(err)
	}
	iq := in.Wait(t, "roster", xmppWait, isRoster).(xmpp.IQ)
	if !slices.Contains(rosterJIDs(iq), xmppBobBuddy) {
		t.Fatalf("roster lacks %s: %s", xmppBobBuddy, iq.Query)
	}
	if q := string(iq.Query); !strings.Contains(q, "Bob") || !strings.Contains(q, "Friends") {
		t.Errorf("bob's item lost its name or group: %s", q)
	}
}

// xmppPresenceBothWays: bob's presence reaches the client as the buddy's; the client's away
// reaches bob as alice's (spec 3.6, 3.8).
func xmppPresenceBothWays(t *testing.T, c *xmpp.Client, in *Stanzas, bob *xmpp.Client, inb *Stanzas) {
	xmppSend(t, bob, `<presence><show>xa</show><status>gone fishing</status></presence>`)
	in.Wait(t, "bob's xa", xmppWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, xmppBobBuddy) && p.Show == "xa" && p.Status == "gone fishing"
	})
	xmppSend(t, c, `<presence><show>away</show><status>at lunch</status></presence>`)
	inb.Wait(t, "alice's away", xmppWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, xmppAliceJID) && p.Show == "away" && p.Status == "at lunch"
	})
	xmppSend(t, bob, `<presence/>`)
	in.Wait(t, "bob online", xmppWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, xmppBobBuddy) && p.Type == "" && p.Show == ""
	})
	xmppSend(t, c, `<presence/>`)
	inb.Wait(t, "alice online", xmppWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, xmppAliceJID) && p.Type == "" && p.Show == ""
	})
}

// xmppChatWithReceipts: 1:1 messages both ways; bob's receipt reaches the client (CONV_MESSAGE_ACK,
// spec 3.9) and the backend answers bob's receipt request itself.
func xmppChatWithReceipts(t *testing.T, c *xmpp.Client, in *Stanzas, bob *xmpp.Client, inb *Stanzas) {
	xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='c1'><body>hello bob</body><request xmlns='urn:xmpp:receipts'/></message>`)
	got := inb.Wait(t, "alice's message", xmppWait, xmppChat(xmppAliceJID, "chat", "hello bob")).(xmpp.Chat)
	if _, asks := xmppChildAttr(got, "request", "id"); !asks {
		t.Errorf("the message reached bob without a receipt request: %+v", got.OtherElem)
	}
	xmppSend(t, bob, `<message to='`+got.Remote+`' id='r-c1'><received xmlns='urn:xmpp:receipts' id='c1'/></message>`)
	in.Wait(t, "bob's receipt for c1", xmppWait, xmppReceipt(xmppBobBuddy, "c1"))

	xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b1'><body>hello alice</body><request xmlns='urn:xmpp:receipts'/></message>`)
	in.Wait(t, "bob's message", xmppWait, xmppChat(xmppBobBuddy, "chat", "hello alice"))
	inb.Wait(t, "receipt for b1", xmppWait, xmppReceipt(xmppAliceJID, "b1"))
}

// xmppMUC are spec 5.3's jabber steps 6-11 with the responder (bob, "xr") directly on
// Prosody and the client through the gateway: muc_topic, muc_join_leave, muc_echo, muc_pm,
// muc_change_topic.
func xmppMUC(t *testing.T, c *xmpp.Client, in *Stanzas, trace *syncBuffer, xr *xmpp.Client, inx *Stanzas) {
	join := func() {
		t.Helper()
		n := len(xmppStatus110.FindAllString(trace.String(), -1))
		xmppSend(t, c, `<presence to='`+xmppRoomR+`/client'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		in.Wait(t, "client's self-presence", xmppWait, xmppPresence(xmppRoomR+"/client", ""))
		if got := len(xmppStatus110.FindAllString(trace.String(), -1)); got <= n {
			t.Errorf("the self-presence has no status 110")
		}
		inx.Wait(t, "client seen by resp", xmppWait, xmppPresence(xmppRoomP+"/client", ""))
	}
	leave := func() {
		t.Helper()
		xmppSend(t, c, `<presence to='`+xmppRoomR+`/client' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>`)
		in.Wait(t, "client left", xmppWait, xmppPresence(xmppRoomR+"/client", "unavailable"))
		inx.Wait(t, "client's exit seen by resp", xmppWait, xmppPresence(xmppRoomP+"/client", "unavailable"))
	}
	xmppSend(t, xr, `<presence to='`+xmppRoomP+`/resp'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	inx.Wait(t, "resp joined", xmppWait, xmppPresence(xmppRoomP+"/resp", ""))

	t.Run("muc_topic", func(t *testing.T) {
		join()
		in.Wait(t, "resp in the room", xmppWait, xmppPresence(xmppRoomR+"/resp", ""))
		xmppSend(t, xr, `<message to='`+xmppRoomP+`' type='groupchat'><subject>New subject</subject></message>`)
		in.Wait(t, "subject received", xmppWait, xmppSubject(xmppRoomR, "New subject"))
	})
	t.Run("muc_join_leave", func(t *testing.T) { leave(); join() })
	t.Run("muc_echo", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+xmppRoomR+`' type='groupchat'><body>abc</body></message>`)
		in.Wait(t, "own echo", xmppWait, xmppChat(xmppRoomR+"/client", "groupchat", "abc"))
		inx.Wait(t, "abc on Prosody", xmppWait, xmppChat(xmppRoomP+"/client", "groupchat", "abc"))
		xmppSend(t, xr, `<message to='`+xmppRoomP+`' type='groupchat'><body>echo abc</body></message>`)
		in.Wait(t, "echo abc", xmppWait, xmppChat(xmppRoomR+"/resp", "groupchat", "echo abc"))
	})
	t.Run("muc_pm", func(t *testing.T) {
		for _, w := range []string{"abc", "def"} {
			xmppSend(t, c, `<message to='`+xmppRoomR+`/resp' type='chat'><body>`+w+`</body></message>`)
			inx.Wait(t, "PM "+w, xmppWait, xmppChat(xmppRoomP+"/client", "chat", w))
			xmppSend(t, xr, `<message to='`+xmppRoomP+`/client' type='chat'><body>echo `+w+`</body></message>`)
			in.Wait(t, "PM echo "+w, xmppWait, xmppChat(xmppRoomR+"/resp", "chat", "echo "+w))
		}
	})
	t.Run("muc_change_topic", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+xmppRoomR+`' type='groupchat'><body>ready</body></message>`)
		inx.Wait(t, "ready", xmppWait, xmppChat(xmppRoomP+"/client", "groupchat", "ready"))
		xmppSend(t, xr, `<message to='`+xmppRoomP+`' type='groupchat'><subject>The new subject</subject></message>`)
		in.Wait(t, "changed topic", xmppWait, xmppSubject(xmppRoomR, "The new subject"))
		leave()
	})
	xmppSend(t, xr, `<presence to='`+xmppRoomP+`/resp' type='unavailable'/>`)
	inx.Wait(t, "resp left", xmppWait, xmppPresence(xmppRoomP+"/resp", "unavailable"))
}

// xmppAvatar is spec 5.3 step 12: the client stores a vCard with a photo and announces its
// hash; bob gets a presence of alice's with that hash (XEP-0153) and reads the photo from
// alice's vCard on the remote server. go-xmpp drops presence payloads, hence bob's trace.
func xmppAvatar(t *testing.T, c *xmpp.Client, in *Stanzas, bob *xmpp.Client, inb *Stanzas, bobTrace *syncBuffer) {
	png, err := base64.StdEncoding.DecodeString(xmppPNG)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(png)
	hash := hex.EncodeToString(sum[:])
	xmppSend(t, c, `<iq type='set' id='vc1'><vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		xmppPNG+`</BINVAL></PHOTO></vCard></iq>`)
	in.Wait(t, "vCard set result", xmppWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "vc1"
	})
	xmppSend(t, c, `<presence><x xmlns='vcard-temp:x:update'><photo>`+hash+`</photo></x></presence>`)
	// The backend announces the new hash only after Prosody stored the vCard
	// (backend/xmpp UpdateVCard): from then on bob reads the photo.
	xmppWaitTrace(t, bobTrace, "<photo>"+hash+"</photo>")
	xmppSend(t, bob, `<iq type='get' id='bv1' to='`+xmppAliceJID+`'><vCard xmlns='vcard-temp'/></iq>`)
	iq := inb.Wait(t, "alice's vCard", xmppWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "bv1"
	}).(xmpp.IQ)
	if !strings.Contains(strings.Join(strings.Fields(string(iq.Query)), ""), xmppPNG) {
		t.Fatalf("alice's vCard on the remote server has no photo: %s", iq.Query)
	}
}

// xmppBuddyAvatar is the avatar the other way (spec 3.11): bob publishes a photo and
// announces its hash; the client gets bob's presence with the hash and reads the photo from
// the buddy's vCard through the gateway.
func xmppBuddyAvatar(t *testing.T, c *xmpp.Client, in *Stanzas, trace *syncBuffer, bob *xmpp.Client, inb *Stanzas) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.Set(1, 0, color.NRGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(buf.Bytes())
	hash, b64 := hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(buf.Bytes())
	xmppSend(t, bob, `<iq type='set' id='bvc1'><vCard xmlns='vcard-temp'><FN>Bob</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>`+
		b64+`</BINVAL></PHOTO></vCard></iq>`)
	inb.Wait(t, "bob's vCard stored", xmppWait, xmppIQResult("bvc1"))
	xmppSend(t, bob, `<presence><x xmlns='vcard-temp:x:update'><photo>`+hash+`</photo></x></presence>`)
	xmppWaitTrace(t, trace, "<photo>"+hash+"</photo>")
	xmppSend(t, c, `<iq type='get' id='bvc2' to='`+xmppBobBuddy+`'><vCard xmlns='vcard-temp'/></iq>`)
	iq := in.Wait(t, "bob's vCard through the gateway", xmppWait, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "bvc2"
	}).(xmpp.IQ)
	if iq.Type != "result" || !strings.Contains(strings.Join(strings.Fields(string(iq.Query)), ""), b64) {
		t.Errorf("bob's vCard through the gateway: %s %s", iq.Type, iq.Query)
	}
}

// xmppCarbons is spec 5.3 step 13: c1 (through the gateway) and c2 (directly on Prosody, the
// same account) each get exactly one carbon of what the other sends to bob, batch after
// batch, including identical and repeated messages.
func xmppCarbons(t *testing.T, p *Prosody, alicePW string, c1 *xmpp.Client, in1 *Stanzas, inb *Stanzas) {
	c2 := p.MustDial("alice", alicePW, "r2")
	in2 := Listen(c2)
	xmppSend(t, c2, `<iq type='set' id='carbons2'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	xmppSend(t, c1, `<iq type='set' id='carbons1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	in2.Wait(t, "carbons enabled on c2", xmppWait, xmppIQResult("carbons2"))
	in1.Wait(t, "carbons enabled on c1", xmppWait, xmppIQResult("carbons1"))
	batch := func(name, m1, m2 string, times int) {
		t.Helper()
		for range times {
			xmppSend(t, c1, `<message to='`+xmppBobBuddy+`' type='chat'><body>`+m1+`</body></message>`)
			xmppSend(t, c2, `<message to='`+xmppBobJID+`' type='chat'><body>`+m2+`</body></message>`)
		}
		want := times
		if m1 == m2 {
			want = 2 * times // bob cannot tell the two apart
		}
		got := 0
		for got < want {
			inb.Wait(t, name+": bob's copy", xmppWait, func(st any) bool {
				c, ok := st.(xmpp.Chat)
				return ok && c.Text == m1 || ok && c.Text == m2
			})
			got++
		}
		in2.Wait(t, name+": carbon on c2", xmppWait, xmppSentCarbon(m1))
		in1.Wait(t, name+": carbon on c1", xmppWait, xmppSentCarbon(m2))
		// An extra carbon would arrive before the carbon of a marker each side sends next:
		// c2's messages reach c1 in order through Prosody and the backend, c1's reach c2 in
		// order through the gateway's stream and Prosody.
		mark1, mark2 := name+": end of c1", name+": end of c2"
		xmppSend(t, c1, `<message to='`+xmppBobBuddy+`' type='chat'><body>`+mark1+`</body></message>`)
		xmppSend(t, c2, `<message to='`+xmppBobJID+`' type='chat'><body>`+mark2+`</body></message>`)
		if n := 1 + xmppCountUntil(t, in1, xmppSentCarbon(m2), xmppSentCarbon(mark2)); n != times {
			t.Errorf("%s: c1 got %d carbons, want %d", name, n, times)
		}
		if n := 1 + xmppCountUntil(t, in2, xmppSentCarbon(m1), xmppSentCarbon(mark1)); n != times {
			t.Errorf("%s: c2 got %d carbons, want %d", name, n, times)
		}
	}
	batch("batch 1", "Message 1 from "+c1.JID(), "Message 1 from "+c2.JID(), 1)
	batch("batch 2", "Message 2", "Message 2", 1)
	batch("batch 3", "Message 3 from "+c1.JID(), "Message 3 from "+c2.JID(), 3)
	CloseClient(t, c2)
}

// xmppWrongPassword: the remote server's refusal is a SASL failure with a text (spec 3.4;
// a generic one, router/login.go legacyRefused).
func xmppWrongPassword(t *testing.T, s *Server, carolPW string) {
	wrong := "wrong-" + carolPW
	s.secrets = append(s.secrets, wrong)
	c, err := s.Dial("carol%"+remoteDomain+"@localhost", wrong, "", false)
	if err == nil {
		_ = c.Close()
		t.Fatal("logged in with a wrong password")
	}
	t.Logf("login error: %v", err)
	if !strings.HasPrefix(err.Error(), "auth failure: ") || strings.TrimPrefix(err.Error(), "auth failure: ") == "" {
		t.Errorf("not a SASL failure with a text: %v", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Error("the SASL failure text contains the password")
	}
}

// xmppRemoteRestart: Prosody restarts under the logged-in user and is down for a few
// seconds. The backend reports the lost stream (DISCONNECTED 0); the daemon waits before each
// re-login (2 s, 5 s, 10 s: router/relogin.go, a deliberate departure from spec 3.4, whose
// three attempts at once all fail within milliseconds), so the first attempt fails while the
// server is down and a later one succeeds. The client's stream survives without any error
// and chat flows again.
func xmppRemoteRestart(t *testing.T, p *Prosody, bobPW string, s *Server, c *xmpp.Client, in *Stanzas) {
	lost := strings.Count(s.Log(), xmppReloginLog)
	connected := []string{`"message":"legacy session connected"`, `"jid":"` + xmppAliceUser + `"`}
	logins := s.logLines(connected...)
	p.Stop()
	xmppWaitLog(t, s, lost+1) // the daemon saw the lost session and waits
	xmppWaitLog(t, s, lost+2) // the first re-login found no server
	p.Start()
	bob := p.MustDial("bob", bobPW, "after")
	inb := Listen(bob)
	// Until a re-login connects, messages bounce with recipient-unavailable (wait).
	s.waitLogLines(t, logins+1, connected...)
	xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat'><body>still here</body></message>`)
	inb.Wait(t, "a message after the restart", xmppWait, xmppChat(xmppAliceJID, "chat", "still here"))
	n := strings.Count(s.Log(), xmppReloginLog)
	t.Logf("%d re-login attempts", n-lost)
	if n < lost+2 {
		t.Errorf("%d re-login attempts logged, want at least 2 (the first while Prosody was down)", n-lost)
	}
	// The answer to a ping comes after anything the router sent the client before it.
	xmppSend(t, c, `<iq type='get' id='after-restart' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if n := xmppCountUntil(t, in, xmppFatal, xmppIQResult("after-restart")); n != 0 {
		t.Fatalf("the client saw the restart: %d error messages or stream end", n)
	}
	CloseClient(t, bob)
}

// xmppReloginLog is the daemon's log line for each automatic re-login (router/relogin.go).
const xmppReloginLog = "legacy session lost, logging in again"

// xmppWaitLog waits until the daemon has logged n re-logins.
func xmppWaitLog(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(xmppWait)
	for strings.Count(s.Log(), xmppReloginLog) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not notice the lost session")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// xmppFatal matches the end of the stream or the spectrumerror message of the fatal path.
func xmppFatal(st any) bool {
	if _, isErr := st.(error); isErr {
		return true
	}
	m, ok := st.(xmpp.Chat)
	return ok && m.Remote == "localhost" && hasElem(m, "spectrumerror")
}

// xmppRemoteDown: Prosody is stopped under the logged-in user and stays down past the whole
// re-login schedule (about 17 s). Every attempt fails, so the client gets the error message
// and its stream ends (spec 3.4). Once Prosody is back, a new login works and chat flows
// again.
func xmppRemoteDown(t *testing.T, p *Prosody, alicePW, bobPW string, s *Server, in *Stanzas) {
	p.Stop()
	m := in.Wait(t, "the error message", xmppWait, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && m.Remote == "localhost" && hasElem(m, "spectrumerror")
	}).(xmpp.Chat)
	t.Logf("error message: %q", m.Text)
	xmppWaitEnd(t, in, xmppWait)
	p.Start()
	bob := p.MustDial("bob", bobPW, "after")
	inb := Listen(bob)
	c := s.MustDial(xmppAliceUser, alicePW, "again")
	// The roster is imported anew after the login, and the router bounces messages to
	// contacts it does not know yet (item-not-found): wait for bob like a client would.
	in = Listen(c)
	in.Wait(t, "bob's presence after the restart", xmppWait, xmppPresence(xmppBobBuddy, ""))
	xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat'><body>back again</body></message>`)
	inb.Wait(t, "a message after the restart", xmppWait, xmppChat(xmppAliceJID, "chat", "back again"))
}
