package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rawBackend installs testdata/rawbackend.py with its protoc-generated module and returns
// the script's path, for service.backend.
func rawBackend(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	protoc := exec.Command("protoc", "--python_out="+dir, "-I", "../protocol", "pbnetwork.proto")
	if out, err := protoc.CombinedOutput(); err != nil {
		t.Fatalf("protoc (apt-get install protobuf-compiler): %v\n%s", err, out)
	}
	src, err := os.ReadFile("testdata/rawbackend.py")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "rawbackend.py")
	if err := os.WriteFile(script, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestRawXMLReachesOnlyItsUser: a raw-XML backend (an external Python process) that sends
// RAW_XML for a user another backend serves, or with a from outside its user's legacy
// side, reaches no one; what it sends its own user from the legacy domain arrives (issue 18).
func TestRawXMLReachesOnlyItsUser(t *testing.T) {
	s := StartServerWith(t, rawBackend(t), "users_per_backend = 1\n")
	alice := s.MustDial("alice%legacy.net@localhost", "x", "a")
	aliceIn := Listen(alice)
	xmppSend(t, alice, `<presence/>`)
	bob := s.MustDial("bob%legacy.net@localhost", "x", "b")
	bobIn := Listen(bob)
	xmppSend(t, bob, `<presence/>`)

	xmppSend(t, alice, `<message to='x\40legacy.net@localhost' type='chat'><body>spoof</body></message>`)
	if n := xmppCountUntil(t, aliceIn, xmppChat("", "chat", "foreign from"), xmppChat(`x\40legacy.net@localhost`, "chat", "sentinel")); n != 0 {
		t.Errorf("alice got %d messages with a foreign from", n)
	}
	// bob's own backend answers bob after alice's backend tried to reach him.
	xmppSend(t, bob, `<message to='x\40legacy.net@localhost' type='chat'><body>ping</body></message>`)
	if n := xmppCountUntil(t, bobIn, xmppChat("", "chat", "to bob"), xmppChat(`x\40legacy.net@localhost`, "chat", "pong")); n != 0 {
		t.Errorf("bob got %d messages from a backend that does not serve him", n)
	}
	for _, want := range []string{"dropping RAW_XML about a user this backend does not serve", `"reason":"from"`} {
		if !strings.Contains(s.Log(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
