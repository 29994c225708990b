package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// referenceRows adds the summary rows of the memory test at the defaults, the tail test and
// the bare TLS floor through add.
func (r Report) referenceRows(add func(string, func(*Results) (float64, bool), string, func(o, p float64) string)) {
	met := func(name string, ok bool) string {
		if ok {
			return name + ": met"
		}
		return name + ": **missed**"
	}
	if n := r.Plan.Mem.N; n > 0 {
		prosodyRSS, okP := value(r.Ref, memF(0, func(m MemRun) float64 { return m.RSSPerSess / 1000 }))
		add(fmt.Sprintf("idle RSS per session at %d, shipped defaults, process tree summed (KB)", n),
			memF(0, func(m MemRun) float64 { return m.RSSPerSess / 1000 }), "%.1f",
			func(o, p float64) string { return met("< Prosody", o < p) })
		add(fmt.Sprintf("idle PSS per session at %d, shipped defaults (KB)", n),
			memF(0, func(m MemRun) float64 { return m.PSSPerSess / 1000 }), "%.1f",
			func(o, _ float64) string {
				if !okP {
					return "<= 0.5x Prosody's RSS"
				}
				return met("<= 0.5x Prosody's RSS", o <= prosodyRSS/2)
			})
		add(fmt.Sprintf("idle RSS per session at %d, one backend for all (KB)", n),
			memF(1, func(m MemRun) float64 { return m.RSSPerSess / 1000 }), "%.1f", nil)
		add(fmt.Sprintf("idle PSS per session at %d, one backend for all (KB)", n),
			memF(1, func(m MemRun) float64 { return m.PSSPerSess / 1000 }), "%.1f", nil)
	}
	if t := r.Plan.Tail; t.Sessions > 0 {
		ejP99 := func(rate int, idle bool) (float64, bool) {
			return value(r.Ejabberd, tailF(rate, idle, func(ph TailPhase) float64 { return millis(ph.Rtt.Latency.P99) }))
		}
		for _, idle := range []bool{false, true} {
			when := "fresh sessions"
			if idle {
				when = fmt.Sprintf("after %v idle", t.Idle)
			}
			for _, rate := range t.Rates {
				e, okE := ejP99(rate, idle)
				add(fmt.Sprintf("open loop p99 at %d msg/s, %d sessions, %s (ms)", rate, t.Sessions, when),
					tailF(rate, idle, func(ph TailPhase) float64 { return millis(ph.Rtt.Latency.P99) }), "%.2f",
					func(o, _ float64) string {
						if !okE {
							return "<= ejabberd"
						}
						return met("<= ejabberd", o <= e)
					})
				add(fmt.Sprintf("open loop p99.9 at %d msg/s, %d sessions, %s (ms)", rate, t.Sessions, when),
					tailF(rate, idle, func(ph TailPhase) float64 { return millis(ph.Rtt.Latency.P999) }), "%.2f", nil)
			}
		}
	}
	if f := r.Floor; f != nil && f.Rate() > 0 {
		add(fmt.Sprintf("logins/s as a share of bare TLS 1.3 handshakes/s (%.0f) (%%)", f.Rate()),
			func(res *Results) (float64, bool) { return 100 * res.Login.Rate() / f.Rate(), res.Login.Logins > 0 }, "%.0f", nil)
	}
}

func memF(i int, f func(MemRun) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.Mem) || r.Mem[i].Err != "" || r.Mem[i].Opened == 0 {
			return 0, false
		}
		return f(r.Mem[i]), true
	}
}

func tailF(rate int, idle bool, f func(TailPhase) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		ph, ok := r.Tail.Phase(rate, idle)
		if !ok {
			return 0, false
		}
		return f(ph), true
	}
}

