package testsrv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// InspIRCdModules are the IRCv3 modules of Debian's InspIRCd 3 that StartInspIRCd loads:
// capability negotiation, message tags (msgid, client-only tags such as +draft/reply and
// +draft/react, TAGMSG), server-time, echo-message, batches and labeled responses.
// InspIRCd 3 has no draft/message-redaction.
var InspIRCdModules = []string{"cap", "ircv3", "ircv3_msgid", "ircv3_ctctags", "ircv3_servertime",
	"ircv3_echomessage", "ircv3_capnotify", "ircv3_batch", "ircv3_labeledresponse"}

// InspIRCd is a real InspIRCd 3, an IRC server with the IRCv3 message tags, started by a
// test on 127.0.0.1 (ngircd, StartIRCd, is the server without them).
type InspIRCd struct {
	t    testing.TB
	dir  string
	conf string
	Port int
	proc process
}

// StartInspIRCd writes an InspIRCd configuration into a temporary directory and runs
// `inspircd --nofork --config CONFIG`; it is stopped by PID when the test ends.
func StartInspIRCd(t testing.TB) *InspIRCd {
	t.Helper()
	dir := t.TempDir()
	s := &InspIRCd{t: t, dir: dir, conf: filepath.Join(dir, "inspircd.conf")}
	if err := os.WriteFile(filepath.Join(dir, "motd"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	// As for ngircd: a port found free may be taken before InspIRCd binds it.
	for attempt := 1; ; attempt++ {
		s.Port = FreePort(t)
		if err := os.WriteFile(s.conf, []byte(s.config()), 0o644); err != nil {
			t.Fatal(err)
		}
		err := s.start()
		if err == nil {
			return s
		}
		s.Stop()
		if attempt == 3 {
			t.Fatalf("inspircd: %v (log: %s)", err, s.log())
		}
	}
}

// config is the whole configuration: one client port, no DNS or ident lookups (nothing
// leaves loopback), limits high enough for a test's bursts, the IRCv3 modules.
func (s *InspIRCd) config() string {
	c := fmt.Sprintf(`<server name="irc.test" description="test server" network="Test">
<admin name="test" nick="test" email="test@irc.test">
<bind address="127.0.0.1" port="%d" type="clients">
<connect allow="*" timeout="60" threshold="1000" pingfreq="300" hardsendq="1048576" softsendq="65536" recvq="65536" localmax="1000" globalmax="1000" commandrate="100000" fakelag="no" resolvehostnames="no" useident="no">
<path configdir="%[2]s" datadir="%[2]s" logdir="%[2]s">
<pid file="%[2]s/inspircd.pid">
<files motd="%[2]s/motd">
<dns server="127.0.0.1" timeout="1">
<options prefixquit="Quit: " syntaxhints="no">
<security maxtargets="20">
<performance softlimit="1024" somaxconn="128">
<limits maxnick="30">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="inspircd.log">
`, s.Port, s.dir)
	for _, m := range InspIRCdModules {
		c += `<module name="` + m + `">` + "\n"
	}
	return c
}

// Addr is the client address.
func (s *InspIRCd) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

func (s *InspIRCd) start() error {
	// --runasroot: InspIRCd refuses root otherwise, and the CI runs tests as root; it only
	// listens on loopback and reads its own temporary directory.
	cmd := exec.Command("inspircd", "--nofork", "--runasroot", "--config", s.conf)
	cmd.Dir = s.dir
	if err := s.proc.start(cmd); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := probeIRC(s.Addr())
		if err == nil {
			return nil
		}
		if !s.proc.running() {
			return fmt.Errorf("inspircd exited at start (%v)", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("inspircd does not answer on %s: %w", s.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// log is InspIRCd's log file, for a failure message.
func (s *InspIRCd) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "inspircd.log"))
	return string(b)
}

// Stop ends InspIRCd by its PID and waits for it.
func (s *InspIRCd) Stop() { s.proc.stop(10 * time.Second) }
