package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The legacy side of issue 26: IRC users through spectrum2's builtin:irc beside biboumi
// behind Prosody, both against the same ngircd (a fresh one per measurement, pinned to the
// generator's core, its CPU reported apart).

// IRCPlan is what the IRC bench measures.
type IRCPlan struct {
	Channels     int           // channels the users are spread over (user i joins channel i % Channels)
	Scales       []int         // connected users of the memory test
	Hold         time.Duration // idle time before the memory reading
	TrafficUsers int           // users joined during the traffic test
	Rates        []int         // lines per second from IRC, summed over the channels' feeds
	TrafficTime  time.Duration // length of each rate
	LoginUsers   int           // users of the login test at the default users_per_backend (and biboumi's)
	LoginOne     int           // users of the login test at users_per_backend = 1
	LoginWorkers int           // concurrent logins
	StormN       int           // users of the backend killed in the re-login storm (spectrum2 only)
	PoolWorkers  int           // concurrent logins while opening the memory and traffic pools

	// StormOneBackend adds a storm with users_per_backend = StormN before the one at the
	// default: only worth its time when the default is below StormN, or the two are the
	// same configuration (1,000 users and the shipped 1,000 were, until 2026-12-03).
	StormOneBackend bool
}

// stormBackends is the users_per_backend of each re-login storm, 0 for the default.
func (p IRCPlan) stormBackends() []int {
	if p.StormOneBackend {
		return []int{p.StormN, 0}
	}
	return []int{0}
}

// Users is the number of accounts the plan needs (Prosody's store for biboumi).
func (p IRCPlan) Users() int {
	n := max(p.TrafficUsers, p.LoginUsers, p.LoginOne, p.StormN)
	for _, s := range p.Scales {
		n = max(n, s)
	}
	return n
}

// ircGateway is one side under test: what the XMPP users log into and what it runs on the
// server core.
type ircGateway interface {
	name() string
	xmpp() *Server      // the XMPP server the users log into
	room(ch int) string // the bare room JID of channel ch
	nick(i int) string  // user i's nick in its room (and on IRC)
	// start runs the gateway against the IRC server at ircAddr; perBackend is spectrum2's
	// users_per_backend (0: its default).
	start(ctx context.Context, ircAddr string, perBackend int) error
	stop()
	roots() []int    // the gateway side's processes, each counted with its descendants
	backends() []int // spectrum2's backend processes; nil for biboumi
}

// spectrumIRCConfig is spectrum2 with builtin:irc at its shipped defaults except for the
// per-source limits (every session comes from 127.0.0.1: connections, login rate, and the
// failed-login lock-out and back-off, which a few IRC connections lost under load would
// otherwise turn into thousands of refused logins) and, where a test says so,
// users_per_backend. The log level is info, so that the reasons of failed IRC logins are
// in server.log (BENCH_IRC_LOG overrides it).
const spectrumIRCConfig = `# written by test/bench (IRC)
[service]
jid = "localhost"
server = "127.0.0.1"
port = %d
tls_port = %d
cert = %q
key = %q
backend = "builtin:irc"
data_dir = %q
working_dir = %q
%s
[limits]
max_conns_per_ip = 0
logins_per_minute_per_ip = 0
login_failures = 1000000
login_backoff = "1ms"
login_backoff_max = "1ms"

[logging]
level = "%s"
format = "json"

[backend_ini.service]
irc_server = %q
`

// spectrumIRC is spectrum2 with builtin:irc alone.
type spectrumIRC struct {
	srv        *Server
	ircAddr    string
	perBackend int
}

