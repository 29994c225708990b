package test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// slixEvent is one line testdata/extensions_peer_client.py writes: a slixmpp plugin's
// event (ev) with the message's from, id, the id it refers to (ref) and its body.
type slixEvent struct {
	Ev     string   `json:"ev"`
	From   string   `json:"frm"`
	ID     string   `json:"id"`
	Ref    string   `json:"ref"`
	To     string   `json:"to"`
	Body   string   `json:"body"`
	Values []string `json:"values"`
	Op     string   `json:"op"`
}

// slixClient is a running extensions_peer_client.py: commands go to its stdin as JSON,
// its events come back on a channel.
type slixClient struct {
	t      *testing.T
	stdin  io.WriteCloser
	events chan slixEvent
	seen   []slixEvent // events a wait skipped, for the next waits (bounded)
	mu     sync.Mutex
	out    strings.Builder // everything it wrote, for failures
}

// startSlixClient runs the script as jid against s, with password, until the test ends,
// and waits for its session to start.
func startSlixClient(t *testing.T, s *Server, jid, password string) *slixClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "extensions_peer_client.py"),
		"--jid", jid, "--port", strconv.Itoa(s.Port), "--ca", filepath.Join(s.Dir, "data", "cert.pem"))
	cmd.Env = append(os.Environ(), "EXT_PASSWORD="+password)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &slixClient{t: t, stdin: stdin, events: make(chan slixEvent, 256)}
	cmd.Stderr = &lockedWriter{mu: &c.mu, w: &c.out}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			var e slixEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Ev != "" {
				select {
				case c.events <- e:
				default: // the test fails on a missing event; the output shows it
				}
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close() // the script disconnects and exits
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		cancel()
		_ = cmd.Wait()
	})
	c.wait("the session", func(e slixEvent) bool { return e.Ev == "READY" })
	return c
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// send writes one command (see the script) and waits for the script to have sent it.
func (c *slixClient) send(cmd map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		c.t.Fatalf("slixmpp client: %v", err)
	}
	c.wait("the script's "+cmd["op"].(string), func(e slixEvent) bool { return e.Ev == "sent" || e.Ev == "error" })
}

// wait returns the first event, earlier skipped ones included, that ok accepts; it fails
// the test after 60 s.
func (c *slixClient) wait(what string, ok func(slixEvent) bool) slixEvent {
	c.t.Helper()
	for i, e := range c.seen {
		if ok(e) {
			c.seen = append(c.seen[:i], c.seen[i+1:]...)
			return e
		}
	}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case e := <-c.events:
			if e.Ev == "error" {
				c.t.Fatalf("slixmpp client: %+v", e)
			}
			if ok(e) {
				return e
			}
			if e.Ev != "sent" && len(c.seen) < 256 {
				c.seen = append(c.seen, e)
			}
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("slixmpp client: no %s:\n%s", what, tail(c.out.String(), 60))
		}
	}
}

// slixEv matches event ev from a JID starting with from, referring to ref.
func slixEv(ev, from, ref string) func(slixEvent) bool {
	return func(e slixEvent) bool { return e.Ev == ev && strings.HasPrefix(e.From, from) && e.Ref == ref }
}

