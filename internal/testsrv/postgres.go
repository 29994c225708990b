package testsrv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Postgres is a real PostgreSQL started by a test on 127.0.0.1: initdb in a temporary
// directory, then postgres on a free port, stopped by PID when the test ends.
type Postgres struct {
	dir  string
	bin  string
	cred *syscall.Credential // the user it runs as when the test runs as root
	Port int
	proc process
}

// PostgresBin finds the directory of Debian's PostgreSQL server programs
// (/usr/lib/postgresql/VERSION/bin, the newest), or initdb on PATH.
func PostgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server programs (initdb) in /usr/lib/postgresql/*/bin or on PATH: install Debian's postgresql (make deps)")
}

func pgVersion(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// StartPostgres initialises a database cluster with one database, "spectrum2", owned by the
// user "spectrum2" (trust authentication on loopback), and starts it; it is stopped and
// removed when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p, err := LaunchPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// LaunchPostgres is StartPostgres for programs that are not tests (the benchmarks): the
// caller ends it with Close.
func LaunchPostgres() (*Postgres, error) {
	bin, err := PostgresBin()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parent directory is private to root, and PostgreSQL may run as
	// another user.
	dir, err := os.MkdirTemp("", "testsrv-postgres-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin, dir: dir}
	if err := p.launch(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Postgres) launch() error {
	// PostgreSQL refuses to run as root: then it runs as Debian's postgres user, who must
	// own its directory.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, PostgreSQL needs the postgres user (Debian's postgresql package creates it): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(p.dir, 0o755); err != nil {
			return err
		}
	}
	data := filepath.Join(p.dir, "data")
	for _, d := range []string{data, filepath.Join(p.dir, "run")} {
		if err := p.mkdir(d); err != nil {
			return err
		}
	}
	out, err := p.command("initdb", "-D", data, "-U", "spectrum2", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		p.Port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		err = p.start()
		if err == nil {
			return nil
		}
		p.Stop()
		if attempt == 3 {
			return fmt.Errorf("postgres: %w", err)
		}
	}
}

// Close stops the server and removes its directory.
func (p *Postgres) Close() {
	p.Stop()
	os.RemoveAll(p.dir)
}

// DSN is a connection string for the test database.
func (p *Postgres) DSN() string {
	return fmt.Sprintf("postgres://spectrum2@127.0.0.1:%d/spectrum2?sslmode=disable", p.Port)
}

// CreateDatabase creates another empty database, owned by the spectrum2 user, and returns
// its connection string: tests that each need a fresh database share one server.
func (p *Postgres) CreateDatabase(name string) (string, error) {
	out, err := p.command("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "spectrum2", name).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("createdb %s: %w: %s", name, err, out)
	}
	return fmt.Sprintf("postgres://spectrum2@127.0.0.1:%d/%s?sslmode=disable", p.Port, name), nil
}

// Stop ends the server.
func (p *Postgres) Stop() { p.proc.stop(10 * time.Second) }

func (p *Postgres) start() error {
	cmd := p.command("postgres", "-D", filepath.Join(p.dir, "data"), "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+filepath.Join(p.dir, "run"),
		"-c", "fsync=off", "-c", "max_connections=100")
	log, err := os.Create(filepath.Join(p.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := p.proc.start(cmd); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Wait for the port, then for the database to take queries: createdb is the
		// first query, and it fails while the server is still starting.
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p.Port), time.Second)
		if err == nil {
			c.Close()
			out, err := p.command("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "spectrum2", "spectrum2").CombinedOutput()
			if err == nil {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("createdb: %v: %s", err, out)
			}
		}
		if !p.proc.running() {
			b, _ := os.ReadFile(filepath.Join(p.dir, "postgres.log"))
			return fmt.Errorf("postgres exited at start: %s", b)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres does not answer on port %d", p.Port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// command runs one of PostgreSQL's programs (createdb is a client program: on PATH, or
// beside the server's in Debian's directory).
func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	if _, err := os.Stat(path); err != nil {
		path = name
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

func (p *Postgres) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if p.cred != nil {
		return os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid))
	}
	return nil
}
