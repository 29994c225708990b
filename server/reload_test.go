package server

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/server/config"
)

func TestLevelFilter(t *testing.T) {
	var out bytes.Buffer
	f := newLevelFilter("info")
	log := zerolog.New(&out).Sample(f)
	log.Debug().Msg("hidden")
	log.Info().Msg("shown")
	f.lvl.Store(int32(zerolog.DebugLevel))
	log.Debug().Msg("now shown")
	if s := out.String(); strings.Contains(s, "hidden") || !strings.Contains(s, "shown") || !strings.Contains(s, "now shown") {
		t.Errorf("log:\n%s", s)
	}
}

func TestChangedKeys(t *testing.T) {
	a, b := config.Default(), config.Default()
	b.Logging.Level = "debug"
	b.Service.AdminJID = []string{"x@y"}
	b.Metrics.Listen = "127.0.0.1:1"
	b.Path = "elsewhere" // not an option
	want := []string{"logging.level", "metrics.listen", "service.admin_jid"}
	if got := changedKeys(a, b); !slices.Equal(got, want) {
		t.Errorf("changedKeys = %q, want %q", got, want)
	}
}

// TestReload re-reads a changed file: the level is applied at once, the rest is named.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.toml")
	write := func(level string, port int) {
		t.Helper()
		cfg := fmt.Sprintf("[service]\njid = \"localhost\"\nport = %d\ntls_port = 0\ndata_dir = %q\n[logging]\nlevel = %q\n",
			port, filepath.Join(dir, "data"), level)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	write("info", port)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c2s.New(c2sConfig(cfg, zerolog.Nop()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { // Run with an ended context closes the listeners
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = cs.Run(ctx)
	}()
	var out bytes.Buffer
	rl := &reloader{path: path, cs: cs, level: newLevelFilter("info"), cur: cfg, log: zerolog.New(&out)}
	write("debug", port+1)
	if err := rl.reload(); err != nil {
		t.Fatal(err)
	}
	if zerolog.Level(rl.level.lvl.Load()) != zerolog.DebugLevel {
		t.Error("level not applied")
	}
	if s := out.String(); !strings.Contains(s, `"applied":["logging.level"],"need_restart":["service.port"]`) {
		t.Errorf("log: %s", s)
	}
	var admins []string
	rl.setAdmins = func(jids []string, _ string) { admins = jids }
	cfg2 := fmt.Sprintf("[service]\njid = \"localhost\"\nport = %d\ntls_port = 0\ndata_dir = %q\nadmin_jid = \"boss@localhost\"\nadmin_password = \"s3cret-pw\"\n[logging]\nlevel = \"debug\"\n",
		port+1, filepath.Join(dir, "data"))
	if err := os.WriteFile(path, []byte(cfg2), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := rl.reload(); err != nil {
		t.Fatal(err)
	}
	if len(admins) != 1 || admins[0] != "boss@localhost" {
		t.Errorf("admins = %q", admins)
	}
	// service.port changed at the first reload and still needs the restart (issue 19).
	if s := out.String(); !strings.Contains(s, `"applied":["service.admin_jid","service.admin_password"],"need_restart":["service.port"]`) || strings.Contains(s, "s3cret-pw") {
		t.Errorf("log: %s", s)
	}
	// Back to the port the daemon runs with: nothing needs a restart any more.
	cfg3 := strings.Replace(cfg2, fmt.Sprintf("port = %d\n", port+1), fmt.Sprintf("port = %d\n", port), 1)
	if err := os.WriteFile(path, []byte(cfg3), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := rl.reload(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, `"applied":[],"need_restart":[]`) {
		t.Errorf("log after the port went back: %s", s)
	}
	if err := os.WriteFile(path, []byte("[service]\nnope = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := rl.reload(); err == nil {
		t.Error("a broken file was accepted")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
