package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ProsodyPassword is the password of every Prosody bench user.
const ProsodyPassword = "bench-pw"

// prosodyConfig is the reference configuration: c2s on loopback only, TLS 1.3 with the
// bench certificate, Nagle's algorithm off (Prosody leaves it on by default, which adds 40 ms
// delayed-ACK stalls on loopback; Go servers turn it off), the plain-text password store (so that Prosody pays no password hashing
// that spectrum2, whose backend decides logins, does not pay either), no s2s, no offline store.
const prosodyConfig = `-- written by test/bench
run_as_root = true
data_path = %[1]q
certificates = %[1]q
pidfile = %[4]q
plugin_paths = {}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "smacks"; }
modules_disabled = { "s2s"; "offline"; }
interfaces = { "127.0.0.1" }
c2s_ports = { %[2]d }
s2s_ports = { }
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = true
log = { warn = %[3]q }
network_settings = { nagle = false; }
ssl = { certificate = %[5]q; key = %[6]q; protocol = "tlsv1_3"; }
VirtualHost "localhost"
`

// prosodyMAM replaces the storage line for the archive test: mod_mam (Prosody's XEP-0313)
// keeps every message in its archive store, which lives in SQL storage on an SQLite file
// (lua-dbi-sqlite3), as spectrum2's archive does; the rest stays internal. Archiving by
// default and without expiry, as spectrum2's archive test runs.
const prosodyMAM = `default_storage = "internal"
storage = { archive = "sql"; }
sql = { driver = "SQLite3"; database = %q; }
default_archive_policy = true
archive_expires_after = "never"
max_archive_query_results = 250`

// NewProsody prepares a Prosody reference server in dir (which must exist) with users
// user0..user(users-1), every one with ProsodyPassword, and the certificate in cert/key.
func NewProsody(dir string, cpu, users int, cert, key string) (*Server, error) {
	bin, err := exec.LookPath("prosody")
	if err != nil {
		return nil, fmt.Errorf("prosody is not installed: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := writeProsodyUsers(filepath.Join(dir, "localhost", "accounts"), users); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "prosody.cfg.lua")
	cfg := fmt.Sprintf(prosodyConfig, dir, port, filepath.Join(dir, "prosody.log"),
		filepath.Join(dir, "prosody.pid"), cert, key)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("writing the Prosody config: %w", err)
	}
	s := &Server{
		Name: "prosody", Domain: "localhost", Addr: fmt.Sprintf("127.0.0.1:%d", port), CPU: cpu, Dir: dir,
		// Client to client: session i and its partner i^1 bounce messages between them.
		Peer: func(i int) string { return fmt.Sprintf("user%d@localhost", i^1) },
		Account: func(i int) Account {
			return Account{Domain: "localhost", User: fmt.Sprintf("user%d", i), Password: ProsodyPassword}
		},
	}
	s.configure = func(o Options) ([]string, error) {
		c := cfg
		if o.ProsodyMAM {
			c = strings.Replace(cfg, `storage = "internal"`, fmt.Sprintf(prosodyMAM, o.StorageDSN), 1)
			c = strings.Replace(c, `"smacks"; }`, `"smacks"; "mam"; }`, 1)
		}
		if err := os.WriteFile(cfgPath, []byte(c), 0o600); err != nil {
			return nil, fmt.Errorf("writing the Prosody config: %w", err)
		}
		return []string{bin, "--config", cfgPath, "-F"}, nil
	}
	return s, nil
}

// writeProsodyUsers writes the account files of internal_plain directly: prosodyctl takes
// about a second per user, far too slow for 19,000.
func writeProsodyUsers(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the Prosody account store: %w", err)
	}
	body := fmt.Sprintf("return {\n\t[\"password\"] = %q;\n};\n", ProsodyPassword)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("user%d.dat", i))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return fmt.Errorf("writing a Prosody account: %w", err)
		}
	}
	return nil
}

// ProsodyVersion is the first line of `prosodyctl about` that names the version.
func ProsodyVersion() string {
	out, _ := exec.Command("prosodyctl", "about").CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Prosody ") && len(l) > 8 && l[8] >= '0' && l[8] <= '9' {
			return strings.TrimSpace(l)
		}
	}
	return "Prosody (version unknown)"
}
