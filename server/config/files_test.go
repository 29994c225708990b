package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/gospectrum/spectrum2/internal/certs"
)

// writeFile writes data to dir/name with mode and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkOne writes service (the lines after [service]) to a file and returns its only
// problem, failing when there is not exactly one.
func checkOne(t *testing.T, dir, service string) Problem {
	t.Helper()
	path := writeFile(t, dir, "c.toml", []byte("[service]\n"+service), 0o600)
	ps := Check(path)
	if len(ps) != 1 {
		t.Fatalf("want one problem, got %v", ps)
	}
	return ps[0]
}

func expectProblem(t *testing.T, p Problem, line int, key, msg string, warning bool) {
	t.Helper()
	if p.Line != line || p.Key != key || !strings.Contains(p.Msg, msg) || p.Warning != warning {
		t.Errorf("got %+v (%s), want line %d, %s, %q, warning %v", p, p, line, key, msg, warning)
	}
}

func TestBackendChecks(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "backend.sh", []byte("#!/bin/sh\nexit 0\n"), 0o755)
	plain := writeFile(t, dir, "plain.sh", []byte("#!/bin/sh\n"), 0o644)
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, run, "local.sh", []byte("#!/bin/sh\n"), 0o755)
	const jid = "jid = \"localhost\"\n"
	for _, c := range []struct {
		name, backend, msg string
	}{
		{"unknown builtin", "builtin:dmeo", `"builtin:dmeo": no such native backend (did you mean "demo"?); builtin:NAME is one of demo, irc, matrix, xmpp`},
		{"missing", filepath.Join(dir, "none") + " --flag", "cannot run " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"not executable", plain, "cannot run " + plain + ": not executable"},
		{"directory", dir, "not a file"},
		{"relative to working_dir", "./none.sh", "cannot run " + filepath.Join(run, "none.sh")},
		{"quote", "'" + script, "unterminated quote"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := checkOne(t, dir, fmt.Sprintf("%sworking_dir = %q\nbackend = %q\n", jid, run, c.backend))
			expectProblem(t, p, 4, "service.backend", c.msg, false)
		})
	}
	for _, backend := range []string{"builtin:irc", "builtin:xmpp", script + " --x", "./local.sh BACKEND_ID"} {
		path := writeFile(t, dir, "ok.toml", fmt.Appendf(nil, "[service]\n%sworking_dir = %q\nbackend = %q\n", jid, run, backend), 0o600)
		if ps := Check(path); len(ps) != 0 {
			t.Errorf("%s: %v", backend, ps)
		}
	}
}

