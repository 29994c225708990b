package test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// TestConsoleLogForNewcomer runs the daemon as `make run` does (console format), logs a
// user in and stops it with SIGTERM: the log opens with the block of where to connect,
// how to log in and which certificate is shown (its SHA-256 as a client shows it); its
// timestamps have milliseconds; a backend's lines are embedded once; the clean stop logs
// no warning.
func TestConsoleLogForNewcomer(t *testing.T) {
	s := StartWithConfig(t, func(s *Server) string { return demoConfig(s, s.Dir, "console") })
	c := s.MustDial("alice%demo@localhost", s.Password(), "r")
	in := Listen(c)
	if _, err := c.SendPresence(xmpp.Presence{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(xmpp.Chat{Remote: "echo@localhost", Type: "chat", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the echo", 30*time.Second, xmppChat("echo@localhost", "chat", "hello"))
	s.Stop()
	log := s.Log()

	for _, want := range []string{
		fmt.Sprintf("127.0.0.1:%d (STARTTLS), 127.0.0.1:%d (direct TLS)", s.Port, s.TLSPort),
		"alice%demo@localhost",
		"self-signed, generated in " + filepath.Join(s.Dir, "data") + "/cert.pem, for localhost",
		"SHA-256 " + certFingerprint(t, filepath.Join(s.Dir, "data", "cert.pem")),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the start-up block lacks %q", want)
		}
	}
	stamp := regexp.MustCompile(`\d\d:\d\d:\d\d\.(\d{3}) (TRC|DBG|INF|WRN|ERR)`)
	fractions := map[string]bool{}
	for line := range strings.Lines(log) {
		m := stamp.FindAllStringSubmatch(line, -1)
		if len(m) > 1 {
			t.Errorf("a record nested in another: %s", line)
		}
		if len(m) == 1 {
			fractions[m[0][1]] = true
		}
		if strings.Contains(line, " WRN ") || strings.Contains(line, " ERR ") {
			t.Errorf("a warning in a clean run: %s", line)
		}
	}
	if len(fractions) < 2 {
		t.Errorf("timestamps without milliseconds: %v", fractions)
	}
	for _, want := range []string{"INF EXIT from the daemon", `backend process ended backend=backend-1 component=pluginserver pid=`, `status="exit status 0"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// certFingerprint is the SHA-256 of the PEM certificate in path, as clients show it.
func certFingerprint(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(block.Bytes)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