// newSpectrumIRC prepares spectrum2 (binary bin) with builtin:irc in dir.
func newSpectrumIRC(dir, bin string, cpu int, cert, key string) (*spectrumIRC, error) {
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
	g := &spectrumIRC{}
	g.srv = &Server{
		Name: "spectrum2", Domain: "localhost", Addr: fmt.Sprintf("127.0.0.1:%d", port), CPU: cpu, Dir: dir,
		Peer: func(int) string { return "" },
		Account: func(i int) Account {
			return Account{Domain: "localhost", User: fmt.Sprintf("user%d", i), Password: "any"}
		},
	}
	g.srv.configure = func(Options) ([]string, error) {
		upb := ""
		if g.perBackend > 0 {
			upb = fmt.Sprintf("users_per_backend = %d", g.perBackend)
		}
		data := filepath.Join(dir, "data")
		_ = os.RemoveAll(data) // a fresh store for every start
		level := cmp.Or(os.Getenv("BENCH_IRC_LOG"), "info")
		cfg := fmt.Sprintf(spectrumIRCConfig, port, tlsPort, cert, key, data, filepath.Join(dir, "run"), upb, level, g.ircAddr)
		path := filepath.Join(dir, "spectrum2.toml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			return nil, fmt.Errorf("writing the spectrum2 config: %w", err)
		}
		return []string{bin, "run", "--config", path}, nil
	}
	return g, nil
}

func (g *spectrumIRC) name() string       { return "spectrum2" }
func (g *spectrumIRC) xmpp() *Server      { return g.srv }
func (g *spectrumIRC) room(ch int) string { return fmt.Sprintf("#c%d@localhost", ch) }

// nick is user i's legacy name, the node of its JID (single-network mode).
func (g *spectrumIRC) nick(i int) string { return fmt.Sprintf("user%d", i) }

func (g *spectrumIRC) start(ctx context.Context, ircAddr string, perBackend int) error {
	g.ircAddr, g.perBackend = ircAddr, perBackend
	return g.srv.Start(ctx, Options{})
}

func (g *spectrumIRC) stop()        { g.srv.Stop() }
func (g *spectrumIRC) roots() []int { return []int{g.srv.PID()} }

func (g *spectrumIRC) backends() []int {
	kids, err := children()
	if err != nil {
		return nil
	}
	return kids[g.srv.PID()]
}

// IRCMemory is the memory test at one user count.
type IRCMemory struct {
	N, Joined int
	Failed    int           // logins or joins that failed
	Open      time.Duration // logging in and joining all users
	RSS, PSS  int64         // bytes, summed over the gateway side
	Backends  int           // spectrum2's backend processes
	Parts     []MemPart     // where the RSS is: each gateway process and its children
	IRCdRSS   int64         // ngircd's RSS
	IRCdCPU   time.Duration // ngircd's CPU while the users connected
	Drops     int
	Err       string
}

// PerUser is RSS and PSS per connected user, in bytes.
func (m IRCMemory) PerUser() (rss, pss float64) {
	if m.Joined == 0 {
		return 0, 0
	}
	return float64(m.RSS) / float64(m.Joined), float64(m.PSS) / float64(m.Joined)
}

// IRCTraffic is one rate of the channel-traffic test.
type IRCTraffic struct {
	Rate      int // lines per second, intended
	Sent      int // lines the feeds wrote
	Expected  int // Sent times the members of each line's channel
	Delivered int
	Delay     Summary // from the line's intended send time to its arrival at the XMPP client
	GWCPU     time.Duration
	IRCdCPU   time.Duration
	Elapsed   time.Duration
	Err       string
}

// CPUPerMsg is the gateway side's CPU per delivered message.
func (t IRCTraffic) CPUPerMsg() time.Duration {
	if t.Delivered == 0 {
		return 0
	}
	return t.GWCPU / time.Duration(t.Delivered)
}

// IRCLogin is the login test: logins through to the self-presence in the user's channel.
type IRCLogin struct {
	PerBackend int // spectrum2's users_per_backend (0: the default)
	N, Done    int
	Failed     int
	Elapsed    time.Duration
	Latency    Summary
	GWCPU      time.Duration
	Err        string
}

// Rate is logins per second.
func (l IRCLogin) Rate() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.Done) / l.Elapsed.Seconds()
}

