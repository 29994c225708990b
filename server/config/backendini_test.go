package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/ini"
)

const withBackendINI = `
[service]
jid = "irc.example.org"
admin_jid = ["admin@irc.example.org"]
admin_password = "admin-secret"
backend = "/usr/bin/spectrum2_libcommuni_backend"
working_dir = "/var/lib/spectrum2/$jid"
allowed_servers = ["irc.example.net", "10.0.0.0/8"]

[identity]
type = "irc"

[demo]
contacts = 3

[backend_ini.service]
irc_server = ["irc.libera.chat:+6697", "irc.oftc.net"]
irc_send_pass = true
irc_away_timeout = 60

[backend_ini.purple]
ratio = 1.5
flag = false
`

func TestBackendINI(t *testing.T) {
	c, ps := parse("b.toml", []byte(withBackendINI))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	c.Service.CertPassword = "cert-secret" // as if a .p12 were configured
	var b strings.Builder
	if _, err := c.BackendINI().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, secret := range []string{"admin-secret", "cert-secret", "admin_password", "cert_password"} {
		if strings.Contains(text, secret) {
			t.Fatalf("backend INI contains %q:\n%s", secret, text)
		}
	}
	if strings.Contains(text, `"`) {
		t.Errorf("backend INI has quotes:\n%s", text)
	}
	f, err := ini.Parse(strings.NewReader(text)) // round trip through the reader backends use
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sec, key, want string }{
		{"service", "jid", "irc.example.org"},
		{"service", "server_mode", "1"},
		{"service", "working_dir", "/var/lib/spectrum2/irc.example.org"},
		{"service", "backend_host", "127.0.0.1"},
		{"service", "jid_escaping", "1"},
		{"service", "reaction_fallback", "error"},
		{"service", "irc_send_pass", "1"},
		{"service", "irc_away_timeout", "60"},
		{"identity", "type", "irc"},
		{"logging", "level", "info"},
		{"demo", "contacts", "3"},
		{"demo", "clock_period", "1m"},
		{"purple", "ratio", "1.5"},
		{"purple", "flag", "0"},
	} {
		if got, _ := f.Get(c.sec, c.key); got != c.want {
			t.Errorf("%s.%s = %q, want %q", c.sec, c.key, got, c.want)
		}
	}
	if got := f.Values("service", "irc_server"); strings.Join(got, ",") != "irc.libera.chat:+6697,irc.oftc.net" {
		t.Errorf("irc_server = %q", got)
	}
	if got := f.Values("service", "allowed_servers"); strings.Join(got, ",") != "irc.example.net,10.0.0.0/8" {
		t.Errorf("allowed_servers = %q", got)
	}
	if !f.Bool("service", "server_mode", false) {
		t.Error("server_mode is not true for Spectrum 2's reader")
	}
}

// TestBackendINIAllowedEmpty: without allowed_servers the key is still written, empty,
// which backend/allow reads as no entry.
func TestBackendINIAllowedEmpty(t *testing.T) {
	c, ps := parse("e.toml", []byte("[service]\njid = \"x.org\"\n"))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if got := c.BackendINI().Values("service", "allowed_servers"); len(got) != 1 || got[0] != "" {
		t.Errorf("allowed_servers = %q", got)
	}
}

func TestBackendINIOrder(t *testing.T) {
	c, ps := parse("o.toml", []byte("[service]\njid = \"x.org\"\n[backend_ini.z]\nb = 1\na = 2\n[backend_ini.a]\nc = 3\n"))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	var got []string
	for _, v := range c.BackendExtra {
		got = append(got, v.Section+"."+v.Key)
	}
	if strings.Join(got, " ") != "z.b z.a a.c" {
		t.Errorf("order %v, want file order", got)
	}
}

func TestWriteBackendINI(t *testing.T) {
	c, ps := parse("b.toml", []byte(withBackendINI))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	dir := filepath.Join(t.TempDir(), "run", "sub")
	path, err := c.WriteBackendINI(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, BackendININame) {
		t.Errorf("path %q", path)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, st.Mode().Perm(), want)
		}
	}
	if _, err := c.WriteBackendINI(dir); err != nil { // replacing works
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := ini.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("service", "jid"); v != "irc.example.org" {
		t.Errorf("jid %q", v)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left-over files: %v", entries)
	}
}
