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
// through the real binary (testdata/extensions_client.py), and a xep_0333 displayed
// marker on echo's copy mirrored on the original; in #lobby (xep_0045) the same with
// Babbage, by the room's stanza-ids, which the daemon maps to the legacy ids and back, and
// the room's disco#info listing them; after a reconnect, a reaction and a correction to
// messages read from the archive (MAM) by their ids and by their stanza-ids reach echo's
// copy and come back on the user's original, and a reaction by stanza-id to Babbage's
// copy read from the room's archive comes back on the user's archived line.
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
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "EXT-LIVE-OK") || !strings.Contains(out.String(), "EXT-ROOM-OK") || !strings.Contains(out.String(), "EXT-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
}