// IRCStorm is the re-login storm: the backend serving N users is killed.
type IRCStorm struct {
	N, Joined  int
	LoginFails int           // of the N logins before the kill
	Backends   int           // backend processes before the kill
	Dipped     int           // IRC users left right after the kill (the lowest count seen)
	Back       int           // users registered on IRC again at the end
	AllBack    time.Duration // from the kill until all were registered again (0: not all)
	Rejoined   int           // channel members at the end (of N)
	AllJoined  time.Duration // from the kill until all channels were full again (0: not all)
	Failed     int           // N - Back
	XMPPDrops  int           // XMPP sessions the server closed
	GWCPU      time.Duration // the storm's cost on the gateway side
	PerBackend int
	Err        string
}

// IRCGatewayResults are the IRC figures of one gateway.
type IRCGatewayResults struct {
	Name    string
	Version string
	Memory  []IRCMemory
	Traffic []IRCTraffic
	Logins  []IRCLogin
	Storms  []IRCStorm // all users on the killed backend, then at the default users_per_backend
}

// IRCResults are the IRC bench's figures.
type IRCResults struct {
	Plan      IRCPlan
	Started   time.Time
	Finished  time.Time
	LoadStart string // /proc/loadavg when the IRC bench started
	LoadEnd   string // and when it ended
	Command   string
	Full      bool
	Ours      *IRCGatewayResults
	Ref       *IRCGatewayResults
}

// IRCEnv is where the IRC bench runs.
type IRCEnv struct {
	Dir       string // scratch directory
	Bin       string // spectrum2 binary
	ServerCPU int
	GenCPU    int // also ngircd's core
	Cert, Key string
	TLS       *tls.Config
	Only      string // "spectrum2" or "biboumi": that one alone
}

// RunIRC measures both gateways according to plan and logs progress to w.
func RunIRC(ctx context.Context, env IRCEnv, plan IRCPlan, w io.Writer) IRCResults {
	res := IRCResults{Plan: plan, Started: time.Now().UTC(), LoadStart: LoadAverage()}
	if env.Only != "biboumi" {
		r := &IRCGatewayResults{Name: "spectrum2", Version: Commit()}
		dir := filepath.Join(env.Dir, "irc-spectrum2")
		_ = os.MkdirAll(dir, 0o700)
		done := Phase(w, "IRC spectrum2")
		g, err := newSpectrumIRC(dir, env.Bin, env.ServerCPU, env.Cert, env.Key)
		if err != nil {
			r.Memory = []IRCMemory{{Err: err.Error()}}
		} else {
			runIRCGateway(ctx, env, plan, g, r, w)
		}
		done()
		res.Ours = r
	}
	if env.Only != "spectrum2" {
		r := &IRCGatewayResults{Name: "biboumi", Version: BiboumiVersion() + " + " + ProsodyVersion()}
		dir := filepath.Join(env.Dir, "irc-biboumi")
		_ = os.MkdirAll(dir, 0o700)
		done := Phase(w, "IRC biboumi")
		g, err := newBiboumiGateway(dir, env.ServerCPU, plan.Users(), env.Cert, env.Key)
		if err != nil {
			r.Memory = []IRCMemory{{Err: err.Error()}}
		} else {
			runIRCGateway(ctx, env, plan, g, r, w)
		}
		done()
		res.Ref = r
	}
	res.Finished, res.LoadEnd = time.Now().UTC(), LoadAverage()
	return res
}