// TestXMPPExtensionsSlixmpp (issue 24): the user's client is slixmpp with its xep_0308,
// xep_0444, xep_0461, xep_0424 and xep_0333 plugins, through the real binary with
// builtin:xmpp and a real Prosody, and bob a go-xmpp client directly on Prosody: the
// correction, reaction, reply, retraction and displayed marker slixmpp sends reach bob
// naming the ids slixmpp gave; bob's reach slixmpp, whose plugins fire their events
// naming the ids bob gave.
func TestXMPPExtensionsSlixmpp(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	p := StartProsody(t, "alice", alicePW, "bob", bobPW)
	xmppBefriend(t, p, alicePW, bobPW)
	s := startXMPPGateway(t, p, alicePW, bobPW)
	bob := p.MustDial("bob", bobPW, "phone")
	inb := Listen(bob)
	xmppSend(t, bob, `<presence/>`)
	c := startSlixClient(t, s, xmppAliceUser+"/laptop", alicePW)
	c.wait("bob's presence", func(e slixEvent) bool { return e.Ev == "presence" && strings.HasPrefix(e.From, xmppBobBuddy) })

	with := func(local, id string) func(any) bool {
		return func(st any) bool {
			m, ok := st.(xmpp.Chat)
			got, has := xmppChildAttr(m, local, "id")
			return ok && strings.HasPrefix(m.Remote, xmppAliceJID) && has && got == id
		}
	}
	c.send(map[string]any{"op": "msg", "to": xmppBobBuddy, "id": "s1", "body": "hello bob"})
	inb.Wait(t, "s1", xmppWait, xmppChat(xmppAliceJID, "chat", "hello bob"))
	xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b1'><body>hello alice</body></message>`)
	if e := c.wait("b1", func(e slixEvent) bool { return e.Ev == "message" && e.Body == "hello alice" }); e.ID != "b1" {
		t.Errorf("b1 reached slixmpp with id %q", e.ID)
	}

	t.Run("ToContact", func(t *testing.T) {
		c.t = t
		c.send(map[string]any{"op": "correct", "to": xmppBobBuddy, "id": "s2", "ref": "s1", "body": "hello, bob"})
		if m := inb.Wait(t, "the correction of s1", xmppWait, with("replace", "s1")).(xmpp.Chat); m.Text != "hello, bob" {
			t.Errorf("the correction reached bob as %q", m.Text)
		}
		c.send(map[string]any{"op": "react", "to": xmppBobBuddy, "id": "s3", "ref": "b1", "values": []string{"👍"}})
		m := inb.Wait(t, "the reaction to b1", xmppWait, with("reactions", "b1")).(xmpp.Chat)
		if !xmppInner(m, "reactions", "👍") {
			t.Errorf("the reaction reached bob as %+v", m.OtherElem)
		}
		c.send(map[string]any{"op": "reply", "to": xmppBobBuddy, "id": "s4", "ref": "b1", "reply_to": xmppBobBuddy + "/x", "body": "hi"})
		if m := inb.Wait(t, "the reply to b1", xmppWait, with("reply", "b1")).(xmpp.Chat); m.Text != "hi" {
			t.Errorf("the reply reached bob as %q", m.Text)
		}
		c.send(map[string]any{"op": "retract", "to": xmppBobBuddy, "ref": "s2"})
		inb.Wait(t, "the retraction of s2", xmppWait, with("retract", "s2"))
		c.send(map[string]any{"op": "displayed", "to": xmppBobBuddy, "ref": "b1"})
		inb.Wait(t, "the displayed marker of b1", xmppWait, with("displayed", "b1"))
	})

	t.Run("FromContact", func(t *testing.T) {
		c.t = t
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b2'><body>hello, alice</body>`+
			`<replace xmlns='urn:xmpp:message-correct:0' id='b1'/></message>`)
		if e := c.wait("bob's correction", slixEv("message_correction", xmppBobBuddy, "b1")); e.Body != "hello, alice" || e.ID != "b2" {
			t.Errorf("bob's correction: %+v", e)
		}
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b3'>`+
			`<reactions xmlns='urn:xmpp:reactions:0' id='s1'><reaction>❤</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>`)
		if e := c.wait("bob's reaction", slixEv("reactions", xmppBobBuddy, "s1")); strings.Join(e.Values, ",") != "❤" {
			t.Errorf("bob's reaction: %+v", e)
		}
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b4'><body>yes?</body>`+
			`<reply xmlns='urn:xmpp:reply:0' id='s1' to='`+xmppAliceJID+`/Spectrum'/></message>`)
		if e := c.wait("bob's reply", slixEv("message_reply", xmppBobBuddy, "s1")); e.Body != "yes?" || !strings.HasPrefix(e.To, xmppAliceUser) {
			t.Errorf("bob's reply: %+v", e)
		}
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b5'><retract xmlns='urn:xmpp:message-retract:1' id='b2'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>bob retracted</body></message>`)
		c.wait("bob's retraction", slixEv("message_retract", xmppBobBuddy, "b2"))
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b6'><displayed xmlns='urn:xmpp:chat-markers:0' id='s4'/></message>`)
		c.wait("bob's displayed marker", slixEv("marker_displayed", xmppBobBuddy, "s4"))
	})
}

