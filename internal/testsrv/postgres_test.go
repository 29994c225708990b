package testsrv

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestPostgres: the started server takes queries on its port as the spectrum2 user.
func TestPostgres(t *testing.T) {
	p := StartPostgres(t)
	out, err := p.command("psql", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "spectrum2", "-d", "spectrum2",
		"-Atc", "SELECT current_user").CombinedOutput()
	if err != nil {
		if _, lerr := exec.LookPath("psql"); lerr != nil {
			t.Fatalf("psql: %v (install postgresql-client: make deps)", lerr)
		}
		t.Fatalf("psql: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "spectrum2" {
		t.Errorf("current_user = %q", got)
	}
}
