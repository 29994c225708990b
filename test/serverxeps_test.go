package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serverXEPsConfig sets XEP-0157 contact addresses.
const serverXEPsConfig = `abuse_addresses = ["mailto:abuse@localhost", "xmpp:abuse@localhost"]
support_addresses = ["https://localhost/help"]
`

// TestServerXEPsSlixmpp: slixmpp's own plugins against the server: blocking (xep_0191),
// entity time (xep_0202), uptime (xep_0012), contact addresses (xep_0128) and the
// server's caps in the stream features checked with xep_0115's hash
// (testdata/server_xeps.py).
func TestServerXEPsSlixmpp(t *testing.T) {
	s := StartServer(t, serverXEPsConfig)
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "server_xeps.py"),
		"--jid", "xeps%demo@localhost", "--port", strconv.Itoa(s.Port), "--ca", ca)
	cmd.Env = append(os.Environ(), "XEPS_PASSWORD="+s.Password())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "SERVER-XEPS-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
}

// TestServerCapsInStreamFeatures: the <c/> after SASL, and disco#info of its node
// answers like the server's own.
func TestServerCapsInStreamFeatures(t *testing.T) {
	s := StartServer(t, "")
	c := dialRawXMPP(t, s)
	feats := c.login("caps%demo", s.Password())
	i := strings.Index(feats, `<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="spectrum" ver="`)
	if i < 0 {
		t.Fatalf("no server caps in the stream features: %q", feats)
	}
	ver := feats[i:]
	ver = ver[strings.Index(ver, `ver="`)+5:]
	ver = ver[:strings.Index(ver, `"`)]
	c.bind("r")
	c.send(`<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='spectrum#` + ver + `'/></iq>`)
	if got := c.iq("d1"); !strings.Contains(got, `type="result"`) || !strings.Contains(got, "urn:xmpp:blocking") {
		t.Errorf("disco#info of the caps node: %q", got)
	}
}
