package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// settle is how long a server is left alone before a memory reading that the next one is
// compared with, so that both find it in the same quiet state (spectrum2 returns free heap
// memory to the OS after 2 s without a collection; the hold before the second reading is
// longer).
const settle = 5 * time.Second

// Scale is one session count of the idle and message tests.
type Scale struct {
	N    int
	Hold time.Duration // how long the idle sessions are held
}

// Plan is what a bench run measures.
type Plan struct {
	LoginWorkers int           // concurrent login loops
	LoginUsers   int           // distinct accounts the login loops cycle over
	LoginTime    time.Duration // length of the login test
	PoolWorkers  int           // concurrent logins while opening a pool
	Scales       []Scale
	MsgTime      time.Duration // length of each message test
	OpenRate     int           // messages per second of the open-loop test
	RosterSizes  []int         // demo contacts per user (servers with a legacy roster only)
	RosterUsers  int           // users timed per roster size
	SMScales     []Scale       // idle tests with stream management enabled (XEP-0198)
	StormN       int           // sessions of the reconnect storm (servers with an echo bot only); 0: none
	GenShare     float64       // most of a core the generator uses while opening a pool; 0: no pacing
	Offline      OfflinePlan   // offline messages (servers with an echo bot only); no DBs: none
	Abuse        AbusePlan     // abusive clients beside well-behaved ones (spectrum2 only); no Good: none
	Archive      ArchivePlan   // the message archive (spectrum2 only); no Sessions: none
	Upload       UploadPlan    // HTTP upload (spectrum2 only); no Rounds: none
	Mem          MemPlan       // idle memory at the shipped defaults; no N: none
	Tail         TailPlan      // open-loop tail latency, fresh and after idling; no Sessions: none
	Floor        FloorPlan     // the bare TLS 1.3 server; no Workers: none
	Matrix       MatrixPlan    // builtin:matrix on a Dendrite (spectrum2 only); no Users: none
}

// Users is the number of accounts the plan needs.
func (p Plan) Users() int {
	n := p.LoginUsers
	for _, s := range append(p.Scales, p.SMScales...) {
		n = max(n, s.N)
	}
	n = max(n, p.StormN, p.Mem.N, p.Tail.Sessions, p.Archive.Sessions)
	return n + p.RosterUsers + 1
}

// ScaleResult is the outcome of the idle and message tests at one session count.
type ScaleResult struct {
	N, Opened   int
	SM          bool // sessions enabled stream management (idle test only)
	Err         string
	Open        Cost    // opening the pool
	PerSession  float64 // server RSS growth per session, bytes
	RootPerSess float64 // the same for the root process alone (without backend processes)
	Hold        time.Duration
	Drops       int
	Closed, Rtt MsgResult
	Heap        string // top of the server's Go heap after the hold, if it serves one
}

// Results is everything measured on one server.
type Results struct {
	Server   string
	Login    LoginResult
	LoginErr string
	Scales   []ScaleResult
	Rosters  []RosterResult
	SMScales []ScaleResult
	Storm    *StormResult
	Offline  []OfflineResult
	Abuse    *AbuseResult
	Archive  *ArchiveResult
	Upload   *UploadResult
	Mem      []MemRun // spectrum2: at the shipped defaults, then with one backend
	Tail     *TailResult
	Matrix   *MatrixResult
}

