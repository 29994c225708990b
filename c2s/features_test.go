package c2s

import (
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// TestRosterVersioningAdvertised: RFC 6121 2.6.1: a server that supports roster
// versioning says so in the stream features offered with bind; clients that follow the
// RFC send ver only when they saw it. The router implements versioning for every backend,
// so the feature is static.
func TestRosterVersioningAdvertised(t *testing.T) {
	r := dialRaw(t, testServer(t, newTestAuth(), nil))
	pre := r.secure()
	if strings.Contains(pre, "rosterver") {
		t.Errorf("roster versioning offered before SASL: %q", pre)
	}
	r.auth(plain("", "alice", "secret"))
	r.expect("<success")
	if feats := r.open(); !strings.Contains(feats, `<ver xmlns="urn:xmpp:features:rosterver"/>`) {
		t.Errorf("features after SASL: %q", feats)
	}
}

// TestServerFeaturesOffered: Config.StreamFeatures (the router's server features) are
// offered after SASL, beside our own, and not before.
func TestServerFeaturesOffered(t *testing.T) {
	c := xmpp.New("http://jabber.org/protocol/caps", "c", "hash", "sha-1", "node", "n", "ver", "v")
	s := testServer(t, newTestAuth(), func(cfg *Config) {
		cfg.StreamFeatures = func() []*xmpp.Element { return []*xmpp.Element{c.Clone()} }
	})
	for range 2 { // each stream asks again
		r := dialRaw(t, s)
		if pre := r.secure(); strings.Contains(pre, "caps") {
			t.Errorf("server features offered before SASL: %q", pre)
		}
		r.auth(plain("", "alice", "secret"))
		r.expect("<success")
		if feats := r.open(); !strings.Contains(feats, `<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/>`) ||
			!strings.Contains(feats, "<bind") {
			t.Errorf("features after SASL: %q", feats)
		}
	}
}