func runIRCGateway(ctx context.Context, env IRCEnv, plan IRCPlan, g ircGateway, r *IRCGatewayResults, w io.Writer) {
	_, isBiboumi := g.(*biboumiGateway)
	for _, n := range plan.Scales {
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(w, "== IRC %s: memory, %d users in %d channels\n", g.name(), n, plan.Channels)
		done := Phase(w, fmt.Sprintf("IRC %s memory %d", g.name(), n))
		m := runIRCMemory(ctx, env, plan, g, n)
		done()
		rss, pss := m.PerUser()
		fmt.Fprintf(w, "   %d joined (%d failed) in %v: %.1f KB RSS, %.1f KB PSS per user, %d backends, ngircd %.0f MB %s\n",
			m.Joined, m.Failed, m.Open.Round(time.Millisecond), rss/1000, pss/1000, m.Backends, float64(m.IRCdRSS)/1e6, m.Err)
		for _, p := range m.Parts {
			fmt.Fprintf(w, "   %s (%d): %.1f KB RSS, %.1f KB anonymous, %.1f KB PSS per user\n", p.Name, p.Procs,
				float64(p.RSS)/1000/float64(max(m.Joined, 1)), float64(p.Anon)/1000/float64(max(m.Joined, 1)), float64(p.PSS)/1000/float64(max(m.Joined, 1)))
		}
		if m.Drops > 0 {
			fmt.Fprintf(w, "   %d XMPP sessions dropped\n", m.Drops)
		}
		r.Memory = append(r.Memory, m)
	}
	if len(plan.Rates) > 0 && ctx.Err() == nil {
		fmt.Fprintf(w, "== IRC %s: channel traffic to %d users, rates %v lines/s\n", g.name(), plan.TrafficUsers, plan.Rates)
		done := Phase(w, fmt.Sprintf("IRC %s traffic", g.name()))
		traffic := runIRCTraffic(ctx, env, plan, g)
		done()
		for _, t := range traffic {
			fmt.Fprintf(w, "   %d lines/s: %d/%d delivered, delay %s, %.1f us CPU/msg, gateway %.0f%% ngircd %.0f%% %s\n",
				t.Rate, t.Delivered, t.Expected, t.Delay, float64(t.CPUPerMsg())/1e3,
				100*frac(t.GWCPU, t.Elapsed), 100*frac(t.IRCdCPU, t.Elapsed), t.Err)
			r.Traffic = append(r.Traffic, t)
		}
	}
	logins := []IRCLogin{{N: plan.LoginUsers}}
	if !isBiboumi && plan.LoginOne > 0 {
		logins = append(logins, IRCLogin{N: plan.LoginOne, PerBackend: 1})
	}
	for _, l := range logins {
		if l.N == 0 || ctx.Err() != nil {
			continue
		}
		fmt.Fprintf(w, "== IRC %s: %d logins through to the channel, users_per_backend %d\n", g.name(), l.N, l.PerBackend)
		done := Phase(w, fmt.Sprintf("IRC %s logins %d users_per_backend %d", g.name(), l.N, l.PerBackend))
		l = runIRCLogin(ctx, env, plan, g, l)
		done()
		fmt.Fprintf(w, "   %.0f logins/s (%d of %d, %d failed), %s %s\n", l.Rate(), l.Done, l.N, l.Failed, l.Latency, l.Err)
		r.Logins = append(r.Logins, l)
	}
	for _, upb := range plan.stormBackends() {
		if isBiboumi || plan.StormN == 0 || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(w, "== IRC %s: re-login storm, %d users, users_per_backend %d, the busiest backend killed\n", g.name(), plan.StormN, upb)
		done := Phase(w, fmt.Sprintf("IRC %s storm users_per_backend %d", g.name(), upb))
		st := runIRCStorm(ctx, env, plan, g, upb)
		done()
		fmt.Fprintf(w, "   %d lost, %d back on IRC in %v (lowest %d), %d failed, channels %d/%d in %v, %d XMPP sessions dropped %s\n",
			st.Joined-st.Dipped, st.Back, st.AllBack.Round(time.Millisecond), st.Dipped, st.Failed, st.Rejoined, st.N,
			st.AllJoined.Round(time.Millisecond), st.XMPPDrops, st.Err)
		r.Storms = append(r.Storms, st)
	}
}

// ircRun is one fresh ngircd and gateway.
type ircRun struct {
	ircd *ircd
	g    ircGateway
}

func startIRCRun(ctx context.Context, env IRCEnv, g ircGateway, perBackend int) (*ircRun, error) {
	_, isBiboumi := g.(*biboumiGateway)
	d, err := startIRCd(ctx, filepath.Join(env.Dir, "ngircd"), env.GenCPU, isBiboumi)
	if err != nil {
		return nil, err
	}
	if err := g.start(ctx, d.Addr(), perBackend); err != nil {
		d.stop()
		return nil, err
	}
	return &ircRun{ircd: d, g: g}, nil
}

