package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// biboumiDomain is biboumi's component JID behind the bench's Prosody.
const biboumiDomain = "biboumi.localhost"

// biboumiConfig is biboumi's own configuration (Debian's biboumi 9): the component on
// Prosody's component port, the one IRC server fixed (rooms are #chan@biboumi.localhost),
// identd off (it would need port 113), info-level log (its "Authenticated" line tells that
// the component is up) into the scratch directory, its database there too.
const biboumiConfig = `hostname=%s
password=%s
xmpp_server_ip=127.0.0.1
port=%d
fixed_irc_server=127.0.0.1
identd_port=0
realname_customization=true
log_level=1
log_file=%s
db_name=%s
policy_directory=%s
`

// biboumiGateway is Prosody with biboumi as its IRC component, both on the server core.
type biboumiGateway struct {
	prosody  *Server
	dir      string
	cpu      int
	bin      string
	secret   string
	compPort int
	cmd      *exec.Cmd
	done     chan struct{}
	log      *os.File
}

// newBiboumiGateway prepares Prosody (users user0..users-1, the bench certificate) with a
// component for biboumi, and biboumi's configuration, in dir.
func newBiboumiGateway(dir string, cpu, users int, cert, key string) (*biboumiGateway, error) {
	bin, err := exec.LookPath("biboumi")
	if err != nil {
		return nil, fmt.Errorf("biboumi is not installed (scripts/deps.sh): %w", err)
	}
	pdir := filepath.Join(dir, "prosody")
	if err := os.MkdirAll(pdir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the Prosody directory: %w", err)
	}
	srv, err := NewProsody(pdir, cpu, users, cert, key)
	if err != nil {
		return nil, err
	}
	compPort, err := freePort()
	if err != nil {
		return nil, err
	}
	g := &biboumiGateway{prosody: srv, dir: dir, cpu: cpu, bin: bin, secret: "bench-component-secret", compPort: compPort}
	plain := srv.configure
	cfgPath := filepath.Join(pdir, "prosody.cfg.lua")
	b, err := os.ReadFile(cfgPath) // NewProsody's, without the component
	if err != nil {
		return nil, fmt.Errorf("reading the Prosody config: %w", err)
	}
	pristine := string(b)
	srv.configure = func(o Options) ([]string, error) {
		argv, err := plain(o)
		if err != nil {
			return nil, err
		}
		cfg := strings.Replace(pristine, "VirtualHost ",
			fmt.Sprintf("component_ports = { %d }\ncomponent_interface = \"127.0.0.1\"\nVirtualHost ", compPort), 1)
		cfg += fmt.Sprintf("Component %q\n\tcomponent_secret = %q\n", biboumiDomain, g.secret)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			return nil, fmt.Errorf("writing the Prosody config: %w", err)
		}
		return argv, nil
	}
	return g, nil
}

func (g *biboumiGateway) name() string       { return "biboumi" }
func (g *biboumiGateway) xmpp() *Server      { return g.prosody }
func (g *biboumiGateway) room(ch int) string { return fmt.Sprintf("#c%d@%s", ch, biboumiDomain) }

// nick is the IRC nick of user i: biboumi takes the MUC nick as IRC nick.
func (g *biboumiGateway) nick(i int) string { return fmt.Sprintf("user%d", i) }

// start runs Prosody, then biboumi, and waits until biboumi authenticated as a component.
// biboumi has no users_per_backend: perBackend is ignored.
func (g *biboumiGateway) start(ctx context.Context, _ string, _ int) error {
	if err := g.prosody.Start(ctx, Options{}); err != nil {
		return err
	}
	bdir := filepath.Join(g.dir, "biboumi")
	_ = os.RemoveAll(bdir) // a fresh database for every start
	if err := os.MkdirAll(bdir, 0o700); err != nil {
		g.stop()
		return fmt.Errorf("creating the biboumi directory: %w", err)
	}
	logPath := filepath.Join(bdir, "biboumi.log")
	cfgPath := filepath.Join(bdir, "biboumi.cfg")
	cfg := fmt.Sprintf(biboumiConfig, biboumiDomain, g.secret, g.compPort, logPath,
		filepath.Join(bdir, "biboumi.sqlite"), bdir)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		g.stop()
		return fmt.Errorf("writing the biboumi config: %w", err)
	}
	var err error
	g.log, err = os.OpenFile(filepath.Join(bdir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		g.stop()
		return fmt.Errorf("opening the biboumi output: %w", err)
	}
	g.cmd = exec.Command("taskset", "-c", strconv.Itoa(g.cpu), g.bin, cfgPath)
	g.cmd.Dir = bdir
	g.cmd.Stdout, g.cmd.Stderr = g.log, g.log
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := g.cmd.Start(); err != nil {
		g.stop()
		return fmt.Errorf("starting biboumi: %w", err)
	}
	g.done = make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(g.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for !logHas(logPath, "Authenticated with the XMPP server") {
		select {
		case <-g.done:
			g.stop()
			return fmt.Errorf("biboumi exited at start: see %s", logPath)
		case <-ctx.Done():
			g.stop()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			g.stop()
			return fmt.Errorf("biboumi did not authenticate to Prosody: see %s", logPath)
		}
	}
	return nil
}

// logHas tells whether the file at path has a line containing s.
func logHas(path, s string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			return true
		}
	}
	return false
}

// stop ends biboumi (by its PID), then Prosody.
func (g *biboumiGateway) stop() {
	if g.cmd != nil && g.cmd.Process != nil {
		stopPID(g.cmd.Process.Pid, g.done, 10*time.Second)
		g.cmd = nil
	}
	if g.log != nil {
		g.log.Close()
		g.log = nil
	}
	g.prosody.Stop()
}

// roots are the gateway side's processes: Prosody and biboumi.
func (g *biboumiGateway) roots() []int {
	r := []int{g.prosody.PID()}
	if g.cmd != nil {
		r = append(r, g.cmd.Process.Pid)
	}
	return r
}

// backends: biboumi has no backend processes.
func (g *biboumiGateway) backends() []int { return nil }

// BiboumiVersion is the installed biboumi's Debian version.
func BiboumiVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "biboumi").Output()
	if err != nil {
		return "biboumi (version unknown)"
	}
	return "biboumi " + strings.TrimSpace(string(out))
}
