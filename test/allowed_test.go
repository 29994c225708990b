package test

import (
	"fmt"
	"strings"
	"testing"
)

// TestXMPPLoopbackNotAllowed: without allowed_servers, builtin:xmpp refuses a Prosody on
// loopback before connecting to it. The client, not authenticated, gets a generic SASL
// failure that names no address; the log has the detail.
func TestXMPPLoopbackNotAllowed(t *testing.T) {
	pw := "alice-" + xmppSecret()
	p := StartProsody(t, "alice", pw)
	s := StartServerWith(t, "builtin:xmpp", fmt.Sprintf("[backend_ini.xmpp]\nserver = %q\nca_file = %q\n", p.Addr(), p.CAFile))
	s.secrets = append(s.secrets, pw)
	c, err := s.Dial("alice%"+remoteDomain+"@localhost", pw, "", false)
	if err == nil {
		_ = c.Close()
		t.Fatal("logged in through a loopback server that is not allowed")
	}
	t.Logf("login error: %v", err)
	if !strings.HasPrefix(err.Error(), "auth failure: ") || strings.Contains(err.Error(), p.IP) ||
		strings.Contains(err.Error(), "allowed_servers") {
		t.Errorf("SASL failure %q: want a generic text", err)
	}
	waitLog(t, s, p.IP+", which is not public and not in allowed_servers")
}

// TestIRCPerRoomNotAllowed: per-room mode joins no room on a server allowed_servers does
// not list (here: none); the log says why.
func TestIRCPerRoomNotAllowed(t *testing.T) {
	irc := startIRCd(t, false)
	s := StartServerWith(t, "builtin:irc", "[backend_ini.service]\nirc_away_timeout = 1\n")
	room := `#closed%127.0.0.1\3a` + fmt.Sprint(irc.Port) + "@localhost"
	client := dialMUC(t, s, "nobody@localhost", s.Password(), "r")
	client.send(`<presence to='` + room + `/nobody'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	client.wait("the refused join", presenceFrom(room+"/nobody", "error"))
	waitLog(t, s, "IRC server not in allowed_servers")
}
