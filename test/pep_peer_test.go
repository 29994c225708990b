package test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
)

// pepPublish is a publish of one item with an access model, as raw XML.
func pepPublish(id, node, item, payload, access string) string {
	return `<iq type='set' id='` + id + `'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='` + node + `'><item id='` + item + `'>` +
		payload + `</item></publish><publish-options><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>` +
		`<field var='pubsub#access_model'><value>` + access + `</value></field></x></publish-options></pubsub></iq>`
}

// pepItemsOf asks to's node for its items and returns the answer.
func (r *rawXMPP) pepItemsOf(id, to, node string) string {
	r.t.Helper()
	r.send(`<iq type='get' id='` + id + `' to='` + to + `'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='` + node + `'/></pubsub></iq>`)
	return r.iq(id)
}

const avatarMeta = `<metadata xmlns='urn:xmpp:avatar:metadata'><info id='%s' bytes='3' type='image/png'/></metadata>`

// TestPEPOtherLocalUsers: two demo users of the server. Bob's presence subscription to
// Alice puts her on his roster (the legacy network's roster is the only subscription
// state between local users): then she reads his presence-model node, is notified of
// his publications on it, gets its last item when a resource logs in, and is refused
// his whitelist node and its notifications; Carol, on nobody's roster, reads only the
// open node. Nobody but the owner publishes.
func TestPEPOtherLocalUsers(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	const bob, alice, carol = "bob%demo@localhost", "alice%demo@localhost", "carol%demo@localhost"
	b := pepLogin(t, s, "bob%demo", pw, "desk", true, true)
	b.sync("b0")
	a := pepLogin(t, s, "alice%demo", pw, "desk", true, false)
	a.sync("a0")
	c := pepLogin(t, s, "carol%demo", pw, "desk", true, false)
	c.sync("c0")

	b.send(pepPublish("p1", "urn:xmpp:avatar:metadata", "one", fill(avatarMeta, "one"), "presence"))
	b.iq("p1")
	if got := a.pepItemsOf("g1", bob, "urn:xmpp:avatar:metadata"); !strings.Contains(got, `type="error"`) ||
		!strings.Contains(got, `<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`) ||
		!strings.Contains(got, `<presence-subscription-required xmlns="http://jabber.org/protocol/pubsub#errors"/>`) {
		t.Errorf("presence node without a subscription: %s", got)
	}
	if got := a.sync("a1"); strings.Contains(got, "pubsub#event") {
		t.Errorf("notified without a subscription: %s", got)
	}

	// Bob shares his presence with Alice: she is on his roster.
	b.send(`<presence type='subscribe' to='` + alice + `'/>`)
	b.expect(`type="subscribed" from="` + alice + `"`)
	b.sync("b1")

	got := a.pepItemsOf("g2", bob, "urn:xmpp:avatar:metadata")
	if !strings.Contains(got, `type="result"`) || !strings.Contains(got, `from="`+bob+`"`) || !strings.Contains(got, `<info id="one"`) {
		t.Errorf("presence node with a subscription: %s", got)
	}
	b.send(pepPublish("p2", "urn:xmpp:avatar:metadata", "two", fill(avatarMeta, "two"), "presence"))
	b.iq("p2")
	ev := a.expect(`<event xmlns="http://jabber.org/protocol/pubsub#event">`) + a.expect(`</message>`)
	if !strings.Contains(ev, `from="`+bob+`"`) || !strings.Contains(ev, `<info id="two"`) {
		t.Errorf("Alice's notification: %s", ev)
	}
	if got := c.sync("c1"); strings.Contains(got, "pubsub#event") {
		t.Errorf("Carol, not on Bob's roster, was notified: %s", got)
	}
	if got := c.pepItemsOf("g3", bob, "urn:xmpp:avatar:metadata"); !strings.Contains(got, `presence-subscription-required`) {
		t.Errorf("Carol read the presence node: %s", got)
	}

	b.send(pepPublish("p3", "urn:test:open", "x", `<x xmlns='urn:test:open'>hello</x>`, "open"))
	b.iq("p3")
	if got := c.pepItemsOf("g4", bob, "urn:test:open"); !strings.Contains(got, `type="result"`) || !strings.Contains(got, `>hello</x>`) {
		t.Errorf("Carol and the open node: %s", got)
	}

	b.send(fill(bookmarkPublish, "p4", "secret@conf.example", "whitelist"))
	b.iq("p4")
	if got := a.pepItemsOf("g5", bob, "urn:xmpp:bookmarks:1"); !strings.Contains(got, `<not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`) ||
		!strings.Contains(got, `<closed-node xmlns="http://jabber.org/protocol/pubsub#errors"/>`) {
		t.Errorf("whitelist node: %s", got)
	}
	if got := a.sync("a2"); strings.Contains(got, "secret@conf.example") {
		t.Errorf("notified of a whitelist node: %s", got)
	}
	if got := a.pepItemsOf("g6", bob, "urn:test:none"); !strings.Contains(got, `<item-not-found`) {
		t.Errorf("a node Bob does not have: %s", got)
	}

	a.send(pepPublish("p5", "urn:test:open", "y", `<x xmlns='urn:test:open'>mine</x>`, "open"))
	a.iq("p5") // her own node
	a.send(strings.Replace(pepPublish("p6", "urn:test:open", "y", `<x xmlns='urn:test:open'>theirs</x>`, "open"), `id='p6'`, `id='p6' to='`+bob+`'`, 1))
	if got := a.iq("p6"); !strings.Contains(got, `<forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`) {
		t.Errorf("publishing on Bob's service: %s", got)
	}
	if got := c.pepItemsOf("g7", bob, "urn:test:open"); strings.Contains(got, "theirs") {
		t.Errorf("Alice's publish landed on Bob's node: %s", got)
	}

	// Alice has Bob on her roster too (rosters of legacy networks are mutual): a new
	// resource of hers gets Bob's last item of the node it wants, not the whitelist one.
	a.send(`<presence type='subscribe' to='` + bob + `'/>`)
	a.expect(`type="subscribed" from="` + bob + `"`)
	a2 := pepLogin(t, s, "alice%demo", pw, "phone", true, false)
	ev = a2.expect(`from="`+bob+`"`) + a2.expect(`</message>`)
	if !strings.Contains(ev, `<items node="urn:xmpp:avatar:metadata"><item id="two">`) {
		t.Errorf("Bob's last item at Alice's login: %s", ev)
	}
	if got := a2.sync("a3"); strings.Contains(got, "secret@conf.example") {
		t.Errorf("a whitelist item at login: %s", got)
	}
}

