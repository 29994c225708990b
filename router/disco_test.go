package router

import (
	"slices"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// identities lists category/type of the identities of a disco#info result.
func identities(el *xmpp.Element) []string {
	var out []string
	if q := el.Child(xmpp.NSDiscoInfo, "query"); q != nil {
		for _, c := range q.Children() {
			if c.Is(xmpp.NSDiscoInfo, "identity") {
				out = append(out, c.Attr("category")+"/"+c.Attr("type"))
			}
		}
	}
	return out
}

// TestServerIdentities: the domain is the gateway and the users' server (server/im).
func TestServerIdentities(t *testing.T) {
	tests := []struct {
		name      string
		cat, typ  string
		want      []string
		configure bool
	}{
		{"default", "", "", []string{"gateway/xmpp", "server/im"}, false},
		{"configured", "gateway", "irc", []string{"gateway/irc", "server/im"}, true},
		{"configured as server/im", "server", "im", []string{"server/im"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				if tc.configure {
					c.IdentityCategory, c.IdentityType = tc.cat, tc.typ
				}
			})
			tr, h := e.connect(bob, secret, "a")
			send(t, h, `<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
			res := tr.wait(t, "server info", isRosterResult("d1"))
			if got := identities(res); !slices.Equal(got, tc.want) {
				t.Fatalf("identities %q, want %q: %s", got, tc.want, res)
			}
		})
	}
}

// TestIQToForeignDomain: without s2s an IQ to another domain cannot reach it (RFC 6120
// 8.3.3.15), whatever its payload; results and errors to it are dropped.
func TestIQToForeignDomain(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect(bob, secret, "a")
	for _, iq := range []string{
		`<iq type='get' id='f1' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>`,
		`<iq type='get' id='f2' to='juliet@example.org/balcony'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
		`<iq type='set' id='f3' to='example.org'><query xmlns='urn:example:unknown'/></iq>`,
	} {
		send(t, h, iq)
	}
	for _, id := range []string{"f1", "f2", "f3"} {
		el := tr.wait(t, id, func(el *xmpp.Element) bool { return el.ID() == id })
		if el.Type() != "error" || errCond(el) != "remote-server-not-found" {
			t.Fatalf("%s: %s", id, el)
		}
	}
	send(t, h, `<iq type='result' id='f4' to='example.org'/>`)
	send(t, h, `<iq type='get' id='f5' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	tr.wait(t, "ping after the result", isRosterResult("f5"))
	if tr.has(func(el *xmpp.Element) bool { return el.ID() == "f4" }) {
		t.Fatal("a result to another domain was answered")
	}
}
