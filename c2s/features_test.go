package c2s

import (
	"strings"
	"testing"
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