// TestPEPVCardPhotoPublishesAvatar (XEP-0398, vCard to PEP): a vCard set with a PHOTO
// publishes the image on the avatar data node and its metadata under the image's SHA-1,
// notifies a resource that wants the metadata, and still reaches the legacy network; an
// empty PHOTO removes the avatar.
func TestPEPVCardPhotoPublishesAvatar(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	desk := pepLogin(t, s, "card%demo", pw, "desk", true, true)
	desk.sync("d0")
	phone := pepLogin(t, s, "card%demo", pw, "phone", false, false)
	phone.sync("p0")
	img := []byte("\x89PNG\r\n\x1a\nvcard photo")
	b64 := base64.StdEncoding.EncodeToString(img)
	sum := sha1.Sum(img)
	id := hex.EncodeToString(sum[:])
	phone.send(`<iq type='set' id='v1'><vCard xmlns='vcard-temp'><NICKNAME>Cardy</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>` + b64 + `</BINVAL></PHOTO></vCard></iq>`)
	if got := phone.iq("v1"); !strings.Contains(got, `type="result"`) {
		t.Fatalf("vCard set: %s", got)
	}
	ev := desk.expect(`<items node="urn:xmpp:avatar:metadata">`) + desk.expect(`</message>`)
	want := `<info id="` + id + `" bytes="` + strconv.Itoa(len(img)) + `" type="image/png"/>`
	if !strings.Contains(ev, want) {
		t.Errorf("metadata notification: %s", ev)
	}
	phone.send(`<iq type='get' id='g1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:data'><item id='` + id + `'/></items></pubsub></iq>`)
	if got := phone.iq("g1"); !strings.Contains(got, `<data xmlns="urn:xmpp:avatar:data">`+b64+`</data>`) {
		t.Errorf("avatar data: %s", got)
	}
	phone.send(`<iq type='get' id='v2'><vCard xmlns='vcard-temp'/></iq>`)
	if got := phone.iq("v2"); !strings.Contains(got, `<BINVAL>`+b64+`</BINVAL>`) {
		t.Errorf("the legacy network's vCard: %s", got)
	}

	phone.send(`<iq type='set' id='v3'><vCard xmlns='vcard-temp'><PHOTO/></vCard></iq>`)
	phone.iq("v3")
	phone.send(`<iq type='get' id='g2'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:avatar:metadata'/></pubsub></iq>`)
	if got := phone.iq("g2"); !strings.Contains(got, `<metadata xmlns="urn:xmpp:avatar:metadata"/>`) {
		t.Errorf("metadata after an empty PHOTO: %s", got)
	}
}

// TestPEPConfiguredBounds: the [pep] bounds reach the service: one node more than
// max_nodes gets policy-violation, an item past max_item_bytes payload-too-big, a node
// asking for more than max_items is refused.
func TestPEPConfiguredBounds(t *testing.T) {
	s := StartServer(t, "[pep]\nmax_nodes = 2\nmax_item_bytes = 1024\nmax_items = 3\n")
	c := pepLogin(t, s, "bound%demo", s.Password(), "desk", false, false)
	c.sync("s0")
	for i, n := range []string{"urn:test:a", "urn:test:b"} {
		id := "n" + strconv.Itoa(i)
		c.send(pepPublish(id, n, "x", `<x xmlns='urn:test'/>`, "presence"))
		if got := c.iq(id); !strings.Contains(got, `type="result"`) {
			t.Fatalf("node %s: %s", n, got)
		}
	}
	c.send(pepPublish("n3", "urn:test:c", "x", `<x xmlns='urn:test'/>`, "presence"))
	if got := c.iq("n3"); !strings.Contains(got, `<policy-violation`) {
		t.Errorf("a third node: %s", got)
	}
	c.send(pepPublish("big", "urn:test:a", "y", `<x xmlns='urn:test'>`+strings.Repeat("z", 1100)+`</x>`, "presence"))
	if got := c.iq("big"); !strings.Contains(got, `<payload-too-big xmlns="http://jabber.org/protocol/pubsub#errors"/>`) {
		t.Errorf("an item past max_item_bytes: %s", got)
	}
	c.send(strings.Replace(pepPublish("many", "urn:test:a", "z", `<x xmlns='urn:test'/>`, "presence"),
		`</x></publish-options>`, `<field var='pubsub#max_items'><value>4</value></field></x></publish-options>`, 1))
	if got := c.iq("many"); !strings.Contains(got, `pubsub#max_items is at most 3`) {
		t.Errorf("max_items past the bound: %s", got)
	}
}
