package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Report is one bench run: what was run, on what, and the results of both servers.
type Report struct {
	Plan              Plan
	Full              bool
	Command           string
	Started, Finished time.Time
	ProsodyVersion    string
	EjabberdVersion   string
	LoadStart         string       // /proc/loadavg when the run started
	Ours, Ref         *Results     // spectrum2 and Prosody; nil when not measured
	Ejabberd          *Results     // the second reference; nil when not measured
	Floor             *FloorResult // the bare TLS 1.3 server; nil when not measured
	Crypto            CryptoCost   // measured on the generator's core before the run
}

// row is one line of the comparison table.
type row struct {
	what, ours, ref, ratio, ej, ejRatio, target string
}

// Table is the comparison table in Markdown: our figure, Prosody's and the ratio, ejabberd's
// and the ratio, the target.
func (r Report) Table() string {
	var b strings.Builder
	b.WriteString("| measure | spectrum2 | Prosody | ratio | ejabberd | ratio | target |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, x := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", x.what, x.ours, x.ref, x.ratio, x.ej, x.ejRatio, x.target)
	}
	return b.String()
}

func (r Report) rows() []row {
	var rows []row
	add := func(what string, f func(*Results) (float64, bool), format string, cmp func(o, p float64) string) {
		o, okO := value(r.Ours, f)
		p, okP := value(r.Ref, f)
		e, okE := value(r.Ejabberd, f)
		x := row{what: what, ours: "pending", ref: "n/a", ej: "n/a"}
		if okO {
			x.ours = fmt.Sprintf(format, o)
		}
		if okP {
			x.ref = fmt.Sprintf(format, p)
		}
		if okE {
			x.ej = fmt.Sprintf(format, e)
		}
		if okO && okP && p != 0 {
			x.ratio = fmt.Sprintf("%.2fx", o/p)
		}
		if okO && okE && e != 0 {
			x.ejRatio = fmt.Sprintf("%.2fx", o/e)
		}
		if cmp != nil {
			x.target = cmp(o, p)
			if !okO || (!okP && strings.Contains(x.target, "Prosody")) {
				x.target = strings.SplitN(x.target, ":", 2)[0] // cannot be judged
			}
		}
		rows = append(rows, x)
	}
	target := func(name string, ok func(o, p float64) bool) func(o, p float64) string {
		return func(o, p float64) string {
			if ok(o, p) {
				return name + ": met"
			}
			return name + ": **missed**"
		}
	}
	add(fmt.Sprintf("logins/s (%d workers)", r.Plan.LoginWorkers), loginRate, "%.0f",
		target(">= 4x Prosody", func(o, p float64) bool { return o >= 4*p }))
	add("server CPU per login (ms)", loginCPU, "%.2f", nil)
	add("logins per second of server CPU", loginPerCPU, "%.0f",
		target(">= 4x Prosody", func(o, p float64) bool { return o >= 4*p }))
	add("login latency p99 (ms)", loginP99, "%.1f", nil)
	for i, sc := range r.Plan.Scales {
		add(fmt.Sprintf("idle RSS per session at %d, spectrum2 with one backend for all, warm-up excluded (KB)", sc.N), scaleF(i, perSession), "%.1f",
			target("<= 0.5x Prosody", func(o, p float64) bool { return o <= p/2 }))
		add(fmt.Sprintf("drops over %v at %d", sc.Hold, sc.N), scaleF(i, drops), "%.0f",
			target("none", func(o, p float64) bool { return o == 0 }))
		add(fmt.Sprintf("message capacity at %d sessions (round trips/s)", sc.N), scaleF(i, capacity), "%.0f",
			target(">= 2x Prosody", func(o, p float64) bool { return o >= 2*p }))
		add(fmt.Sprintf("server CPU per round trip at %d (µs)", sc.N), scaleF(i, msgCPU), "%.1f", nil)
		add(fmt.Sprintf("p99 at %d msg/s, %d sessions (ms)", r.Plan.OpenRate, sc.N), scaleF(i, openP99), "%.2f",
			target("<= 0.5x Prosody", func(o, p float64) bool { return o <= p/2 }))
	}
	for i, sc := range r.Plan.SMScales {
		add(fmt.Sprintf("idle RSS per session with stream management at %d, spectrum2 with one backend for all; the references without it (KB)", sc.N),
			smOrPlainF(i, sc.N), "%.1f",
			target("per-session budget holds (<= 0.5x Prosody)", func(o, p float64) bool { return o <= p/2 }))
	}
	if n := r.Plan.StormN; n > 0 {
		add(fmt.Sprintf("reconnect storm of %d: drop to all resumed (ms)", n), stormF(stormTime), "%.0f", nil)
		add(fmt.Sprintf("reconnect storm of %d: lost messages", n), stormF(stormLost), "%.0f",
			target("0 lost", func(o, _ float64) bool { return o == 0 }))
		add(fmt.Sprintf("reconnect storm of %d: duplicated messages", n), stormF(stormDup), "%.0f",
			target("0 duplicated", func(o, _ float64) bool { return o == 0 }))
	}
	for i, size := range r.Plan.RosterSizes {
		add(fmt.Sprintf("roster of %d: get to complete (ms)", size), rosterF(i, rosterTime), "%.1f",
			rosterTarget(size))
		add(fmt.Sprintf("roster of %d: daemon heap per user, live after a collection (KB)", size), rosterHeapF(i), "%.1f", nil)
	}
	o := r.Plan.Offline
	for i, db := range o.DBs {
		add(fmt.Sprintf("offline, %s: messages/s into the store (%d writers)", db.Driver, storeWriters), offlineF(i, offlineRate), "%.0f", nil)
		add(fmt.Sprintf("offline, %s: %d stored messages delivered at login (ms)", db.Driver, o.Deliver), offlineF(i, offlineDeliver), "%.0f", nil)
		add(fmt.Sprintf("offline, %s: daemon RSS with %d users x %d stored (MB)", db.Driver, o.Users, o.PerUser), offlineF(i, offlineRSS), "%.1f", nil)
		add(fmt.Sprintf("offline, %s: daemon RSS with an empty store (MB)", db.Driver), offlineF(i, offlineRSSEmpty), "%.1f", nil)
	}
	if a := r.Plan.Archive; a.Sessions > 0 {
		add(fmt.Sprintf("archive: echo round trips/s, %d sessions, archive off", a.Sessions), archiveF(func(x *ArchiveResult) float64 { return x.Off.Rate() }), "%.0f", nil)
		add(fmt.Sprintf("archive: echo round trips/s, %d sessions, archive on", a.Sessions), archiveF(func(x *ArchiveResult) float64 { return x.On.Rate() }), "%.0f", nil)
		add("archive: share of round-trip capacity the archive costs (%)", archiveF(func(x *ArchiveResult) float64 { return 100 * x.Cost() }), "%.0f",
			target("<= 25 %", func(o, _ float64) bool { return o <= 25 }))
		add("archive: daemon CPU per round trip, archive off (µs)", archiveF(func(x *ArchiveResult) float64 { return micros(x.Off.CPUPerMsg()) }), "%.1f", nil)
		add("archive: daemon CPU per round trip, archive on (µs)", archiveF(func(x *ArchiveResult) float64 { return micros(x.On.CPUPerMsg()) }), "%.1f", nil)
		add("archive: share of the daemon's CPU per round trip the archive costs (%)", archiveF(func(x *ArchiveResult) float64 { return 100 * x.CPUCost() }), "%.0f",
			target("<= 25 %", func(o, _ float64) bool { return o <= 25 }))
		add(fmt.Sprintf("archive, sqlite: last 50 of one conversation with %d archived, p50 (ms)", a.Entries), archiveF(func(x *ArchiveResult) float64 { return millis(x.Query.P50) }), "%.2f", nil)
		add(fmt.Sprintf("archive, sqlite: last 50 of one conversation with %d archived, p99 (ms)", a.Entries), archiveF(func(x *ArchiveResult) float64 { return millis(x.Query.P99) }), "%.2f",
			target("p99 < 10 ms", func(o, _ float64) bool { return o < 10 }))
	}
	r.referenceRows(add)
	abuseRows(r.Plan.Abuse, add)
	uploadRows(r.Plan.Upload, add)
	matrixRows(r.Plan.Matrix, add)
	return rows
}