// referenceSections writes the sections of the bare TLS floor, the memory at the defaults and
// the tail latency.
func (r Report) referenceSections(b *strings.Builder) {
	servers := []*Results{r.Ours, r.Ref, r.Ejabberd}
	if f := r.Floor; f != nil {
		b.WriteString("\n### The physical floor: a bare Go TLS 1.3 server\n\n")
		if f.Err != "" {
			fmt.Fprintf(b, "Failed: `%s`\n", oneLine(f.Err))
		}
		fmt.Fprintf(b, "The bench program itself as a child process (`benchrun --%s`), pinned like the servers, with the same "+
			"certificate: a full TLS 1.3 handshake per connection and one byte written, nothing above TLS.\n\n", BareTLSFlag)
		b.WriteString("| figure | bare TLS |\n| --- | ---: |\n")
		fmt.Fprintf(b, "| handshakes/s (%d workers) | %.0f |\n", f.Workers, f.Rate())
		if f.Handshakes > 0 {
			fmt.Fprintf(b, "| server CPU per handshake | %s |\n", us(f.Cost.ServerCPU/timeDiv(f.Handshakes)))
			fmt.Fprintf(b, "| handshake p50 / p99 | %s / %s |\n", ms(f.Latency.P50), ms(f.Latency.P99))
		}
		fmt.Fprintf(b, "| errors | %d%s |\n", f.Errors, firstErr(f.FirstErr))
		fmt.Fprintf(b, "| server / generator CPU | %.0f %% / %.0f %% |\n", 100*f.Cost.ServerLoad(), 100*f.Cost.GenLoad())
		if f.Idle > 0 {
			fmt.Fprintf(b, "| idle RSS / PSS per connection at %d | %.1f KB / %.1f KB |\n", f.Idle, f.PerConn/1000, f.PSSPerConn/1000)
		}
		if f.Rate() > 0 {
			b.WriteString("\n| server | logins/s | share of the bare TLS ceiling |\n| --- | ---: | ---: |\n")
			for _, s := range servers {
				if s != nil && s.Login.Logins > 0 {
					fmt.Fprintf(b, "| %s | %.0f | %.0f %% |\n", s.Server, s.Login.Rate(), 100*s.Login.Rate()/f.Rate())
				}
			}
		}
	}
	if n := r.Plan.Mem.N; n > 0 {
		fmt.Fprintf(b, "\n### Memory of %d idle sessions at the shipped defaults\n\n", n)
		b.WriteString("Each column a fresh server; the growth of the whole process tree from the empty server (no " +
			"session) to N sessions held idle, divided by N, so fixed costs that sessions bring (backend " +
			"processes) count. RSS is summed over the processes (the binary's pages that the daemon and its " +
			"backends share count once per process), PSS divides shared pages among them (smaps_rollup).\n\n")
		type col struct {
			name string
			m    MemRun
		}
		var cols []col
		for _, s := range servers {
			if s == nil {
				continue
			}
			for _, m := range s.Mem {
				cols = append(cols, col{s.Server + ", " + m.Label, m})
			}
		}
		b.WriteString("| figure |")
		for _, c := range cols {
			fmt.Fprintf(b, " %s |", c.name)
		}
		b.WriteString("\n| --- |" + strings.Repeat(" ---: |", len(cols)) + "\n")
		line := func(what string, f func(MemRun) string) {
			fmt.Fprintf(b, "| %s |", what)
			for _, c := range cols {
				v := "failed"
				if c.m.Err == "" {
					v = f(c.m)
				}
				fmt.Fprintf(b, " %s |", v)
			}
			b.WriteString("\n")
		}
		kb := func(v float64) string { return fmt.Sprintf("%.1f", v/1000) }
		mb := func(v int64) string { return fmt.Sprintf("%.1f", float64(v)/1e6) }
		line("sessions opened", func(m MemRun) string { return fmt.Sprint(m.Opened) })
		line("RSS per session, tree summed (KB)", func(m MemRun) string { return kb(m.RSSPerSess) })
		line("PSS per session, tree summed (KB)", func(m MemRun) string { return kb(m.PSSPerSess) })
		line("tree RSS / PSS, empty (MB)", func(m MemRun) string { return mb(m.Empty.RSS) + " / " + mb(m.Empty.PSS) })
		line("tree RSS / PSS, with the sessions (MB)", func(m MemRun) string { return mb(m.Full.RSS) + " / " + mb(m.Full.PSS) })
		line("main process RSS / PSS, with the sessions (MB)", func(m MemRun) string { return mb(m.Full.Root.RSS) + " / " + mb(m.Full.Root.PSS) })
		line("processes below the main one: empty, with the sessions", func(m MemRun) string {
			return fmt.Sprintf("%d, %d", len(m.Empty.Children), m.Backends())
		})
		line("a native backend with 1 user: RSS / PSS (MB)", func(m MemRun) string {
			if m.First.PID == 0 {
				return "n/a"
			}
			return mb(m.First.RSS) + " / " + mb(m.First.PSS)
		})
		line("of which anonymous (heap, stacks) / file pages (the binary, shared with the daemon) (MB)", func(m MemRun) string {
			if m.First.PID == 0 {
				return "n/a"
			}
			return mb(m.First.Anon) + " / " + mb(m.First.RSS-m.First.Anon)
		})
		line("the same backend at the end: users, RSS / PSS (MB)", func(m MemRun) string {
			if m.FirstFull.PID == 0 {
				return "n/a"
			}
			return fmt.Sprintf("%d, %s / %s", m.FirstUsers, mb(m.FirstFull.RSS), mb(m.FirstFull.PSS))
		})
		line("what each further user adds to that backend: RSS / anonymous (KB)", func(m MemRun) string {
			if m.FirstUsers < 2 || m.FirstFull.PID == 0 {
				return "n/a"
			}
			return kb(m.PerUserRSS()) + " / " + kb(m.PerUserAnon())
		})
		line("drops", func(m MemRun) string { return fmt.Sprint(m.Drops) })
	}
	if t := r.Plan.Tail; t.Sessions > 0 {
		fmt.Fprintf(b, "\n### Tail latency, open loop\n\n")
		fmt.Fprintf(b, "Each server fresh at its defaults, %d sessions (spectrum2: each to the echo contact, a round trip "+
			"through the backend; Prosody and ejabberd: pairs, a message and its answer through the server), a fixed "+
			"rate for %v, latency from the intended send time; first right after the sessions opened, then again "+
			"after they sat idle for %v. \"answered\" counts answers within 5 s after the last send.\n\n", t.Sessions, t.Phase, t.Idle)
		b.WriteString("| rate | when | server | p50 | p99 | p99.9 | max | answered |\n| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
		for _, idle := range []bool{false, true} {
			for _, rate := range t.Rates {
				for _, s := range servers {
					if s == nil || s.Tail == nil {
						continue
					}
					ph, ok := s.Tail.Phase(rate, idle)
					if !ok {
						fmt.Fprintf(b, "| %d | %v | %s | failed | | | | |\n", rate, idle, s.Server)
						continue
					}
					l := ph.Rtt.Latency
					fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %d of %d |\n", rate, ph.When(), s.Server,
						ms(l.P50), ms(l.P99), ms(l.P999), ms(l.Max), ph.Rtt.Received, ph.Rtt.Sent)
				}
			}
		}
		for _, s := range servers {
			if s != nil && s.Tail != nil && s.Tail.Err != "" {
				fmt.Fprintf(b, "\n%s: `%s`\n", s.Server, oneLine(s.Tail.Err))
			}
		}
	}
}

