package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// profanity drives Debian's Profanity, a terminal client, in a tmux of its own (its own
// socket, so the test touches no other tmux) with its own HOME.
type profanity struct {
	t    *testing.T
	sock string
	home string
}

func startProfanity(t *testing.T) *profanity {
	t.Helper()
	dir := t.TempDir()
	p := &profanity{t: t, sock: filepath.Join(dir, "tmux.sock"), home: filepath.Join(dir, "home")}
	if err := os.MkdirAll(p.home, 0o700); err != nil {
		t.Fatal(err)
	}
	p.run()
	t.Cleanup(p.stop)
	return p
}

// run starts Profanity in a new tmux server on p.sock.
func (p *profanity) run() {
	p.t.Helper()
	cmd := exec.Command("tmux", "-S", p.sock, "-f", "/dev/null", "new-session", "-d", "-x", "220", "-y", "50",
		"env", "HOME="+p.home, "XDG_CONFIG_HOME="+filepath.Join(p.home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(p.home, ".local/share"), "profanity", "-l", "DEBUG")
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	p.waitPane("first time starting Profanity|Welcome to Profanity|Profanity\\.", 60*time.Second)
}

// stop ends the tmux server of p.sock: by its PID, as every process a test starts.
func (p *profanity) stop() {
	out, err := exec.Command("tmux", "-S", p.sock, "display-message", "-p", "#{pid}").Output()
	if err != nil {
		return // already gone
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && pid > 0 {
		if proc, err := os.FindProcess(pid); err == nil {
			_ = proc.Kill()
		}
	}
}

// keys types a line into Profanity.
func (p *profanity) keys(line string) {
	p.t.Helper()
	if out, err := exec.Command("tmux", "-S", p.sock, "send-keys", "-t", "0", "-l", line).CombinedOutput(); err != nil {
		p.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
	if out, err := exec.Command("tmux", "-S", p.sock, "send-keys", "-t", "0", "Enter").CombinedOutput(); err != nil {
		p.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// pane is what the terminal shows now.
func (p *profanity) pane() string {
	out, _ := exec.Command("tmux", "-S", p.sock, "capture-pane", "-p", "-t", "0", "-S", "-200").Output()
	return string(out)
}

// log is Profanity's debug log.
func (p *profanity) log() string {
	b, _ := os.ReadFile(filepath.Join(p.home, ".local/share/profanity/logs/profanity.log"))
	return string(b)
}

// waitPane waits until the terminal shows a match of pattern and returns the match.
func (p *profanity) waitPane(pattern string, d time.Duration) []string {
	p.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(d)
	for {
		if m := re.FindStringSubmatch(p.pane()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("Profanity never showed %q; the screen:\n%s\nits log:\n%s", pattern, p.pane(), tail(p.log(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitLog waits until Profanity's log has n lines containing s.
func (p *profanity) waitLog(s string, n int, d time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for strings.Count(p.log(), s) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("Profanity's log never had %q %d times:\n%s", s, n, tail(p.log(), 60))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// connect logs in as user (TLS trusted: the server's certificate is self-signed).
func (p *profanity) connect(s *Server, user, password string) {
	p.t.Helper()
	p.keys("/connect " + user + " server 127.0.0.1 port " + strconv.Itoa(s.Port) + " tls trust")
	p.waitPane("Enter password:", 30*time.Second)
	p.keys(password)
	p.waitPane(regexp.QuoteMeta(user)+"/\\S+ logged in successfully", 60*time.Second)
}

// The errors Profanity shows or logs when publishing its OMEMO keys fails (issue 22: it
// printed "cannot publish crypto materials" against a server without PEP).
var profanityPublishErrors = []string{
	"Cannot publish bundle", "Cannot publish devicelist", "definitely cannot publish bundle",
	"cannot configure bundle", "Publishing device list failed", "Unknown error while publishing",
	"Unable to publish own OMEMO device list", "cannot configure device list",
}

// TestProfanityOMEMO: Profanity logs in, generates its OMEMO keys, and publishes its bundle
// and its device list through the server's PEP without an error (issue 22); both are there
// for another local user to fetch (Profanity asks for the open access model), and its next
// login publishes them again without an error.
func TestProfanityOMEMO(t *testing.T) {
	s := StartServer(t, "")
	const alice = "alice%demo@localhost"
	p := startProfanity(t)
	p.connect(s, alice, s.Password())
	// Profanity decides between publishing with publish-options or without from the
	// server's disco#info, which it asks for after the login: a user typing /omemo gen at
	// once would race it (the bundle then goes without options, and Profanity repairs the
	// node's access model on its next publish).
	p.waitLog("Received disco#info response from: localhost", 1, 60*time.Second)
	p.keys("/omemo gen")
	id := p.waitPane(`Your Device ID is (\d+)`, 120*time.Second)[1]
	p.waitLog("[OMEMO] bundle published successfully", 1, 60*time.Second)
	// Fetching the device list before there is one answers item-not-found with the legacy
	// code 404, which is what makes Profanity publish its first device list.
	p.waitPane("Going to publish own device ID: "+id, 60*time.Second)
	p.waitLog(`[OMEMO] Setting device list for `+alice, 1, 60*time.Second)
	for _, bad := range profanityPublishErrors {
		if strings.Contains(p.pane(), bad) || strings.Contains(p.log(), bad) {
			t.Fatalf("Profanity reported %q:\n%s\n%s", bad, p.pane(), tail(p.log(), 60))
		}
	}

	// Carol is on nobody's roster: she reads the nodes only because their access model
	// is open, as Profanity's publish-options asked.
	c := pepLogin(t, s, "carol%demo", s.Password(), "desk", false, false)
	list := c.pepItemsOf("dl", alice, "eu.siacs.conversations.axolotl.devicelist")
	if !strings.Contains(list, `type="result"`) || !strings.Contains(list, `<device id="`+id+`"`) {
		t.Fatalf("Alice's device list, read by Carol: %s", list)
	}
	bundle := c.pepItemsOf("bu", alice, "eu.siacs.conversations.axolotl.bundles:"+id)
	for _, want := range []string{`type="result"`, `<identityKey>`, `<signedPreKeyPublic`, `<preKeyPublic`} {
		if !strings.Contains(bundle, want) {
			t.Fatalf("Alice's bundle, read by Carol, lacks %s: %s", want, bundle)
		}
	}

	// Profanity again, with its keys on disk: it publishes them at login.
	p.keys("/quit")
	time.Sleep(time.Second)
	p.stop()
	p.run()
	p.connect(s, alice, s.Password())
	p.waitLog("[OMEMO] bundle published successfully", 2, 60*time.Second)
	for _, bad := range append(profanityPublishErrors, "cannot publish crypto materials") {
		if strings.Contains(p.pane(), bad) {
			t.Fatalf("Profanity's second login showed %q:\n%s", bad, p.pane())
		}
	}
}