func (r *ircRun) stop() {
	r.g.stop()
	r.ircd.stop()
}

// gwUsage sums RSS and CPU over the gateway side's process trees.
func (r *ircRun) gwUsage() Usage {
	var u Usage
	for _, pid := range r.g.roots() {
		x, err := TreeUsage(pid)
		if err == nil {
			u.RSS += x.RSS
			u.CPU += x.CPU
		}
	}
	return u
}

// gwPSS sums the proportional set size over the gateway side's process trees.
func (r *ircRun) gwPSS() int64 {
	kids, err := children()
	if err != nil {
		return 0
	}
	var sum int64
	queue := append([]int(nil), r.g.roots()...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		sum += pssOf(p)
		queue = append(queue, kids[p]...)
	}
	return sum
}

// MemPart is the memory of one gateway process, or of all its children together.
type MemPart struct {
	Name           string
	Procs          int
	RSS, Anon, PSS int64 // bytes; Anon is RssAnon of /proc/PID/status (heap and stacks)
}

// gwParts splits the gateway side's memory into each root process and its descendants.
func (r *ircRun) gwParts() []MemPart {
	kids, err := children()
	if err != nil {
		return nil
	}
	var parts []MemPart
	for _, root := range r.g.roots() {
		self := MemPart{Name: procName(root), Procs: 1}
		self.add(root)
		desc := MemPart{Name: "children of " + self.Name}
		queue := append([]int(nil), kids[root]...)
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			desc.Procs++
			desc.add(p)
			queue = append(queue, kids[p]...)
		}
		parts = append(parts, self)
		if desc.Procs > 0 {
			parts = append(parts, desc)
		}
	}
	return parts
}

func (m *MemPart) add(pid int) {
	st := statusKB(pid, "VmRSS:", "RssAnon:")
	m.RSS += st[0]
	m.Anon += st[1]
	m.PSS += pssOf(pid)
}

// statusKB reads the given fields of /proc/PID/status, in bytes.
func statusKB(pid int, keys ...string) []int64 {
	out := make([]int64, len(keys))
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		for i, k := range keys {
			if rest, ok := strings.CutPrefix(l, k); ok {
				kb, _ := strconv.ParseInt(strings.Fields(rest + " 0")[0], 10, 64)
				out[i] = kb * 1024
			}
		}
	}
	return out
}

// procName is the command name of pid.
func procName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return strconv.Itoa(pid)
	}
	return strings.TrimSpace(string(b))
}

// pssOf is the Pss line of /proc/PID/smaps_rollup in bytes (0 when unreadable).
func pssOf(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest + " 0")[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (r *ircRun) ircdUsage() Usage {
	u, _ := TreeUsage(r.ircd.PID())
	return u
}

// openFiles is the number of open file descriptors of pid (-1 when unreadable).
func openFiles(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}

// ircUsers are the logged-in, joined XMPP users of one test.
type ircUsers struct {
	pool   Pool
	failed atomic.Int64
	rec    Recorder // per user: from the start of its login to its self-presence
}

// open logs in users from..n-1 with workers concurrent logins, joins each to its channel
// and starts its reader; a failed login is counted and the others go on (the first error
// is returned).
func (u *ircUsers) open(ctx context.Context, r *ircRun, cfg *tls.Config, plan IRCPlan, from, n, workers int) error {
	srv := r.g.xmpp()
	out := make([]*Session, n-from)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(out) || ctx.Err() != nil {
					return
				}
				idx := from + i
				a := srv.Account(idx)
				a.Addr, a.Resource = srv.Addr, "irc"
				t0 := time.Now()
				lctx, cancel := context.WithTimeout(ctx, 120*time.Second)
				s, _, err := Login(lctx, a, cfg, 0)
				if err == nil {
					err = joinIRCRoom(lctx, s, r.g.room(idx%plan.Channels), r.g.nick(idx))
					if err != nil {
						s.Close()
					}
				}
				cancel()
				if err != nil {
					// Counted, not fatal: on a loaded machine some logins fail (the report
					// shows how many), and the test goes on with the others.
					once.Do(func() { firstErr = fmt.Errorf("user %d of %d: %w", idx+1, n, err) })
					u.failed.Add(1)
					if ctx.Err() != nil {
						return
					}
					continue
				}
				u.rec.Add(time.Since(t0))
				out[i] = s
				// Read at once, as a client does: unread, the presences of every later
				// join pile up until the server closes the stream (policy-violation,
				// too much data waiting), which ended half the sessions of 5,000.
				u.pool.serve(s)
			}
		})
	}
	wg.Wait()
	for _, s := range out {
		if s != nil {
			u.pool.Sessions = append(u.pool.Sessions, s)
		}
	}
	return firstErr
}