func archiveF(f func(*ArchiveResult) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if r.Archive == nil || r.Archive.Err != "" {
			return 0, false
		}
		return f(r.Archive), true
	}
}

func millis(d time.Duration) float64 { return float64(d) / 1e6 }

func micros(d time.Duration) float64 { return float64(d) / 1e3 }

func offlineF(i int, f func(OfflineResult) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.Offline) || r.Offline[i].Err != "" {
			return 0, false
		}
		return f(r.Offline[i]), true
	}
}

func offlineRate(r OfflineResult) float64     { return r.StoreRate }
func offlineDeliver(r OfflineResult) float64  { return float64(r.Deliver) / 1e6 }
func offlineRSS(r OfflineResult) float64      { return float64(r.RSSFull) / 1e6 }
func offlineRSSEmpty(r OfflineResult) float64 { return float64(r.RSSEmpty) / 1e6 }

func rosterTarget(size int) func(o, p float64) string {
	if size < 10000 {
		return nil
	}
	return func(o, _ float64) string {
		if o > 0 && o <= 1000 {
			return "within 1 s: met"
		}
		return "within 1 s: **missed**"
	}
}

func value(r *Results, f func(*Results) (float64, bool)) (float64, bool) {
	if r == nil {
		return 0, false
	}
	return f(r)
}

