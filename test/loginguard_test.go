package test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// dialBoth logs user in with the wrong and the right password at the same time, from two
// real clients, and returns their errors.
func dialBoth(t *testing.T, s *Server, user, right, wrong string) (wrongErr, rightErr error) {
	t.Helper()
	var wg sync.WaitGroup
	var good *xmpp.Client
	wg.Go(func() {
		c, err := s.Dial(user, wrong, "w", false)
		if err == nil {
			c.Close()
		}
		wrongErr = err
	})
	wg.Go(func() { good, rightErr = s.Dial(user, right, "r", false) })
	wg.Wait()
	if good != nil {
		CloseClient(t, good)
	}
	return wrongErr, rightErr
}

// TestConcurrentLoginsDemo: a login with a wrong password under way does not fail one
// with the right password made at the same time (issue 18), in either order.
func TestConcurrentLoginsDemo(t *testing.T) {
	s := StartServer(t, "[limits]\nlogin_backoff = \"100ms\"\n[demo]\nslow_login_delay = \"2s\"\n")
	for range 3 {
		wrongErr, rightErr := dialBoth(t, s, "dan%demo@localhost", s.Password(), "wrong")
		if rightErr != nil {
			t.Fatalf("the right password failed beside a wrong one: %v", rightErr)
		}
		if wrongErr == nil {
			t.Fatal("the password 'wrong' logged in")
		}
	}
	// The right password's login is slow: the wrong one waits for it, then fails.
	right := make(chan error, 1)
	go func() {
		c, err := s.Dial("slowdan%demo@localhost", s.Password(), "r", false)
		if err == nil {
			CloseClient(t, c)
		}
		right <- err
	}()
	s.waitLogLines(t, 1, "slowdan", "LOGIN")
	if _, err := s.Dial("slowdan%demo@localhost", "wrong", "w", false); err == nil || !strings.Contains(err.Error(), "not-authorized") {
		t.Errorf("wrong password beside a pending right one: %v, want not-authorized", err)
	}
	if err := <-right; err != nil {
		t.Errorf("the slow right login failed: %v", err)
	}
}

// TestConcurrentLoginsXMPP: the same against a real server: Prosody through builtin:xmpp,
// which refuses the wrong password itself.
func TestConcurrentLoginsXMPP(t *testing.T) {
	pw := "carol-" + xmppSecret()
	p := StartProsody(t, "carol", pw)
	s := startXMPPGateway(t, p, pw)
	for range 2 {
		wrongErr, rightErr := dialBoth(t, s, "carol%"+remoteDomain+"@localhost", pw, "wrong-"+pw)
		if rightErr != nil {
			t.Fatalf("the right password failed beside a wrong one: %v", rightErr)
		}
		if wrongErr == nil {
			t.Fatal("a wrong password logged in")
		}
	}
}

// failLogin makes one login that must fail and returns its error and how long the answer took.
func failLogin(t *testing.T, s *Server, user, password string) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	c, err := s.Dial(user, password, "", false)
	if err == nil {
		c.Close()
		t.Fatalf("%s logged in with %q", user, password)
	}
	return err, time.Since(start)
}

const lockedText = "too many failed logins"

// TestLoginBackoffAndLockout: the answers to failed logins wait for a growing back-off,
// and past limits.login_failures the account is refused with temporary-auth-failure
// without asking the legacy network, even with the right password.
func TestLoginBackoffAndLockout(t *testing.T) {
	s := StartServer(t, "[limits]\nlogin_failures = 3\nlogin_backoff = \"400ms\"\n")
	for i, min := range []time.Duration{400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond} {
		err, took := failLogin(t, s, "bob%demo@localhost", "wrong")
		if !strings.Contains(err.Error(), "The legacy server refused the login.") || took < min {
			t.Errorf("failure %d: %v after %v, want the legacy refusal after at least %v", i+1, err, took, min)
		}
	}
	s.waitLogLines(t, 3, "legacy login refused")
	err, _ := failLogin(t, s, "bob%demo@localhost", s.Password())
	if !strings.Contains(err.Error(), lockedText) {
		t.Errorf("past the threshold: %v, want temporary-auth-failure", err)
	}
	s.waitLogLines(t, 4, "login failed")
	if n := s.logLines("legacy login refused"); n != 3 {
		t.Errorf("the legacy network was asked %d times, want 3", n)
	}
}

// TestLiveSessionNoOracle: a second login of a connected user is checked against the
// live session's password at once, but its failures wait and count like any other.
func TestLiveSessionNoOracle(t *testing.T) {
	s := StartServer(t, "[limits]\nlogin_failures = 2\nlogin_backoff = \"500ms\"\n")
	loginEchoOnce(t, s, "erin%demo@localhost")
	for i := range 2 {
		err, took := failLogin(t, s, "erin%demo@localhost", "guess")
		if !strings.Contains(err.Error(), "not-authorized") || took < 500*time.Millisecond {
			t.Errorf("guess %d: %v after %v, want not-authorized after the back-off", i+1, err, took)
		}
	}
	if err, _ := failLogin(t, s, "erin%demo@localhost", s.Password()); !strings.Contains(err.Error(), lockedText) {
		t.Errorf("past the threshold: %v, want temporary-auth-failure", err)
	}
}

// TestAdminPasswordBackoff: admin_password goes through the same back-off and threshold.
func TestAdminPasswordBackoff(t *testing.T) {
	s, pw := adminServer(t, "[limits]\nlogin_failures = 2\nlogin_backoff = \"500ms\"\n")
	for i := range 2 {
		err, took := failLogin(t, s, "admin@localhost", "guess")
		if !strings.Contains(err.Error(), "not-authorized") || took < 500*time.Millisecond {
			t.Errorf("guess %d: %v after %v, want not-authorized after the back-off", i+1, err, took)
		}
	}
	if err, _ := failLogin(t, s, "admin@localhost", pw); !strings.Contains(err.Error(), lockedText) {
		t.Errorf("past the threshold: %v, want temporary-auth-failure", err)
	}
}

// TestSIGHUPRevokesAdmin: removing the administrator from admin_jid and sending SIGHUP
// ends the live admin session at once; an administrator still listed keeps theirs.
func TestSIGHUPRevokesAdmin(t *testing.T) {
	s, pw := adminServer(t, "")
	path := filepath.Join(s.Dir, "spectrum2.toml")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	twoAdmins := strings.Replace(string(cfg), `admin_jid = "admin@localhost"`, `admin_jid = ["admin@localhost", "root@localhost"]`, 1)
	writeAtomic(t, path, []byte(twoAdmins))
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLogLines(t, 1, "reload", "service.admin_jid")
	root, inRoot := dialListen(t, s, "root@localhost", pw)
	a, in := dialListen(t, s, "admin@localhost", pw)
	if got := ask(t, a, in, "online_users_count"); got != "0" {
		t.Fatalf("online_users_count = %q", got)
	}
	writeAtomic(t, path, []byte(strings.Replace(twoAdmins, `"admin@localhost", `, "", 1)))
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := streamEnd(in, opsWait); err != nil && !strings.Contains(err.Error(), "administrator rights were withdrawn") {
		t.Fatalf("the revoked admin's stream: %v", err)
	}
	s.waitLogLines(t, 1, "administrator rights withdrawn", "admin@localhost")
	if got := ask(t, root, inRoot, "online_users_count"); got != "0" {
		t.Errorf("the remaining admin: online_users_count = %q", got)
	}
}
