package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/certs"
)

// writeCert generates a certificate for domain valid until notAfter into dir.
func writeCert(t *testing.T, dir, name, domain string, notAfter time.Time) (cert, key string) {
	t.Helper()
	p, err := certs.Generate(domain, time.Now().Add(-time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := p.Write(cert, key); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writeConfig(t *testing.T, dir, cert, key string) string {
	t.Helper()
	path := filepath.Join(dir, "c.toml")
	cfg := fmt.Sprintf("[service]\njid = \"localhost\"\ncert = %q\nkey = %q\nport = 5222\ntls_port = 0\ndata_dir = %q\nworking_dir = %q\n",
		cert, key, filepath.Join(dir, "data"), filepath.Join(dir, "run"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunRefusesWhatConfigCheckRefuses: a certificate that cannot work stops `run` before
// it starts anything, with the line `config check` prints.
func TestRunRefusesWhatConfigCheckRefuses(t *testing.T) {
	dir := t.TempDir()
	year := time.Now().AddDate(1, 0, 0)
	good, goodKey := writeCert(t, dir, "good", "localhost", year)
	_, otherKey := writeCert(t, dir, "other", "localhost", year)
	wrongName, wrongNameKey := writeCert(t, dir, "name", "example.org", year)
	for _, c := range []struct{ name, cert, key, want string }{
		{"mismatch", good, otherKey, ":4: service.key: key and certificate do not belong together"},
		{"no certificate", goodKey, goodKey, ":3: service.cert: " + goodKey + " holds no certificate"},
		{"names", wrongName, wrongNameKey, ":3: service.cert: the certificate is for example.org, not localhost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, t.TempDir(), c.cert, c.key)
			code, out, _ := runMain("config", "check", path)
			if code != 1 || !strings.HasPrefix(out, path+c.want) {
				t.Errorf("config check: exit %d, stdout %q", code, out)
			}
			code, _, errOut := runMain("run", "--config", path)
			if code != 1 || errOut != out {
				t.Errorf("run: exit %d, stderr %q, want %q", code, errOut, out)
			}
		})
	}
}

// TestConfigCheckWarnsOfExpiry: a certificate that expires within 14 days is a warning,
// not a failure.
func TestConfigCheckWarnsOfExpiry(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir, "soon", "localhost", time.Now().Add(5*24*time.Hour+time.Hour))
	path := writeConfig(t, dir, cert, key)
	code, out, _ := runMain("config", "check", path)
	want := path + ":3: service.cert: warning: the certificate expires on "
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "(in 5 days): renew it\n"+path+": ok\n") {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}