// Run measures srv according to plan, restarting it before every measurement, and logs
// progress to w.
func Run(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan, w io.Writer) Results {
	r := Results{Server: srv.Name}
	if plan.LoginWorkers > 0 {
		done := Phase(w, srv.Name+" login")
		r.Login, r.LoginErr = runLogin(ctx, srv, cfg, plan, w)
		done()
	}
	for i, sc := range plan.Scales {
		fmt.Fprintf(w, "== %s: %d sessions, idle %v, messages %v\n", srv.Name, sc.N, sc.Hold, plan.MsgTime)
		done := Phase(w, fmt.Sprintf("%s scale %d", srv.Name, sc.N))
		res := runScale(ctx, srv, cfg, plan, sc, 2*i+1, false, w)
		done()
		fmt.Fprintf(w, "   %.1f KB/session, %d drops, closed %.0f msg/s %s (%d unanswered after it), open %d/s %s %s\n",
			res.PerSession/1000, res.Drops, res.Closed.Rate(), res.Closed.Latency, res.Closed.Backlog, plan.OpenRate,
			res.Rtt.Latency, res.Err)
		r.Scales = append(r.Scales, res)
	}
	for _, sc := range plan.SMScales {
		fmt.Fprintf(w, "== %s: %d sessions with stream management, idle %v\n", srv.Name, sc.N, sc.Hold)
		done := Phase(w, fmt.Sprintf("%s scale %d with stream management", srv.Name, sc.N))
		res := runScale(ctx, srv, cfg, plan, sc, 0, true, w)
		done()
		fmt.Fprintf(w, "   %.1f KB/session, %d drops %s\n", res.PerSession/1000, res.Drops, res.Err)
		r.SMScales = append(r.SMScales, res)
	}
	runReferenceTests(ctx, srv, cfg, plan, w, &r)
	if srv.EchoBot && plan.StormN > 0 {
		fmt.Fprintf(w, "== %s: reconnect storm of %d sessions\n", srv.Name, plan.StormN)
		done := Phase(w, srv.Name+" reconnect storm")
		st := RunStorm(ctx, srv, cfg, plan.StormN, plan.PoolWorkers)
		done()
		fmt.Fprintf(w, "   %d resumed in %v (%d failed %s), %d answers before the drop, %d lost, %d duplicated %s\n",
			st.Resumed, st.AllResumed.Round(time.Millisecond), st.ResumeErrs, st.FirstErr, st.BeforeDrop,
			st.Lost, st.Duplicated, st.Err)
		r.Storm = &st
	}
	// The archive test: spectrum2's archive, beside Prosody's mod_mam (both on SQLite).
	if a := plan.Archive; a.Sessions > 0 && (srv.Name == "spectrum2" || (srv.Name == "prosody" && !a.OursOnly)) {
		fmt.Fprintf(w, "== %s: message archive, %d echo sessions %v off and on, queries with %d archived\n",
			srv.Name, a.Sessions, a.MsgTime, a.Entries)
		done := Phase(w, srv.Name+" archive")
		ar := RunArchive(ctx, srv, cfg, a, plan.PoolWorkers, w)
		done()
		fmt.Fprintf(w, "   round trips %.0f msg/s off, %.0f msg/s on (%.0f%% cost); daemon CPU per round trip %.1f µs off, %.1f µs on (%.0f%% cost); %.0f msg/s fill, last 50 of one conversation: %s (%d results) %s\n",
			ar.Off.Rate(), ar.On.Rate(), 100*ar.Cost(), micros(ar.Off.CPUPerMsg()), micros(ar.On.CPUPerMsg()), 100*ar.CPUCost(),
			ar.FillRate, ar.Query, ar.Results, ar.Err)
		r.Archive = &ar
	}
	if srv.EchoBot {
		for _, db := range plan.Offline.DBs {
			fmt.Fprintf(w, "== %s: offline messages on %s\n", srv.Name, db.Driver)
			done := Phase(w, srv.Name+" offline "+db.Driver)
			or := RunOffline(ctx, srv, cfg, plan.Offline, db)
			done()
			fmt.Fprintf(w, "   %.0f msg/s into the store, %d delivered at login in %v, RSS %.1f MB empty, %.1f MB with %d x %d stored %s\n",
				or.StoreRate, or.Delivered, or.Deliver.Round(time.Millisecond), float64(or.RSSEmpty)/1e6,
				float64(or.RSSFull)/1e6, or.Users, or.PerUser, or.Err)
			r.Offline = append(r.Offline, or)
		}
		if u := plan.Upload; u.Rounds > 0 && srv.Name == "spectrum2" {
			fmt.Fprintf(w, "== %s: HTTP upload, %d PUT + GET rounds of %.0f MB beside the bare net/http floor, then %d at once\n",
				srv.Name, u.Rounds, float64(u.Size)/1e6, u.Parallel)
			done := Phase(w, srv.Name+" upload")
			ur := RunUpload(ctx, srv, cfg, u, plan.PoolWorkers)
			done()
			fmt.Fprintln(w, uploadLine(ur))
			r.Upload = &ur
		}
		if m := plan.Matrix; m.Users > 0 && srv.Name == "spectrum2" {
			fmt.Fprintf(w, "== %s: builtin:matrix on Dendrite, %d users with a direct chat with echo, %d echo round trips\n",
				srv.Name, m.Users, m.RoundTrips)
			done := Phase(w, srv.Name+" matrix")
			mr := RunMatrix(ctx, srv, cfg, m, plan.PoolWorkers)
			done()
			fmt.Fprintln(w, MatrixLine(mr))
			r.Matrix = &mr
		}
		if a := plan.Abuse; a.Good > 0 && srv.Name == "spectrum2" {
			fmt.Fprintf(w, "== %s: abuse, %d echo sessions at %d msg/s for %v, without and with %d abusers\n",
				srv.Name, a.Good, a.Rate, a.MsgTime, a.Abusers)
			done := Phase(w, srv.Name+" abuse")
			ab := RunAbuse(ctx, srv, cfg, a, plan.PoolWorkers)
			done()
			fmt.Fprintln(w, abuseLine(ab))
			r.Abuse = &ab
		}
		for _, size := range plan.RosterSizes {
			fmt.Fprintf(w, "== %s: roster of %d contacts\n", srv.Name, size)
			done := Phase(w, fmt.Sprintf("%s roster %d", srv.Name, size))
			rr := RunRoster(ctx, srv, cfg, size, plan.RosterUsers)
			done()
			fmt.Fprintf(w, "   %s, daemon heap %.1f KB/user, tree RSS %.1f KB/user %s\n", rr.Time,
				rr.HeapPerUser/1000, rr.PerUser/1000, rr.Err)
			r.Rosters = append(r.Rosters, rr)
		}
	}
	return r
}

