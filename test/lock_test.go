package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSecondDaemonRefused: a daemon configured with the data_dir or the working_dir of a
// running one refuses to start, naming the directory and the running daemon, and leaves
// the running daemon's admin socket alone.
func TestSecondDaemonRefused(t *testing.T) {
	a := StartWithConfig(t, func(s *Server) string { return demoConfig(s, s.Dir, "json") })
	sock := filepath.Join(a.Dir, "data", "run", "admin.sock")
	for _, c := range []struct{ name, dataDir, workingDir, want string }{
		{"same data_dir", filepath.Join(a.Dir, "data"), filepath.Join(t.TempDir(), "run"), "data_dir " + filepath.Join(a.Dir, "data")},
		{"same working_dir", filepath.Join(t.TempDir(), "data"), filepath.Join(a.Dir, "data", "run"), "working_dir " + filepath.Join(a.Dir, "data", "run")},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newServer(t)
			cfg := strings.Replace(demoConfig(b, b.Dir, "json"), "data_dir = "+strconv.Quote(filepath.Join(b.Dir, "data")), "data_dir = "+strconv.Quote(c.dataDir), 1)
			cfg = strings.Replace(cfg, "working_dir = "+strconv.Quote(filepath.Join(b.Dir, "data", "run")), "working_dir = "+strconv.Quote(c.workingDir), 1)
			path := filepath.Join(b.Dir, "b.toml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, binary, "run", "--config", path).CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("the second daemon did not refuse to start (%v):\n%s", err, out)
			}
			want := c.want + " is in use by another spectrum2 daemon (pid " + strconv.Itoa(a.cmd.Process.Pid) + ", lock file "
			if !strings.Contains(string(out), want) {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
			if _, err := os.Stat(sock); err != nil {
				t.Fatalf("the running daemon's admin socket: %v", err)
			}
		})
	}
	out, err := exec.Command(binary, "status", "--config", filepath.Join(a.Dir, "spectrum2.toml")).CombinedOutput()
	if err != nil {
		t.Errorf("spectrum2 status of the running daemon: %v\n%s", err, out)
	}
	// Once it has stopped, its directories are free again.
	a.Stop()
	StartWithConfig(t, func(s *Server) string {
		return strings.ReplaceAll(demoConfig(s, s.Dir, "json"), strconv.Quote(filepath.Join(s.Dir, "data")), strconv.Quote(filepath.Join(a.Dir, "data")))
	})
}