func loginRate(r *Results) (float64, bool) { return r.Login.Rate(), r.Login.Logins > 0 }

func loginCPU(r *Results) (float64, bool) {
	return float64(r.Login.CPUPerLogin()) / 1e6, r.Login.Logins > 0
}

func loginPerCPU(r *Results) (float64, bool) {
	c := r.Login.CPUPerLogin()
	return float64(time.Second) / float64(c), c > 0
}

func loginP99(r *Results) (float64, bool) {
	return float64(r.Login.Phases["total"].P99) / 1e6, r.Login.Logins > 0
}

func scaleF(i int, f func(ScaleResult) (float64, bool)) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.Scales) || r.Scales[i].Opened < r.Scales[i].N {
			return 0, false
		}
		return f(r.Scales[i])
	}
}

// smOrPlainF is the idle test with stream management, or for a server that did not run it
// (the references do not: issue 13's budget is issue 11's half of Prosody's RSS per session,
// and Prosody's 5,000 with mod_smacks took 83 s of make bench) its idle test at n sessions.
func smOrPlainF(i, n int) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if v, ok := smScaleF(i, perSession)(r); ok {
			return v, true
		}
		if len(r.SMScales) > 0 {
			return 0, false
		}
		for j, sc := range r.Scales {
			if sc.N == n {
				return scaleF(j, perSession)(r)
			}
		}
		return 0, false
	}
}

func smScaleF(i int, f func(ScaleResult) (float64, bool)) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.SMScales) || r.SMScales[i].Opened < r.SMScales[i].N || r.SMScales[i].Err != "" {
			return 0, false
		}
		return f(r.SMScales[i])
	}
}

// stormF is a figure of the reconnect storm, when it ran through: every session resumed.
func stormF(f func(*StormResult) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		s := r.Storm
		if s == nil || s.Err != "" || s.Resumed < s.N {
			return 0, false
		}
		return f(s), true
	}
}

func stormTime(s *StormResult) float64 { return float64(s.AllResumed) / 1e6 }
func stormLost(s *StormResult) float64 { return float64(s.Lost) }
func stormDup(s *StormResult) float64  { return float64(s.Duplicated) }

func perSession(s ScaleResult) (float64, bool) { return s.PerSession / 1000, true }
func drops(s ScaleResult) (float64, bool)      { return float64(s.Drops), true }
func capacity(s ScaleResult) (float64, bool)   { return s.Closed.Rate(), s.Closed.Received > 0 }
func msgCPU(s ScaleResult) (float64, bool) {
	return float64(s.Closed.CPUPerMsg()) / 1e3, s.Closed.Received > 0
}
func openP99(s ScaleResult) (float64, bool) {
	return float64(s.Rtt.Latency.P99) / 1e6, s.Rtt.Received > 0
}

func rosterF(i int, f func(RosterResult) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.Rosters) || r.Rosters[i].Err != "" {
			return 0, false
		}
		return f(r.Rosters[i]), true
	}
}

func rosterTime(r RosterResult) float64 { return float64(r.Time.P50) / 1e6 }

// rosterHeapF is the roster test's heap per user, when the server served its heap.
func rosterHeapF(i int) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if i >= len(r.Rosters) || r.Rosters[i].Err != "" || r.Rosters[i].HeapPerUser == 0 {
			return 0, false
		}
		return r.Rosters[i].HeapPerUser / 1000, true
	}
}

// Machine describes where the run happened.
func Machine() string {
	model, cpus := "unknown CPU", 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				cpus++ // not runtime.NumCPU: the generator is pinned to one core
			}
			if strings.HasPrefix(l, "model name") && model == "unknown CPU" {
				_, model, _ = strings.Cut(l, ":")
				model = strings.TrimSpace(model)
			}
		}
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s", cpus, model, runtime.Version())
}

// Commit is `git describe --always --dirty` of the working tree, or "unknown".
func Commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