// runLogin is the login test on a fresh server.
func runLogin(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan, w io.Writer) (LoginResult, string) {
	fmt.Fprintf(w, "== %s: login, %d workers, %v\n", srv.Name, plan.LoginWorkers, plan.LoginTime)
	if err := srv.Start(ctx, Options{}); err != nil {
		return LoginResult{}, err.Error()
	}
	res, err := RunLogin(ctx, srv, cfg, plan.LoginWorkers, plan.LoginUsers, plan.LoginTime)
	srv.Stop()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	fmt.Fprintf(w, "   %.0f logins/s, %d errors %s, server %.0f%% gen %.0f%%\n", res.Rate(),
		res.Errors, res.FirstErr, 100*res.Cost.ServerLoad(), 100*res.Cost.GenLoad())
	return res, msg
}

// runScale opens a pool of sc.N sessions on a fresh server, measures its memory after the
// hold, then, unless the sessions enabled stream management (sm: the idle test only), runs
// the closed-loop and the open-loop message tests over it.
func runScale(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan, sc Scale, phase int, sm bool, w io.Writer) ScaleResult {
	res := ScaleResult{N: sc.N, Hold: sc.Hold, SM: sm}
	name := fmt.Sprintf("%s scale %d: ", srv.Name, sc.N)
	done := Phase(w, name+"start")
	if err := srv.Start(ctx, Options{}); err != nil {
		res.Err = err.Error()
		return res
	}
	done()
	p := &Pool{SM: sm, GenShare: plan.GenShare}
	defer func() {
		done := Phase(w, name+"close and stop")
		p.Close()
		srv.Stop()
		done()
	}()
	// A few sessions first, so that fixed costs (a backend process, caches) stay out of the
	// per-session figure.
	warm := max(2, min(100, sc.N/10)) &^ 1
	if err := p.Open(ctx, srv, cfg, warm, plan.PoolWorkers); err != nil {
		res.Err = err.Error()
		return res
	}
	base, err := settledUsage(ctx, srv)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	m, err := StartMeter(srv.PID())
	if err != nil {
		res.Err = err.Error()
		return res
	}
	done = Phase(w, name+"open")
	err = p.Open(ctx, srv, cfg, sc.N, plan.PoolWorkers)
	done()
	res.Opened = len(p.Sessions)
	if res.Open, _ = m.Read(); err != nil {
		res.Err = err.Error()
		return res
	}
	// The hold, then as long as the RSS still moves (the daemon trims its heap once a tick
	// is quiet after the logins), so that the reading finds the state the first one did.
	time.Sleep(sc.Hold)
	u, err := settledUsage(ctx, srv)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.PerSession = float64(u.RSS-base.RSS) / float64(res.Opened-warm)
	res.RootPerSess = float64(u.RootRSS-base.RootRSS) / float64(res.Opened-warm)
	res.Drops = p.Drops()
	if sm {
		return res
	}
	done = Phase(w, name+"heap profile")
	res.Heap = HeapProfile(ctx, srv, fmt.Sprint(sc.N), 20)
	done()
	done = Phase(w, name+"closed loop")
	res.Closed, err = RunClosed(p, srv, phase, plan.MsgTime, true, nil)
	done()
	if err != nil {
		res.Err = err.Error()
		return res
	}
	done = Phase(w, name+"open loop")
	res.Rtt, err = RunOpen(p, srv.PID(), phase+1, srv.EchoBot, plan.OpenRate, plan.MsgTime)
	done()
	if err != nil {
		res.Err = err.Error()
	}
	res.Drops = p.Drops()
	return res
}