func timeDiv(n int) time.Duration { return time.Duration(n) }

// LoadAverage is the first three fields of /proc/loadavg, or "".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// loadLine says how busy the machine was: the bench pins the server and the generator to a
// core each, so anything else running (other people's builds and tests) takes from them.
// The bench's own two busy cores make a load of up to 2 by the end, so the end's one-minute
// figure tells another load only above 2.5; the start's (before the bench's own) above 1.5.
func (r Report) loadLine() string { return loadVerdict(r.LoadStart, LoadAverage()) }

// loadVerdict is loadLine's text for the load average at the start and at the end.
func loadVerdict(start, end string) string {
	s := fmt.Sprintf("load average (1, 5, 15 min) %s at the start, %s at the end", start, end)
	if loaded(start, 1.5) || loaded(end, 2.5) {
		s += "; **a loaded machine**: other processes shared the pinned cores, so these figures are not fit to judge targets by"
	}
	return s
}

// loaded reports whether the one-minute figure of load (LoadAverage's form) is above limit.
func loaded(load string, limit float64) bool {
	f := strings.Fields(load)
	if len(f) == 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > limit
}

const referenceMethod = `- **ejabberd** (Debian's package, issue 26) runs as a child process of the bench: erl
  directly (no node name, so no Erlang distribution and no epmd), with its own ejabberd.yml,
  Mnesia directory and log in the scratch directory, pinned like the others and stopped by its
  PID (SIGTERM, the VM's clean stop). Its configuration matches Prosody's: c2s on loopback with
  STARTTLS required, TLS 1.3 only (c2s_protocol_options no_sslv2 ... no_tlsv1_2), the bench
  certificate, internal auth with auth_password_format plain, mod_roster, mod_disco, mod_ping
  and mod_stream_mgmt, no s2s, no offline storage, no shaper (ejabberd's example configuration
  limits c2s to 1,000 bytes/s; the bench's has none). Its listener sets TCP_NODELAY itself
  (inet:getopts on the listening socket reads nodelay true). Its listen backlog is raised to
  1024 (ejabberd_listener's default is 5: with 50 or 100 workers connecting at once, SYNs
  were dropped and logins waited 1 to 13 s for retransmits; Go's listener takes the kernel's
  somaxconn, 4096 here, Prosody's tcp_backlog is 128). The accounts are registered
  through ejabberd_auth:try_register in a first run of the VM that stops when they are stored.
  Like Prosody's, its users talk in pairs.
- **bare TLS floor**: the bench program itself with --bare-tls-serve as a pinned child: Go's
  crypto/tls server with the bench certificate, TLS 1.3 only, no session tickets; for every
  connection a full handshake and one byte written, then it reads until the client leaves. The
  generator's loops connect, handshake (the same client configuration as the logins), read the
  byte and close. Idle memory: growth of RSS and PSS from the empty server to N open
  connections. Logins are shown as a share of its handshakes per second: the ceiling of any
  login on that core.
- **memory at the shipped defaults**: a fresh server per column; RSS and PSS (from
  /proc/PID/smaps_rollup) summed over the whole process tree before any session and after N
  sessions held idle, the growth divided by N, so the backend processes the sessions bring
  count. spectrum2 runs at the shipped users_per_backend and, beside it, with one backend for
  all (the bench's setting elsewhere); the full run adds Spectrum 2's 100. The first backend
  is read with its first user (once the tree's RSS stopped moving) and again at the end: "what each further user adds".
- **tail latency**: a fresh server at its defaults with 500 sessions; open loop at 1,000 and
  then 5,000 messages a second, right after the sessions opened, then again after they sat idle;
  latency from the intended send time, p99 and p99.9 of the answers, which count only if they
  come within 5 s after the last send (so a saturated server shows as unanswered messages and
  multi-second tails). 500 sessions keep spectrum2's users at 10 stanzas a second at 5,000 msg/s,
  under its shipped limits.stanzas_per_second of 50.

## Setup

- ` + "`bash scripts/deps.sh`" + ` installs Prosody and ejabberd from Debian (their daemons kept from
  starting by policy-rc.d) with everything else the tests need.
- ` + "`make bench`" + ` (--full) and ` + "`make bench-quick`" + ` (--quick) build spectrum2 and run everything:
  the bare TLS floor, spectrum2, Prosody, ejabberd. ` + "`go run ./test/bench/cmd/benchrun --quick --only ejabberd --out ''`" + `
  measures one server (spectrum2, prosody or ejabberd) and prints the table only;
  ` + "`--reference-only`" + ` runs only the floor, the memory at the defaults and the tail test.
- Run it on a quiet machine: the load line above each section says how busy it was.
`
