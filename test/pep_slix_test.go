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

// TestPEPSlixmpp: slixmpp's own plugins against the PEP service (testdata/pep_client.py):
// xep_0030 disco#info of the account, xep_0223 and xep_0060 publish and retrieve,
// xep_0048 bookmarks over xep_0049 kept in sync with Bookmarks 2 (raw XML: slixmpp 1.8.3
// has no xep_0402), xep_0163 interests and notifications, xep_0084 avatars, xep_0153
// vCard avatars published as XEP-0084.
func TestPEPSlixmpp(t *testing.T) {
	s := StartServer(t, "")
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "pep_client.py"),
		"--jid", "slixpep%demo@localhost", "--port", strconv.Itoa(s.Port), "--ca", ca)
	cmd.Env = append(os.Environ(), "PEP_PASSWORD="+s.Password())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "PEP-SLIX-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
}
