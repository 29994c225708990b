package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EjabberdPassword is the password of every ejabberd bench user.
const EjabberdPassword = "bench-pw"

// ejabberdLibs is where Debian installs ejabberd's Erlang applications (its ejabberdctl sets
// ERL_LIBS to it).
const ejabberdLibs = "/usr/lib/x86_64-linux-gnu"

// ejabberdConfig is the second reference configuration, set up as Prosody's is: c2s on
// loopback only with STARTTLS required, TLS 1.3 only (fast_tls takes OpenSSL's no_* options)
// with the bench certificate, passwords stored in plain text (internal auth in Mnesia, so no
// SCRAM hashing that spectrum2 does not pay either), stream management on, no s2s, no offline
// store, no shaper (ejabberd's example configuration limits c2s to 1,000 bytes/s; without a
// shaper option there is none). ejabberd's listener sets TCP_NODELAY itself (the bench checked
// inet:getopts on its listening socket: nodelay true). The listen backlog is raised from
// ejabberd_listener's 5: the login test's workers connect at once, and with 5 the dropped
// SYNs made logins wait 1 to 13 s for retransmits (the quick run's login test of 3 s took
// 14 s, and logins of its scale test timed out).
const ejabberdConfig = `# written by test/bench
hosts: ["localhost"]
loglevel: warning
log_rotate_count: 0
certfiles:
  - %[1]q
  - %[2]q
c2s_protocol_options: ["no_sslv2", "no_sslv3", "no_tlsv1", "no_tlsv1_1", "no_tlsv1_2"]
auth_method: internal
auth_password_format: plain
listen:
  -
    port: %[3]d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: 262144
    backlog: 1024
access_rules:
  c2s:
    allow: all
modules:
  mod_roster: {}
  mod_disco: {}
  mod_ping: {}
  mod_stream_mgmt: {}
`

// NewEjabberd prepares an ejabberd reference server (Debian's package, run as a child
// process with erl under its own configuration, Mnesia directory and log in dir) with users
// user0..user(users-1), every one with EjabberdPassword, and the certificate in cert/key. It
// registers the users in a first, unpinned run of its own that stops when they are stored.
func NewEjabberd(dir string, cpu, users int, cert, key string) (*Server, error) {
	erl, err := exec.LookPath("erl")
	if err != nil {
		return nil, fmt.Errorf("erl is not installed (Debian package ejabberd): %w", err)
	}
	if _, err := os.Stat(filepath.Join(ejabberdLibs, "ejabberd-"+ejabberdAppVersion())); err != nil {
		return nil, fmt.Errorf("ejabberd is not installed: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "ejabberd.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(ejabberdConfig, cert, key, port)), 0o600); err != nil {
		return nil, fmt.Errorf("writing the ejabberd config: %w", err)
	}
	mnesia := filepath.Join(dir, "mnesia")
	if err := os.MkdirAll(mnesia, 0o700); err != nil {
		return nil, fmt.Errorf("creating the Mnesia directory: %w", err)
	}
	// No node name: no Erlang distribution, so no epmd daemon outlives the run; the bench
	// needs no ejabberdctl. SIGTERM makes the VM stop ejabberd cleanly (init:stop).
	argv := func(extra ...string) []string {
		a := []string{"env", "ERL_LIBS=" + ejabberdLibs, "EJABBERD_CONFIG_PATH=" + cfgPath,
			"ERL_CRASH_DUMP_BYTES=0", erl, "-noinput", "-noshell", "+K", "true", "+P", "1000000", "+Q", "1048576",
			"-mnesia", "dir", fmt.Sprintf("%q", mnesia),
			"-ejabberd", "config", fmt.Sprintf("%q", cfgPath), "log_path", fmt.Sprintf("%q", filepath.Join(dir, "ejabberd.log")),
			"-s", "ejabberd"}
		return append(a, extra...)
	}
	if err := registerEjabberd(dir, argv, users); err != nil {
		return nil, err
	}
	s := &Server{
		Name: "ejabberd", Domain: "localhost", Addr: fmt.Sprintf("127.0.0.1:%d", port), CPU: cpu, Dir: dir,
		// Client to client, as with Prosody.
		Peer: func(i int) string { return fmt.Sprintf("user%d@localhost", i^1) },
		Account: func(i int) Account {
			return Account{Domain: "localhost", User: fmt.Sprintf("user%d", i), Password: EjabberdPassword}
		},
	}
	s.configure = func(Options) ([]string, error) { return argv(), nil }
	return s, nil
}

// registerEjabberd stores the accounts through ejabberd_auth in a run that halts when done.
func registerEjabberd(dir string, argv func(...string) []string, users int) error {
	eval := fmt.Sprintf(`R = [ejabberd_auth:try_register(<<"user", (integer_to_binary(I))/binary>>, <<"localhost">>, <<%q>>) || I <- lists:seq(0, %d)],`+
		` N = length([ok || ok <- R]), io:format("registered ~p~n", [N]), init:stop(case N of %d -> 0; _ -> 1 end).`,
		EjabberdPassword, users-1, users)
	a := argv("-eval", eval)
	cmd := exec.Command(a[0], a[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("registering %d ejabberd users: %w: %s", users, err, tail)
	}
	return nil
}

// ejabberdAppVersion is the upstream version of Debian's ejabberd package ("23.01"), or "".
func ejabberdAppVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "ejabberd").Output()
	if err != nil {
		return ""
	}
	v := strings.TrimSpace(string(out))
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	return v
}

// EjabberdVersion names the ejabberd under test.
func EjabberdVersion() string {
	if v := ejabberdAppVersion(); v != "" {
		return "ejabberd " + v
	}
	return "ejabberd (version unknown)"
}
