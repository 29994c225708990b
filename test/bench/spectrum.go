package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// spectrumConfig runs the demo network with the limits a benchmark needs lifted: one backend
// process for every user (users_per_backend; the default of 100 would start 190 backends for
// 19,000 sessions), no per-IP connection or login limits (every session comes from 127.0.0.1),
// and the demo clock contact quiet so that only echo talks.
const spectrumConfig = `# written by test/bench
[service]
jid = "localhost"
server = "127.0.0.1"
port = %d
tls_port = %d
cert = %q
key = %q
backend = "builtin:demo"
data_dir = %q
working_dir = %q
users_per_backend = 100000

[limits]
max_conns_per_ip = 0
logins_per_minute_per_ip = 0
%s

[logging]
level = "warn"
format = "json"

[demo]
contacts = %d
clock_period = "1h"
%s`

// metricsConfig turns on the metrics listener with Go's profiler, for heap profiles of the
// idle sessions; it is used only when the binary accepts it (config check).
const metricsConfig = `
[metrics]
listen = "127.0.0.1:%d"
pprof = true
`

// DefaultDemoContacts is the number of generated demo contacts outside the roster test:
// spectrum2's default, so a session's roster is the demo's echo and clock only, as close as
// the demo gets to the empty rosters of the Prosody users it is compared with.
const DefaultDemoContacts = 0

// NewSpectrum prepares spectrum2 (the binary bin) with the demo network in dir, using the
// bench certificate in cert/key.
func NewSpectrum(dir, bin string, cpu int, cert, key string) (*Server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("spectrum2 binary: %w (run make build)", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tlsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	uploadPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Name: "spectrum2", Domain: "localhost", Addr: fmt.Sprintf("127.0.0.1:%d", port), CPU: cpu, Dir: dir,
		EchoBot: true,
		Peer:    func(int) string { return "echo@localhost" },
		Account: func(i int) Account {
			return Account{Domain: "localhost", User: fmt.Sprintf("user%d%%demo", i), Password: "any"}
		},
	}
	metrics, maddr, err := metricsSection(bin, dir, port, tlsPort, cert, key)
	if err != nil {
		return nil, err
	}
	if metrics != "" {
		s.HeapURL = "http://" + maddr + "/debug/pprof/heap"
	}
	s.configure = func(o Options) ([]string, error) {
		queue := ""
		if o.QueueSize > 0 {
			queue = fmt.Sprintf("queue_size = %d", o.QueueSize)
		}
		cfg := fmt.Sprintf(spectrumConfig, port, tlsPort, cert, key,
			filepath.Join(dir, "data"), filepath.Join(dir, "run"), queue, o.Contacts, metrics)
		if o.Matrix != "" {
			cfg = strings.Replace(cfg, `backend = "builtin:demo"`, `backend = "builtin:matrix"`+"\nallowed_servers = [\"127.0.0.1\"]", 1)
			cfg += fmt.Sprintf("\n[backend_ini.matrix]\nhomeserver = %q\n", o.Matrix)
		}
		if o.StorageDriver != "" {
			cfg += fmt.Sprintf("\n[storage]\ndriver = %q\ndsn = %q\n", o.StorageDriver, o.StorageDSN)
		}
		if o.MAMOff {
			cfg += "\n[mam]\nenabled = false\n"
		}
		if o.Upload {
			// The shipped limits otherwise: 4 PUTs under way per user, 64 in all.
			cfg += fmt.Sprintf("\n[upload]\nlisten = \"127.0.0.1:%d\"\npublic_url = \"https://127.0.0.1:%d\"\n", uploadPort, uploadPort)
		}
		if o.ShippedBackends {
			cfg = strings.Replace(cfg, "users_per_backend = 100000\n", "", 1)
		} else if o.UsersPerBackend > 0 {
			cfg = strings.Replace(cfg, "users_per_backend = 100000\n", fmt.Sprintf("users_per_backend = %d\n", o.UsersPerBackend), 1)
		}
		path := filepath.Join(dir, "spectrum2.toml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			return nil, fmt.Errorf("writing the spectrum2 config: %w", err)
		}
		return []string{bin, "run", "--config", path}, nil
	}
	return s, nil
}

// metricsSection is the [metrics] section with pprof on a free port, and that address, when
// bin accepts it (`spectrum2 config check`), or "" when it does not.
func metricsSection(bin, dir string, port, tlsPort int, cert, key string) (string, string, error) {
	mport, err := freePort()
	if err != nil {
		return "", "", err
	}
	section := fmt.Sprintf(metricsConfig, mport)
	probe := filepath.Join(dir, "probe.toml")
	cfg := fmt.Sprintf(spectrumConfig, port, tlsPort, cert, key, filepath.Join(dir, "data"),
		filepath.Join(dir, "run"), "", DefaultDemoContacts, section)
	if err := os.WriteFile(probe, []byte(cfg), 0o600); err != nil {
		return "", "", fmt.Errorf("writing the probe config: %w", err)
	}
	defer os.Remove(probe)
	if exec.Command(bin, "config", "check", probe).Run() != nil {
		return "", "", nil
	}
	return section, fmt.Sprintf("127.0.0.1:%d", mport), nil
}
