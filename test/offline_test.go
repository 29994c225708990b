package test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// offlineConfig: a hibernated session times out 5 s after its connection was lost, so
// that the demo contact later's answer (2 s) reaches it and comes back unacknowledged.
const offlineConfig = "[sm]\nenabled = true\nresume_timeout = \"5s\"\nlinger = \"60s\"\n"

// askLaterAndVanish logs user in with stream management, asks the demo contact later,
// loses the connection and waits until the answer is stored for the next login.
func askLaterAndVanish(t *testing.T, s *Server, user, pw, body string) {
	t.Helper()
	c := dialRawXMPP(t, s)
	c.login(user, pw)
	c.bind("phone")
	c.enable()
	c.send(`<presence/>`)
	c.send(`<message to='later@localhost' type='chat' id='q1'><body>` + body + `</body></message>`)
	c.syncAck()
	c.drop()
	s.waitLogLines(t, 1, `"message":"message stored for the next login"`, `"jid":"`+user+`@localhost"`)
}

// expectOffline logs user in again and checks that later's answer arrives after the
// roster, at the initial presence, with the server's <delay/>.
func expectOffline(t *testing.T, s *Server, user, pw, body string) {
	t.Helper()
	c := dialRawXMPP(t, s)
	c.login(user, pw)
	c.bind("laptop")
	c.send(`<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	c.expect(`id="r1"`)
	c.send(`<presence/>`)
	got := c.expect(`<body>later: `+body+`</body>`) + c.expect(`</message>`)
	msg := got[strings.LastIndex(got, "<message"):]
	if !strings.Contains(msg, `<delay xmlns="urn:xmpp:delay" from="localhost" stamp="`) {
		t.Errorf("no <delay/> from the server: %q", msg)
	}
	if !strings.Contains(msg, `from="later@localhost/bot"`) {
		t.Errorf("not from later: %q", msg)
	}
}

// TestOfflineMessageAtNextLogin: a legacy contact answers after the user's client has
// gone; the answer is stored and arrives at the next login with <delay/>.
func TestOfflineMessageAtNextLogin(t *testing.T) {
	s := StartServer(t, offlineConfig)
	pw := s.Password()
	askLaterAndVanish(t, s, "off%demo", pw, "ping one")
	expectOffline(t, s, "off%demo", pw, "ping one")
}

// TestOfflineMessageSurvivesRestart: the same with a daemon restart between the two
// logins (the legacy session does not survive it; the stored message does).
func TestOfflineMessageSurvivesRestart(t *testing.T) {
	s := StartServer(t, offlineConfig)
	pw := s.Password()
	askLaterAndVanish(t, s, "off%demo", pw, "ping two")
	s.Stop()
	s2 := restartServer(t, s)
	s2.secrets = s.secrets
	expectOffline(t, s2, "off%demo", pw, "ping two")
	if !strings.Contains(s2.Log(), `"message":"storage opened"`) || !strings.Contains(s2.Log(), `"driver":"sqlite"`) {
		t.Error("no log line for the storage")
	}
}

// restartServer starts the daemon again with s's configuration and directories, after
// s stopped.
func restartServer(t *testing.T, s *Server) *Server {
	t.Helper()
	n := &Server{t: t, Dir: s.Dir, Port: s.Port, TLSPort: s.TLSPort, log: &syncBuffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(binary, "run", "--config", filepath.Join(s.Dir, "spectrum2.toml"))
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(n.Stop)
	n.waitReady()
	return n
}

// TestOfflineMessageOnOtherHost: two hosts of one domain share a PostgreSQL ([storage]
// driver postgres, as docs/scaling.md says a cluster needs); the message stored on the
// first reaches the user's next login on the second, and the first's status names the
// driver.
func TestOfflineMessageOnOtherHost(t *testing.T) {
	pg := testsrv.StartPostgres(t)
	shared := offlineConfig + "[storage]\ndriver = \"postgres\"\ndsn = \"" + pg.DSN() + "\"\n"
	a := StartServer(t, shared)
	b := StartServer(t, shared)
	askLaterAndVanish(t, a, "roam%demo", a.Password(), "ping three")
	a.Stop() // the first host is gone; the user logs in on the second
	expectOffline(t, b, "roam%demo", b.Password(), "ping three")
	if !strings.Contains(b.Log(), `"driver":"postgres"`) {
		t.Error("no log line for the shared storage")
	}
}
