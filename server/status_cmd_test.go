package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusNoDaemon: without a running daemon status fails and says why.
func TestStatusNoDaemon(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.toml")
	cfg := fmt.Sprintf("[service]\njid = \"localhost\"\nworking_dir = %q\n", filepath.Join(dir, "run"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain("status", "--config", path)
	if code != 1 || !strings.Contains(errOut, "is spectrum2 running") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runMain("status"); code != 2 {
		t.Errorf("status without --config: exit %d", code)
	}
}
