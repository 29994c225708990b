package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/server"
	"github.com/gospectrum/spectrum2/server/config"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = server.Main(args, &o, &e)
	return code, o.String(), e.String()
}

func TestConfigCheckOK(t *testing.T) {
	for _, path := range []string{"../etc/demo.toml", "../etc/spectrum2.toml"} {
		code, out, errOut := runMain("config", "check", path)
		if code != 0 || out != path+": ok\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", path, code, out, errOut)
		}
	}
}

func TestConfigCheckProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(path, []byte("[service]\njid = \"localhost\"\nport = 0\n[logging]\nlevel = \"loud\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runMain("config", "check", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], path+":3: service.port: ") || !strings.HasPrefix(lines[1], path+":5: logging.level: ") {
		t.Errorf("exit %d, stdout:\n%s", code, out)
	}
	if code, out, _ := runMain("config", "check", filepath.Join(t.TempDir(), "none.toml")); code != 1 || !strings.Contains(out, "none.toml: ") {
		t.Errorf("missing file: exit %d, stdout %q", code, out)
	}
}

func TestConfigUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"config"}, 2},
		{[]string{"config", "frobnicate"}, 2},
		{[]string{"config", "check"}, 2},
		{[]string{"config", "check", "a", "b"}, 2},
		{[]string{"config", "import"}, 2},
		{[]string{"config", "check", "--help"}, 0},
		{[]string{"config", "import", "-h"}, 0},
		{[]string{"config", "--help"}, 0},
	} {
		code, out, errOut := runMain(c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
		if out+errOut == "" {
			t.Errorf("%v: printed nothing", c.args)
		}
	}
}

func TestConfigImport(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "irc.cfg")
	backend := filepath.Join(dir, "spectrum2_libcommuni_backend") // Load checks that it can run
	if err := os.WriteFile(backend, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "[service]\njid = irc.localhost\nserver_mode = 1\nport = 5222\nbackend = " + backend + "\n" +
		"irc_server = irc.libera.chat\n[database]\ntype = none\n"
	if err := os.WriteFile(old, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain("config", "import", old)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "# note: database.type: no equivalent") {
		t.Errorf("notes: %q", errOut)
	}
	converted := filepath.Join(dir, "irc.toml")
	if err := os.WriteFile(converted, []byte(out+errOut), 0o600); err != nil { // notes are comments
		t.Fatal(err)
	}
	c, err := config.Load(converted)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if c.Service.JID != "irc.localhost" || len(c.BackendExtra) != 1 || c.BackendExtra[0].Key != "irc_server" {
		t.Errorf("converted: %+v", c)
	}
	if code, _, errOut := runMain("config", "import", filepath.Join(dir, "none.cfg")); code != 1 || errOut == "" {
		t.Errorf("missing file: exit %d", code)
	}
}
