package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// biboumiIRCPort is the plain-text port biboumi reaches the IRC server on: with
// fixed_irc_server it has no port setting outside its per-user database, and after its TLS
// ports (6697, 6670) refuse it tries 6667. The bench's ngircd listens there too.
const biboumiIRCPort = 6667

// ngircdConfig is the IRC server of the IRC bench, one for both gateways: every limit that
// would count all the gateway's users as one host lifted (connections per IP, channels per
// user) and flood penalties off (MaxPenaltyTime = 0, ngircd 26), so that neither the test
// peers' feeds nor thousands of logins from 127.0.0.1 are throttled.
const ngircdConfig = `[Global]
Name = irc.bench
Info = spectrum2 bench
Listen = 127.0.0.1
Ports = %d%s
MotdPhrase = hello
[Limits]
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
`

// ircd is the bench's ngircd, pinned to a core and stopped by its PID.
type ircd struct {
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// startIRCd starts ngircd in dir on cpu, also on biboumiIRCPort when withBiboumiPort.
func startIRCd(ctx context.Context, dir string, cpu int, withBiboumiPort bool) (*ircd, error) {
	bin, err := exec.LookPath("ngircd")
	if err != nil {
		return nil, fmt.Errorf("ngircd is not installed: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the ngircd directory: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	extra := ""
	if withBiboumiPort {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", biboumiIRCPort), time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("port %d is taken: biboumi needs it for the IRC server", biboumiIRCPort)
		}
		extra = fmt.Sprintf(", %d", biboumiIRCPort)
	}
	conf := filepath.Join(dir, "ngircd.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, ngircdConfig, port, extra), 0o644); err != nil {
		return nil, fmt.Errorf("writing the ngircd config: %w", err)
	}
	d := &ircd{Port: port}
	d.log, err = os.OpenFile(filepath.Join(dir, "ngircd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the ngircd log: %w", err)
	}
	d.cmd = exec.Command("taskset", "-c", strconv.Itoa(cpu), bin, "-n", "-f", conf)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		d.log.Close()
		return nil, fmt.Errorf("starting ngircd: %w", err)
	}
	d.done = make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := dialIRC(ctx, d.Addr(), "probe0")
		if err == nil {
			p.close()
			return d, nil
		}
		select {
		case <-d.done:
			d.stop()
			return nil, fmt.Errorf("ngircd exited at start: see %s", d.log.Name())
		default:
		}
		if ctx.Err() != nil {
			d.stop()
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("ngircd does not answer on %s: %w", d.Addr(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Addr is ngircd's own port.
func (d *ircd) Addr() string { return "127.0.0.1:" + strconv.Itoa(d.Port) }

// PID is ngircd's process id (taskset execs it in place).
func (d *ircd) PID() int { return d.cmd.Process.Pid }

func (d *ircd) stop() {
	if d == nil || d.cmd == nil {
		return
	}
	stopPID(d.cmd.Process.Pid, d.done, 10*time.Second)
	d.log.Close()
	d.cmd = nil
}

// stopPID ends pid with SIGTERM, then its process group with SIGKILL after grace.
func stopPID(pid int, done chan struct{}, grace time.Duration) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(os.Stderr, "bench: killing what is left of %d: %v\n", pid, err)
	}
}

// ircPeer is a raw IRC client of the bench: a channel's feed or the storm's watcher.
type ircPeer struct {
	nick string
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex
}

// dialIRC registers nick at addr and waits for RPL_WELCOME.
func dialIRC(ctx context.Context, addr, nick string) (*ircPeer, error) {
	var dl net.Dialer
	c, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &ircPeer{nick: nick, conn: c, r: bufio.NewReaderSize(c, 64<<10)}
	if err := p.send("NICK " + nick + "\r\nUSER " + nick + " 0 * :" + nick + "\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := p.expect(" 001 ", 20*time.Second); err != nil {
		c.Close()
		return nil, err
	}
	return p, nil
}

func (p *ircPeer) send(lines string) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := p.conn.Write([]byte(lines))
	return err
}

// expect reads lines, answering PINGs, until one contains want.
func (p *ircPeer) expect(want string, d time.Duration) (string, error) {
	_ = p.conn.SetReadDeadline(time.Now().Add(d))
	defer p.conn.SetReadDeadline(time.Time{})
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("IRC %s waiting for %q: %w", p.nick, want, err)
		}
		if strings.HasPrefix(line, "PING ") {
			_ = p.send("PONG " + line[5:])
			continue
		}
		if strings.Contains(line, want) {
			return strings.TrimRight(line, "\r\n"), nil
		}
	}
}

// drain reads and discards everything (answering PINGs) until the connection closes.
func (p *ircPeer) drain() {
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "PING ") {
			_ = p.send("PONG " + line[5:])
		}
	}
}

// users is the user count of LUSERS (RPL_LUSERCLIENT, "There are N users ...").
func (p *ircPeer) users() (int, error) {
	if err := p.send("LUSERS\r\n"); err != nil {
		return 0, err
	}
	line, err := p.expect(" 251 ", 10*time.Second)
	if err != nil {
		return 0, err
	}
	_, rest, _ := strings.Cut(line, "There are ")
	n, err := strconv.Atoi(strings.Fields(rest + " x")[0])
	if err != nil {
		return 0, fmt.Errorf("LUSERS: %q", line)
	}
	return n, nil
}

// members is the number of nicks in channel (NAMES).
func (p *ircPeer) members(channel string) (int, error) {
	if err := p.send("NAMES " + channel + "\r\n"); err != nil {
		return 0, err
	}
	_ = p.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer p.conn.SetReadDeadline(time.Time{})
	n := 0
	for {
		line, err := p.r.ReadString('\n')
		if err != nil {
			return 0, err
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[1] {
		case "353":
			if _, names, ok := strings.Cut(line[1:], " :"); ok {
				n += len(strings.Fields(names))
			}
		case "366":
			return n, nil
		}
	}
}

func (p *ircPeer) close() {
	_ = p.send("QUIT :bye\r\n")
	p.conn.Close()
}
