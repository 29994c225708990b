package test

import (
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
	"testing"
)

// pepCapsFeatures are what the raw clients below advertise in their caps: interest in
// Bookmarks 2 (XEP-0402) and the avatar metadata (XEP-0084).
var pepCapsFeatures = []string{"http://jabber.org/protocol/disco#info", "urn:xmpp:bookmarks:1+notify", "urn:xmpp:avatar:metadata+notify"}

// pepCapsVer is the XEP-0115 verification string of client/pc//raw and pepCapsFeatures.
func pepCapsVer() string {
	f := append([]string(nil), pepCapsFeatures...)
	sort.Strings(f)
	s := "client/pc//raw<" + strings.Join(f, "<") + "<"
	sum := sha1.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// pepLogin logs in a raw client; with caps it sends a presence carrying them and answers
// the server's disco#info question (the first time the server meets the string).
func pepLogin(t *testing.T, s *Server, user, pw, res string, caps, asked bool) *rawXMPP {
	t.Helper()
	c := dialRawXMPP(t, s)
	c.login(user, pw)
	c.bind(res)
	if !caps {
		c.send(`<presence/>`)
		return c
	}
	c.send(`<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:test' ver='` + pepCapsVer() + `'/></presence>`)
	if asked {
		q := c.expect(`<query xmlns="http://jabber.org/protocol/disco#info" node="urn:test#` + pepCapsVer() + `"`)
		id := q[strings.LastIndex(q, `id="`)+4:]
		id = id[:strings.IndexByte(id, '"')]
		var b strings.Builder
		b.WriteString(`<iq type='result' id='` + id + `' to='` + user + `@localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='urn:test#` + pepCapsVer() + `'><identity category='client' type='pc' name='raw'/>`)
		for _, f := range pepCapsFeatures {
			b.WriteString(`<feature var='` + f + `'/>`)
		}
		b.WriteString(`</query></iq>`)
		c.send(b.String())
	}
	return c
}

// sync sends a ping to the account and returns everything read up to its answer: what
// the server sent before it is in there.
func (r *rawXMPP) sync(id string) string {
	r.t.Helper()
	r.send(`<iq type='get' id='` + id + `'><ping xmlns='urn:xmpp:ping'/></iq>`)
	return r.expect(`id="` + id + `"`)
}

const bookmarkPublish = `<iq type='set' id='%s'><pubsub xmlns='http://jabber.org/protocol/pubsub'>
<publish node='urn:xmpp:bookmarks:1'><item id='%s'><conference xmlns='urn:xmpp:bookmarks:1' name='The Room' autojoin='true'><nick>al</nick></conference></item></publish>
<publish-options><x xmlns='jabber:x:data' type='submit'>
<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>
<field var='pubsub#persist_items'><value>true</value></field>
<field var='pubsub#access_model'><value>%s</value></field>
<field var='pubsub#max_items'><value>max</value></field>
<field var='pubsub#send_last_published_item'><value>never</value></field>
</x></publish-options></pubsub></iq>`

// TestPEPBookmarksSync: the account is a PEP service; a bookmark published from one
// resource reaches another that wants it, is in the XEP-0048 private-XML view, a
// publish-options mismatch is refused, a private-XML set shows on the node, and the
// last item goes at login only to a resource whose caps ask for it, also after a restart.
func TestPEPBookmarksSync(t *testing.T) {
	s := StartServer(t, "")
	const user = "book%demo"
	pw := s.Password()
	desk := pepLogin(t, s, user, pw, "desk", true, true)
	desk.sync("d0")
	phone := pepLogin(t, s, user, pw, "phone", false, false)

	phone.send(`<iq type='get' id='di'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	info := phone.expect(`id="di"`) + phone.expect(`</iq>`)
	for _, want := range []string{`category="account" type="registered"`, `category="pubsub" type="pep"`,
		`var="http://jabber.org/protocol/pubsub#publish-options"`, `var="http://jabber.org/protocol/pubsub#auto-create"`,
		`var="http://jabber.org/protocol/pubsub#access-whitelist"`, `var="http://jabber.org/protocol/pubsub#last-published"`} {
		if !strings.Contains(info, want) {
			t.Errorf("account disco#info lacks %s: %s", want, info)
		}
	}

	phone.send(fill(bookmarkPublish, "p1", "room@conf.example", "whitelist"))
	if got := phone.expect(`id="p1"`) + phone.expect(`</iq>`); !strings.Contains(got, `<item id="room@conf.example"`) {
		t.Errorf("publish result: %s", got)
	}
	ev := desk.expect(`<event xmlns="http://jabber.org/protocol/pubsub#event">`) + desk.expect(`</message>`)
	if !strings.Contains(ev, `<item id="room@conf.example"><conference xmlns="urn:xmpp:bookmarks:1"`) || !strings.Contains(ev, `<nick>al</nick>`) {
		t.Errorf("desk's notification: %s", ev)
	}

	phone.send(`<iq type='get' id='pr1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	if got := phone.expect(`id="pr1"`) + phone.expect(`</iq>`); !strings.Contains(got, `<conference jid="room@conf.example" name="The Room" autojoin="true"><nick>al</nick></conference>`) {
		t.Errorf("private XML view: %s", got)
	}

	phone.send(fill(bookmarkPublish, "p2", "other@conf.example", "open"))
	if got := phone.expect(`id="p2"`) + phone.expect(`</iq>`); !strings.Contains(got, `<conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`) ||
		!strings.Contains(got, `<precondition-not-met xmlns="http://jabber.org/protocol/pubsub#errors"/>`) {
		t.Errorf("publish-options mismatch: %s", got)
	}

	phone.send(`<iq type='set' id='pr2'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>` +
		`<conference jid='room@conf.example' name='The Room' autojoin='true'><nick>al</nick></conference>` +
		`<conference jid='old@conf.example' name='Old Client'/></storage></query></iq>`)
	phone.expect(`id="pr2"`)
	ev = desk.expect(`<item id="old@conf.example">`) + desk.expect(`</message>`)
	if !strings.Contains(ev, `autojoin="false"`) || !strings.Contains(ev, `name="Old Client"`) || strings.Contains(ev, `<item id="room@conf.example">`) {
		t.Errorf("notification of the private-XML bookmark: %s", ev)
	}

	s.Stop()
	s2 := restartServer(t, s)
	s2.secrets = s.secrets
	plain := pepLogin(t, s2, user, pw, "plain", false, false)
	if got := plain.sync("s1"); strings.Contains(got, "pubsub#event") {
		t.Errorf("a resource without +notify got events: %s", got)
	}
	laptop := pepLogin(t, s2, user, pw, "laptop", true, true)
	ev = laptop.expect(`<event xmlns="http://jabber.org/protocol/pubsub#event">`) + laptop.expect(`</message>`)
	if !strings.Contains(ev, `<items node="urn:xmpp:bookmarks:1"><item id="old@conf.example">`) {
		t.Errorf("last item at login: %s", ev)
	}
	plain.send(`<iq type='get' id='it'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`)
	got := plain.expect(`id="it"`) + plain.expect(`</iq>`)
	if !strings.Contains(got, `<item id="room@conf.example">`) || !strings.Contains(got, `<item id="old@conf.example">`) {
		t.Errorf("items after the restart: %s", got)
	}
}

// fill puts id, item id and access model into bookmarkPublish.
func fill(tmpl string, args ...string) string {
	for _, a := range args {
		tmpl = strings.Replace(tmpl, "%s", a, 1)
	}
	return tmpl
}

// TestPEPAvatarReachesBackend: an avatar published on the XEP-0084 nodes reaches the demo
// network as the own-vCard update: the own vCard then carries the photo.
func TestPEPAvatarReachesBackend(t *testing.T) {
	s := StartServer(t, "")
	c := pepLogin(t, s, "pic%demo", s.Password(), "desk", false, false)
	c.expect(`<presence from="echo@localhost/bot"`)
	img := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nnot really a picture"))
	c.send(`<iq type='set' id='a1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:data'>` +
		`<item id='abc123'><data xmlns='urn:xmpp:avatar:data'>` + img + `</data></item></publish></pubsub></iq>`)
	c.expect(`id="a1"`)
	c.send(`<iq type='set' id='a2'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'>` +
		`<item id='abc123'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='abc123' bytes='27' type='image/png'/></metadata></item></publish></pubsub></iq>`)
	c.expect(`id="a2"`)
	c.send(`<iq type='set' id='n1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='http://jabber.org/protocol/nick'>` +
		`<item id='current'><nick xmlns='http://jabber.org/protocol/nick'>Picasso</nick></item></publish></pubsub></iq>`)
	c.expect(`id="n1"`)
	c.send(`<iq type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>`)
	got := c.expect(`id="v1"`) + c.expect(`</iq>`)
	if !strings.Contains(got, `<BINVAL>`+img+`</BINVAL>`) || !strings.Contains(got, `<NICKNAME>Picasso</NICKNAME>`) {
		t.Errorf("own vCard after publishing the avatar: %s", got)
	}
}
