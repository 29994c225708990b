package c2s

import (
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

func presenceFrom(from, to, show string) *xmpp.Element {
	p := xmpp.New(xmpp.NSClient, "presence", "from", from, "to", to)
	if show != "" {
		p.Append(xmpp.New(xmpp.NSClient, "show").AppendText(show))
	}
	return p
}

// TestCSIHoldsWhatCanWait: an inactive client gets presence updates (the latest per
// sender), chat states and room chatter only when something urgent comes or it is active.
func TestCSIHoldsWhatCanWait(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r := dialRaw(t, s)
	feats := r.login("alice", "secret")
	if !strings.Contains(feats, `<csi xmlns="urn:xmpp:csi:0"/>`) {
		t.Fatalf("features: %q", feats)
	}
	full := r.bind("phone")
	sess := recv(t, a.binds, "Bind")
	room := "#chat@" + testDomain
	_ = sess.Send(xmpp.New(xmpp.NSClient, "presence", "from", room+"/Alice", "to", full).Append(
		xmpp.New(xmpp.NSMUCUser, "x").Append(xmpp.New(xmpp.NSMUCUser, "status", "code", "110"))))
	r.expect(`</presence>`)

	r.send(`<enable xmlns='urn:xmpp:sm:3'/><inactive xmlns='urn:xmpp:csi:0'/>`)
	r.send(`<r xmlns='urn:xmpp:sm:3'/>`) // a round trip: <inactive/> was handled
	r.expect(`<a xmlns="urn:xmpp:sm:3"`)
	clock := "clock@" + testDomain + "/bot"
	for _, show := range []string{"away", "xa", "dnd"} {
		_ = sess.Send(presenceFrom(clock, full, show))
	}
	_ = sess.Send(xmpp.New(xmpp.NSClient, "message", "from", "echo@"+testDomain+"/bot", "to", full, "id", "cs").Append(
		xmpp.New(xmpp.NSChatStates, "composing")))
	group := func(id, body string) *xmpp.Element {
		return xmpp.New(xmpp.NSClient, "message", "from", room+"/bob", "to", full, "type", "groupchat", "id", id).Append(
			xmpp.New(xmpp.NSClient, "body").AppendText(body))
	}
	_ = sess.Send(group("g1", "chatter"))
	_ = sess.Send(group("g2", "hey alice, look"))
	got := r.expect(`id="g2"`)
	if strings.Count(got, "<presence") != 1 || !strings.Contains(got, "<show>dnd</show>") ||
		strings.Contains(got, "<show>away</show>") {
		t.Errorf("want only the latest presence before the mention, got %q", got)
	}
	if ids := messageIDs(got); strings.Join(ids, ",") != "cs,g1,g2" {
		t.Errorf("order %v", ids)
	}

	_ = sess.Send(presenceFrom(clock, full, "chat"))
	_ = sess.Send(group("g3", "more chatter"))
	r.send(`<r xmlns='urn:xmpp:sm:3'/>`)
	if got := r.expect(`<a xmlns="urn:xmpp:sm:3"`); strings.Contains(got, "<presence") || strings.Contains(got, "g3") {
		t.Errorf("held stanzas were sent: %q", got)
	}
	r.send(`<active xmlns='urn:xmpp:csi:0'/>`)
	got = r.expect(`id="g3"`)
	if !strings.Contains(got, "<show>chat</show>") {
		t.Errorf("after <active/>: %q", got)
	}
}

// TestCSIMaxHeld: past csi.max_held everything held is flushed.
func TestCSIMaxHeld(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, func(c *Config) { c.CSIMaxHeld = 3 })
	r := dialRaw(t, s)
	r.login("alice", "secret")
	full := r.bind("phone")
	sess := recv(t, a.binds, "Bind")
	r.send(`<enable xmlns='urn:xmpp:sm:3'/><inactive xmlns='urn:xmpp:csi:0'/><r xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<a xmlns="urn:xmpp:sm:3"`)
	for _, n := range []string{"a", "b", "c", "d"} {
		_ = sess.Send(presenceFrom(n+"@"+testDomain+"/bot", full, "away"))
	}
	got := r.expect(`from="d@` + testDomain + `/bot"`)
	if strings.Count(got, "<presence") != 4 {
		t.Errorf("flush past max_held: %q", got)
	}
}
