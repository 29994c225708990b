package pep

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// fakeUser is a feature.User with one available resource; what is sent is kept.
type fakeUser struct {
	feature.User // methods the feature does not call
	vals         map[any]any
	sent         []*xmpp.Element
	nick         string
	photo        []byte
}

func (f *fakeUser) JID() jid.JID   { return jid.MustParse("al%demo@gw") }
func (f *fakeUser) Domain() string { return "gw" }
func (f *fakeUser) Resources() []feature.Resource {
	return []feature.Resource{{JID: "al%demo@gw/r", Available: true}}
}
func (f *fakeUser) Send(_ string, el *xmpp.Element) bool { f.sent = append(f.sent, el); return true }
func (f *fakeUser) SendAll(el *xmpp.Element)             { f.sent = append(f.sent, el) }
func (f *fakeUser) Value(k any) any                      { return f.vals[k] }
func (f *fakeUser) SetValue(k, v any)                    { f.vals[k] = v }
func (f *fakeUser) SetLegacyProfile(nick string, photo []byte) bool {
	f.nick, f.photo = nick, photo
	return true
}

func newTest(t *testing.T) (*PEP, *fakeUser) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(Config{Store: db}), &fakeUser{vals: map[any]any{}}
}

// iq parses one request and hands it to p.
func iq(t *testing.T, p *PEP, u *fakeUser, s string) string {
	t.Helper()
	el, err := parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	u.sent = nil
	p.HandleIQ(u, "al%demo@gw/r", el, el.Children()[0])
	var out []string
	for _, e := range u.sent {
		out = append(out, e.String())
	}
	return strings.Join(out, "\n")
}

func TestAvatarAndNickToLegacy(t *testing.T) {
	p, u := newTest(t)
	iq(t, p, u, `<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:data'><item id='h1'><data xmlns='urn:xmpp:avatar:data'>aGVsbG8=</data></item></publish></pubsub></iq>`)
	iq(t, p, u, `<iq type='set' id='2'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:avatar:metadata'><item id='h1'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='h1' bytes='5' type='image/png'/></metadata></item></publish></pubsub></iq>`)
	got := iq(t, p, u, `<iq type='set' id='3'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='http://jabber.org/protocol/nick'><item id='current'><nick xmlns='http://jabber.org/protocol/nick'>Al</nick></item></publish></pubsub></iq>`)
	if string(u.photo) != "hello" || u.nick != "Al" {
		t.Errorf("legacy profile %q %q; sent %s", u.nick, u.photo, got)
	}
}

func TestCapsVer(t *testing.T) {
	// XEP-0115 section 5.2's simple example.
	q, err := parse([]byte(`<query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' name='Exodus 0.9.1' type='pc'/><feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query>`))
	if err != nil {
		t.Fatal(err)
	}
	if v := capsVer(q); v != "QgayPKawpkPSDYmwT/WM94uAlu0=" {
		t.Errorf("ver %s", v)
	}
}
