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

// TestExtensionsSlixmpp (issue 24): corrections, reactions, retractions and replies both
// ways between slixmpp's xep_0308, xep_0444, xep_0424 and xep_0461 and the demo's echo,
// through the real binary (testdata/extensions_client.py); after a reconnect, a reaction
// and a correction to messages read from the archive (MAM, each with its stanza-id) by
// their ids reach echo's copy and come back on the user's original.
func TestExtensionsSlixmpp(t *testing.T) {
	s := StartServer(t, "")
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "extensions_client.py"),
		"--jid", "slixext%demo@localhost/phone", "--port", strconv.Itoa(s.Port), "--ca", ca)
	cmd.Env = append(os.Environ(), "EXT_PASSWORD="+s.Password())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "EXT-LIVE-OK") || !strings.Contains(out.String(), "EXT-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
}