// certFiles generates a certificate for domain valid until notAfter into dir.
func certFiles(t *testing.T, dir, name, domain string, notAfter time.Time) (cert, key string) {
	t.Helper()
	p, err := certs.Generate(domain, time.Now().Add(-48*time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := p.Write(cert, key); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestCertificateChecks(t *testing.T) {
	dir := t.TempDir()
	year := time.Now().AddDate(1, 0, 0)
	good, goodKey := certFiles(t, dir, "good", "gw.example.org", year)
	_, otherKey := certFiles(t, dir, "other", "gw.example.org", year)
	wrongName, wrongNameKey := certFiles(t, dir, "name", "other.example.org", year)
	expired, expiredKey := certFiles(t, dir, "expired", "gw.example.org", time.Now().Add(-24*time.Hour))
	soon, soonKey := certFiles(t, dir, "soon", "gw.example.org", time.Now().Add(3*24*time.Hour+time.Hour))
	text := writeFile(t, dir, "text.pem", []byte("not a certificate\n"), 0o600)
	const jid = "jid = \"gw.example.org\"\n"
	for _, c := range []struct {
		name, cert, key string
		line            int
		field, msg      string
		warning         bool
	}{
		{"mismatch", good, otherKey, 4, "service.key", "key and certificate do not belong together: " + otherKey + " is not the key of " + good, false},
		{"key as cert", goodKey, goodKey, 3, "service.cert", goodKey + " holds no certificate", false},
		{"no certificate", text, goodKey, 3, "service.cert", text + " holds no certificate", false},
		{"cert as key", good, good, 4, "service.key", good + " holds no private key", false},
		{"names", wrongName, wrongNameKey, 3, "service.cert", "the certificate is for other.example.org, not gw.example.org: every client will fail to verify it", false},
		{"expired", expired, expiredKey, 3, "service.cert", "the certificate expired on", true},
		{"expires soon", soon, soonKey, 3, "service.cert", "expires on " + time.Now().Add(3*24*time.Hour+time.Hour).UTC().Format(time.DateOnly) + " (in 3 days): renew it", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := checkOne(t, dir, fmt.Sprintf("%scert = %q\nkey = %q\n", jid, c.cert, c.key))
			expectProblem(t, p, c.line, c.field, c.msg, c.warning)
		})
	}
	path := writeFile(t, dir, "good.toml", fmt.Appendf(nil, "[service]\n%scert = %q\nkey = %q\n", jid, good, goodKey), 0o600)
	if ps := Check(path); len(ps) != 0 {
		t.Errorf("a good certificate: %v", ps)
	}
	generated := writeFile(t, dir, "gen.toml", fmt.Appendf(nil, "[service]\n%sdata_dir = %q\n", jid, filepath.Join(dir, "data")), 0o600)
	if ps := Check(generated); len(ps) != 0 {
		t.Errorf("no certificate configured: %v", ps)
	}
}

// TestLoadWarnings: Load accepts a file with only warnings and keeps them in Warnings; it
// refuses one with an error.
func TestLoadWarnings(t *testing.T) {
	dir := t.TempDir()
	soon, soonKey := certFiles(t, dir, "soon", "gw.example.org", time.Now().Add(24*time.Hour))
	path := writeFile(t, dir, "w.toml", fmt.Appendf(nil, "[service]\njid = \"gw.example.org\"\ncert = %q\nkey = %q\n", soon, soonKey), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.HasPrefix(c.Warnings[0].String(), path+":3: service.cert: warning: the certificate expires on ") {
		t.Errorf("warnings: %v", c.Warnings)
	}
	_, otherKey := certFiles(t, dir, "other", "gw.example.org", time.Now().Add(24*time.Hour))
	bad := writeFile(t, dir, "e.toml", fmt.Appendf(nil, "[service]\njid = \"gw.example.org\"\ncert = %q\nkey = %q\n", soon, otherKey), 0o600)
	_, err = Load(bad)
	if ps, ok := err.(Problems); !ok || len(ps) != 1 || ps[0].Key != "service.key" {
		t.Errorf("a key of another certificate: %v", err)
	}
}

// TestPKCS12Checks: a bundle opened with the wrong password is refused at service.cert,
// without the password in the message; the right one passes the name check.
func TestPKCS12Checks(t *testing.T) {
	dir := t.TempDir()
	p, err := certs.Generate("gw.example.org", time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := p.Write(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	pair, err := certs.Load(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	data, err := pkcs12.Modern.Encode(pair.PrivateKey, pair.Leaf, nil, "p12-secret")
	if err != nil {
		t.Fatal(err)
	}
	bundle := writeFile(t, dir, "b.p12", data, 0o600)
	pr := checkOne(t, dir, fmt.Sprintf("jid = \"gw.example.org\"\ncert = %q\ncert_password = \"wrong-secret\"\n", bundle))
	expectProblem(t, pr, 3, "service.cert", "cannot open the PKCS#12 bundle (wrong password or format)", false)
	if strings.Contains(pr.Msg, "secret") {
		t.Errorf("the password is in the message: %s", pr)
	}
	ok := writeFile(t, dir, "ok.toml", fmt.Appendf(nil, "[service]\njid = \"gw.example.org\"\ncert = %q\ncert_password = \"p12-secret\"\n", bundle), 0o600)
	if ps := Check(ok); len(ps) != 0 {
		t.Errorf("the right password: %v", ps)
	}
}