// xmppInner reports whether m's child local holds s.
func xmppInner(m xmpp.Chat, local, s string) bool {
	for _, e := range m.OtherElem {
		if e.XMLName.Local == local && strings.Contains(e.InnerXML, s) {
			return true
		}
	}
	return false
}

// TestIRCv3GatewaySlixmpp (issue 24): slixmpp's xep_0461, xep_0444 and xep_0308 plugins
// through the real binary and builtin:irc on a real InspIRCd with a raw IRCv3 peer: the
// user's reply and reaction reach IRC as +draft/reply and a +draft/react TAGMSG naming the
// peer's msgid; the peer's reply and reaction come back through the plugins naming the
// id slixmpp gave its message; a correction reaches IRC as the "s/old/new" fallback line.
func TestIRCv3GatewaySlixmpp(t *testing.T) {
	irc := testsrv.StartInspIRCd(t)
	s := StartServerWith(t, "builtin:irc", "allowed_servers = [\"127.0.0.1\"]\ncorrection_fallback = \"sed\"\n"+
		"[backend_ini.service]\nirc_server = \""+irc.Addr()+"\"\n")
	peer := testsrv.ConnectIRCv3Peer(t, irc, "sv3peer", "message-tags", "echo-message")
	c := startSlixClient(t, s, "sv3client@localhost/r", s.Password())
	const buddy = "sv3peer@localhost"

	// The first line also shows the IRC connection is up before the peer writes.
	c.send(map[string]any{"op": "msg", "to": buddy, "id": "s0", "body": "hi"})
	peer.Expect("PRIVMSG sv3peer :hi")
	peer.Send("PRIVMSG sv3client :hello xmpp")
	peerID := msgidIn(t, peer.Expect("PRIVMSG sv3client :hello xmpp")) // the echo
	if e := c.wait("the peer's message", func(e slixEvent) bool { return e.Ev == "message" && e.Body == "hello xmpp" }); e.ID != peerID {
		t.Errorf("the peer's message reached slixmpp with id %q, want its msgid %q", e.ID, peerID)
	}

	c.send(map[string]any{"op": "reply", "to": buddy, "id": "s1", "ref": peerID, "reply_to": buddy + "/bot", "body": "hi peer"})
	line := peer.Expect("PRIVMSG sv3peer :")
	if !strings.Contains(line, "+draft/reply="+peerID) || !strings.HasSuffix(line, "PRIVMSG sv3peer :hi peer") {
		t.Errorf("slixmpp's reply reached IRC as %q", line)
	}
	ownID := msgidIn(t, line)
	c.send(map[string]any{"op": "react", "to": buddy, "id": "s2", "ref": peerID, "values": []string{"👍"}})
	if line := peer.Expect(" TAGMSG "); !strings.Contains(line, "+draft/react=👍") || !strings.Contains(line, "+draft/reply="+peerID) {
		t.Errorf("slixmpp's reaction reached IRC as %q", line)
	}

	peer.Send("@+draft/reply=" + ownID + " PRIVMSG sv3client :answer")
	if e := c.wait("the peer's reply", slixEv("message_reply", buddy, "s1")); e.Body != "answer" {
		t.Errorf("the peer's reply: %+v", e)
	}
	peer.Send("@+draft/reply=" + ownID + ";+draft/react=🎉 TAGMSG sv3client")
	if e := c.wait("the peer's reaction", slixEv("reactions", buddy, "s1")); strings.Join(e.Values, ",") != "🎉" {
		t.Errorf("the peer's reaction: %+v", e)
	}

	c.send(map[string]any{"op": "msg", "to": buddy, "id": "s3", "body": "see you tmrw"})
	peer.Expect("PRIVMSG sv3peer :see you tmrw")
	c.send(map[string]any{"op": "correct", "to": buddy, "id": "s4", "ref": "s3", "body": "see you tomorrow"})
	if line := peer.Expect("PRIVMSG sv3peer :"); !strings.HasSuffix(line, "PRIVMSG sv3peer :s/tmrw/tomorrow") {
		t.Errorf("slixmpp's correction reached IRC as %q", line)
	}
}