func (u *ircUsers) close() { u.pool.Close() }

// joinIRCRoom enters room as nick and waits for the self-presence (the gateway is on IRC
// in the channel by then), answering what else arrives on the way.
func joinIRCRoom(ctx context.Context, s *Session, room, nick string) error {
	full := room + "/" + nick
	if err := s.Send([]byte("<presence to='" + full + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetReadDeadline(dl)
		defer s.conn.SetReadDeadline(time.Time{})
	}
	for {
		el, err := s.expectStanza()
		if err != nil {
			return fmt.Errorf("joining %s: %w", room, err)
		}
		if string(Name(el)) == "presence" && string(Attr(el, "from")) == full {
			switch string(Attr(el, "type")) {
			case "":
				return nil
			case "error", "unavailable":
				return fmt.Errorf("joining %s: %.300q", room, el)
			}
		}
		s.handle(el)
	}
}

func runIRCMemory(ctx context.Context, env IRCEnv, plan IRCPlan, g ircGateway, n int) IRCMemory {
	m := IRCMemory{N: n}
	r, err := startIRCRun(ctx, env, g, 0)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	defer r.stop()
	var u ircUsers
	defer u.close()
	ircd0 := r.ircdUsage()
	t0 := time.Now()
	err = u.open(ctx, r, env.TLS, plan, 0, n, plan.PoolWorkers)
	m.Open, m.Joined, m.Failed = time.Since(t0), len(u.pool.Sessions), int(u.failed.Load())
	m.IRCdCPU = r.ircdUsage().CPU - ircd0.CPU
	if err != nil {
		m.Err = err.Error()
	}
	time.Sleep(settle + plan.Hold)
	gu := r.gwUsage()
	m.RSS, m.PSS = gu.RSS, r.gwPSS()
	m.Backends = len(g.backends())
	m.Parts = r.gwParts()
	m.IRCdRSS = r.ircdUsage().RSS
	m.Drops = u.pool.Drops()
	return m
}

// ircFeed is one channel's IRC peer, writing lines at its share of the rate.
type ircFeed struct {
	peer    *ircPeer
	channel string
	members int // XMPP users in the channel
}

func runIRCTraffic(ctx context.Context, env IRCEnv, plan IRCPlan, g ircGateway) []IRCTraffic {
	fail := func(err error) []IRCTraffic {
		var out []IRCTraffic
		for _, rate := range plan.Rates {
			out = append(out, IRCTraffic{Rate: rate, Err: err.Error()})
		}
		return out
	}
	r, err := startIRCRun(ctx, env, g, 0)
	if err != nil {
		return fail(err)
	}
	defer r.stop()
	feeds := make([]*ircFeed, plan.Channels)
	for ch := range feeds {
		p, err := dialIRC(ctx, r.ircd.Addr(), fmt.Sprintf("feed%d", ch))
		if err != nil {
			return fail(err)
		}
		defer p.close()
		name := fmt.Sprintf("#c%d", ch)
		if err := p.send("JOIN " + name + "\r\n"); err != nil {
			return fail(err)
		}
		if _, err := p.expect(" 366 ", 20*time.Second); err != nil {
			return fail(err)
		}
		go p.drain()
		feeds[ch] = &ircFeed{peer: p, channel: name}
	}
	var u ircUsers
	defer u.close()
	if err := u.open(ctx, r, env.TLS, plan, 0, plan.TrafficUsers, plan.PoolWorkers); err != nil && len(u.pool.Sessions) == 0 {
		return fail(err)
	}
	for i := range u.pool.Sessions {
		feeds[i%plan.Channels].members++
	}
	time.Sleep(settle)
	var out []IRCTraffic
	for phase, rate := range plan.Rates {
		out = append(out, runIRCRate(ctx, r, &u, feeds, phase, rate, plan.TrafficTime))
	}
	return out
}

// runIRCRate has every feed write its share of rate lines per second for d, open loop: each
// line carries its intended send time, and a feed that falls behind writes the overdue
// lines at once with their original times, so the delay counts the backlog too.
func runIRCRate(ctx context.Context, r *ircRun, u *ircUsers, feeds []*ircFeed, phase, rate int, d time.Duration) IRCTraffic {
	t := IRCTraffic{Rate: rate}
	var delivered atomic.Int64
	var rec Recorder
	tag := []byte(fmt.Sprintf("irc%d ", phase))
	for _, s := range u.pool.Sessions {
		s.OnMessage(func(_ *Session, el []byte) {
			now := time.Now().UnixNano()
			body := Text(el, "body")
			rest, ok := bytes.CutPrefix(body, tag)
			if !ok {
				return
			}
			ts, _, _ := bytes.Cut(rest, []byte(" "))
			at, err := strconv.ParseInt(string(ts), 10, 64)
			if err != nil {
				return
			}
			delivered.Add(1)
			rec.Add(time.Duration(now - at))
		})
	}
	gw0, ircd0 := r.gwUsage(), r.ircdUsage()
	start := time.Now().Add(100 * time.Millisecond)
	interval := time.Duration(float64(time.Second) * float64(len(feeds)) / float64(rate))
	var sent atomic.Int64
	var expected atomic.Int64
	var wg sync.WaitGroup
	var errOnce sync.Once
	for k, f := range feeds {
		wg.Go(func() {
			// The feeds are spread over the interval, so the total rate is even.
			first := start.Add(interval * time.Duration(k) / time.Duration(len(feeds)))
			end := start.Add(d)
			var buf []byte
			for j := 0; ; {
				now := time.Now()
				if now.After(end) || ctx.Err() != nil {
					return
				}
				buf = buf[:0]
				n := 0
				for ; ; j++ {
					at := first.Add(interval * time.Duration(j))
					if at.After(now) || at.After(end) {
						break
					}
					buf = fmt.Appendf(buf, "PRIVMSG %s :irc%d %d %d\r\n", f.channel, phase, at.UnixNano(), j)
					n++
				}
				if n > 0 {
					if err := f.peer.send(string(buf)); err != nil {
						errOnce.Do(func() { t.Err = fmt.Sprintf("feed %s: %v", f.channel, err) })
						return
					}
					sent.Add(int64(n))
					expected.Add(int64(n * f.members))
				}
				time.Sleep(time.Until(first.Add(interval * time.Duration(j))))
			}
		})
	}
	wg.Wait()
	// Wait for the stragglers: until every line arrived, nothing arrived for 10 s, or four
	// times the feed's length passed (biboumi archives every line in SQLite before it
	// forwards it: at 1,000 lines/s for 10 s it was 19 s behind; at 5,000 it delivered 0.5 %
	// in the minute this wait had until 2026-12-03, past the 90 % a figure needs to be judged).
	last, lastAt, cap := delivered.Load(), time.Now(), time.Now().Add(4*d)
	for delivered.Load() < expected.Load() && time.Since(lastAt) < 10*time.Second && time.Now().Before(cap) {
		time.Sleep(100 * time.Millisecond)
		if n := delivered.Load(); n != last {
			last, lastAt = n, time.Now()
		}
	}
	t.Elapsed = time.Since(start)
	gw1, ircd1 := r.gwUsage(), r.ircdUsage()
	t.GWCPU, t.IRCdCPU = gw1.CPU-gw0.CPU, ircd1.CPU-ircd0.CPU
	t.Sent, t.Expected, t.Delivered = int(sent.Load()), int(expected.Load()), int(delivered.Load())
	t.Delay = rec.Summary()
	if d := u.pool.Drops(); d > 0 && t.Err == "" {
		t.Err = fmt.Sprintf("%d XMPP sessions dropped", d)
	}
	return t
}

func runIRCLogin(ctx context.Context, env IRCEnv, plan IRCPlan, g ircGateway, l IRCLogin) IRCLogin {
	r, err := startIRCRun(ctx, env, g, l.PerBackend)
	if err != nil {
		l.Err = err.Error()
		return l
	}
	defer r.stop()
	var u ircUsers
	defer u.close()
	gw0 := r.gwUsage()
	t0 := time.Now()
	err = u.open(ctx, r, env.TLS, plan, 0, l.N, plan.LoginWorkers)
	l.Elapsed = time.Since(t0)
	l.GWCPU = r.gwUsage().CPU - gw0.CPU
	l.Done, l.Failed = len(u.pool.Sessions), int(u.failed.Load())
	l.Latency = u.rec.Summary()
	if err != nil {
		l.Err = err.Error()
	}
	return l
}

// runIRCStorm opens StormN users at users_per_backend perBackend (StormN: all on one
// backend process; 0: the default), kills the backend holding the most sockets with SIGKILL
// and watches ngircd (LUSERS, NAMES) until every user is registered and in its channel again.
func runIRCStorm(ctx context.Context, env IRCEnv, plan IRCPlan, g ircGateway, perBackend int) IRCStorm {
	st := IRCStorm{N: plan.StormN, PerBackend: perBackend}
	r, err := startIRCRun(ctx, env, g, perBackend)
	if err != nil {
		st.Err = err.Error()
		return st
	}
	defer r.stop()
	var u ircUsers
	defer u.close()
	if err := u.open(ctx, r, env.TLS, plan, 0, plan.StormN, plan.PoolWorkers); err != nil {
		st.Err = err.Error()
	}
	st.Joined, st.LoginFails = len(u.pool.Sessions), int(u.failed.Load())
	if st.Joined == 0 {
		return st
	}
	watch, err := dialIRC(ctx, r.ircd.Addr(), "watch0")
	if err != nil {
		st.Err = err.Error()
		return st
	}
	defer watch.close()
	bs := g.backends()
	st.Backends = len(bs)
	// The daemon keeps a spare backend started; the one serving the users holds their sockets.
	victim, most := 0, -1
	for _, pid := range bs {
		if n := openFiles(pid); n > most {
			victim, most = pid, n
		}
	}
	if most < 0 {
		st.Err = fmt.Sprintf("no backend process to kill (%d backends)", len(bs))
		return st
	}
	want := st.Joined + 1 // the watcher
	time.Sleep(settle)
	gw0 := r.gwUsage()
	killed := time.Now()
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		st.Err = fmt.Sprintf("killing backend %d: %v", victim, err)
		return st
	}
	st.Dipped = want
	deadline := killed.Add(180 * time.Second)
	dipped := false
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := watch.users()
		if err != nil {
			st.Err = err.Error()
			break
		}
		st.Back = n - 1
		if n < want {
			dipped = true
			st.Dipped = min(st.Dipped, n-1)
		}
		if dipped && n >= want && st.AllBack == 0 {
			st.AllBack = time.Since(killed)
		}
		if st.AllBack > 0 {
			members := 0
			for ch := range plan.Channels {
				m, err := watch.members(fmt.Sprintf("#c%d", ch))
				if err != nil {
					st.Err = err.Error()
					break
				}
				members += m
			}
			st.Rejoined = members
			if members >= st.Joined {
				st.AllJoined = time.Since(killed)
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !dipped && st.Err == "" {
		st.Err = "ngircd never lost a user: the kill had no effect"
	}
	st.Failed = st.Joined - st.Back
	st.GWCPU = r.gwUsage().CPU - gw0.CPU
	st.XMPPDrops = u.pool.Drops()
	return st
}
