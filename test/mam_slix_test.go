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

// TestSlixmppMAM: an independent MAM client (slixmpp's xep_0313) archives 1,000 entries
// through the demo echo, pages forwards and backwards over them without gaps or
// duplicates, filters by with and start/end, and catches up after a reconnect from the
// last stanza-id it saw (test/testdata/mam_client.py).
func TestSlixmppMAM(t *testing.T) {
	s := StartServer(t, "")
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "mam_client.py"),
		"--jid", "slixmam%demo@localhost/phone", "--port", strconv.Itoa(s.Port), "--ca", ca, "--rounds", "500")
	cmd.Env = append(os.Environ(), "MAM_PASSWORD="+s.Password())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "MAM-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
}
