package c2s

import (
	"strings"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"
)

// testRedirector sends bob elsewhere and records what it was asked.
type testRedirector struct {
	mu    sync.Mutex
	asked []string
}

func (r *testRedirector) Redirect(user jid.JID, ip string, direct bool) (string, bool) {
	r.mu.Lock()
	r.asked = append(r.asked, user.String()+" "+ip)
	r.mu.Unlock()
	if user.Localpart() == "bob" {
		return "xmpp2.example.test:5222", true
	}
	return "", false
}

// A user another host owns gets see-other-host naming it, before any legacy login; the
// others log in here.
func TestSeeOtherHost(t *testing.T) {
	a := newTestAuth()
	red := &testRedirector{}
	s := testServer(t, a, func(c *Config) { c.Redirector = red })

	r := dialRaw(t, s)
	r.secure()
	r.auth(plain("", "bob", "hunter2"))
	got := r.expect("</stream:stream>")
	want := `<stream:error><see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">xmpp2.example.test:5222</see-other-host></stream:error></stream:stream>`
	if !strings.HasSuffix(got, want) {
		t.Fatalf("got %q, want it to end with %q", got, want)
	}
	a.mu.Lock()
	n := len(a.attempts)
	a.mu.Unlock()
	if n != 0 {
		t.Fatalf("the Authenticator ran %d times for a redirected user", n)
	}

	r2 := dialRaw(t, s)
	r2.login("alice", "secret")
	r2.bind("r")
	red.mu.Lock()
	defer red.mu.Unlock()
	if len(red.asked) != 2 || red.asked[0] != "bob@example.test 127.0.0.1" || red.asked[1] != "alice@example.test 127.0.0.1" {
		t.Fatalf("redirector asked %q", red.asked)
	}
}
