package bench

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"
)

// Markdown is docs/benchmarks.md after this run: this run's section replaces the section of
// the same kind (full or quick) in existing, and a section of the other kind is kept, so a
// quick run does not erase the figures of the last full one; so is everything before the
// first of them (the introduction and the sections of tests run by hand). The method
// after them is this program's.
func (r Report) Markdown(existing string) string {
	kind := "quick"
	if r.Full {
		kind = "full"
	}
	sections := map[string]string{"full": section(existing, "full"), "quick": section(existing, "quick")}
	sections[kind] = r.section(kind)
	var b strings.Builder
	b.WriteString(preamble(existing))
	for _, k := range []string{"full", "quick"} {
		if sections[k] != "" {
			b.WriteString(sections[k] + "\n\n")
		}
	}
	b.WriteString(ircSections(existing)) // written by IRCResults.Markdown (ircreport.go)
	b.WriteString(method + referenceMethod)
	return b.String()
}

// preamble is what comes before the runs' sections: existing's, with the sections written
// by hand there (tests run on their own), or the title and introduction of a new report.
func preamble(existing string) string {
	i := len(existing)
	for _, k := range []string{"full", "quick"} {
		if j := strings.Index(existing, "<!-- bench:"+k+" -->"); j >= 0 {
			i = min(i, j)
		}
	}
	if i < len(existing) && strings.HasPrefix(existing, "# ") {
		return existing[:i]
	}
	return "# Benchmarks: spectrum2, Prosody and ejabberd side by side\n\n" +
		"Written by `test/bench/cmd/benchrun`: `make bench` rewrites the full-run section, " +
		"`make bench-quick` the quick-run section. Absolute figures move by 10 to 20 % from run to run; " +
		"compare the ratios of one run. The targets are judged on the full run: the quick run's login test " +
		"is short (5 s, 50 workers), and Prosody logs in more cheaply in its first seconds than over the full " +
		"run's 10 s with 100 workers (compare its server CPU per login in the two sections).\n\n"
}

// section is the marked section of kind in doc, markers included, or "".
func section(doc, kind string) string {
	begin, end := "<!-- bench:"+kind+" -->", "<!-- /bench:"+kind+" -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return ""
	}
	return doc[i : j+len(end)]
}

// section is this run's part of the document.
func (r Report) section(kind string) string {
	var b strings.Builder
	title := map[string]string{"full": "Full run (`make bench`)", "quick": "Quick run (`make bench-quick`)"}[kind]
	fmt.Fprintf(&b, "<!-- bench:%s -->\n## %s\n\n", kind, title)
	fmt.Fprintf(&b, "- date: %s to %s\n", r.Started.Format(time.RFC3339), r.Finished.Format("15:04:05Z"))
	fmt.Fprintf(&b, "- commit: `%s`\n- machine: %s\n- command: `%s`\n", Commit(), Machine(), r.Command)
	fmt.Fprintf(&b, "- reference: %s (Debian package), same certificate, TLS 1.3 only, same generator\n", r.ProsodyVersion)
	fmt.Fprintf(&b, "- machine load: %s\n", r.loadLine())
	if r.EjabberdVersion != "" {
		fmt.Fprintf(&b, "- second reference: %s (Debian package), configured the same way (see Method)\n", r.EjabberdVersion)
	}
	fmt.Fprintf(&b, "- TLS: ECDSA P-256 certificate generated per run, full handshake every login, key exchange %s\n", r.curve())
	b.WriteString("- pinning: each server (with its backend processes) on core 0 (`taskset -c 0`), the generator on core 1; a fresh server for the login test, for each session count (idle, then closed loop, then open loop on the same sessions) and for each roster size\n")
	if r.Plan.GenShare > 0 {
		fmt.Fprintf(&b, "- pacing: the generator opens the sessions of the idle tests at a rate that keeps it under %.0f %% of its core (the login test is not paced)\n", 100*r.Plan.GenShare)
	}
	b.WriteString("\n")
	b.WriteString("### Summary\n\n")
	b.WriteString(r.Table())
	b.WriteString("\nRatios are spectrum2 / Prosody and spectrum2 / ejabberd. \"pending\": spectrum2 could not be measured in this run; " +
		"\"n/a\": the figure does not apply to the reference (no legacy roster) or it was not measured " +
		"(the references run the session counts up to 5,000; ejabberd has no idle test with stream management).\n")
	r.referenceSections(&b)
	if n := r.notes(); n != "" {
		b.WriteString("\n" + n)
	}
	for _, res := range []*Results{r.Ours, r.Ref, r.Ejabberd} {
		if res != nil {
			r.details(&b, res)
		}
	}
	fmt.Fprintf(&b, "\n<!-- /bench:%s -->", kind)
	return b.String()
}

// notes flags figures that the generator, not the server, may have limited.
func (r Report) notes() string {
	var b strings.Builder
	flag := func(server, what string, c Cost) {
		if c.GenLoad() > 0.5 {
			fmt.Fprintf(&b, "- %s, %s: the generator used %.0f %% of its core (server %.0f %%).\n",
				server, what, 100*c.GenLoad(), 100*c.ServerLoad())
		}
	}
	for _, res := range []*Results{r.Ours, r.Ref, r.Ejabberd} {
		if res == nil {
			continue
		}
		flag(res.Server, "login test", res.Login.Cost)
		for _, s := range res.Scales {
			flag(res.Server, fmt.Sprintf("opening %d sessions", s.N), s.Open)
			flag(res.Server, fmt.Sprintf("closed loop at %d sessions", s.N), s.Closed.Cost)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	if c, o := r.Crypto, r.Ours; c.X25519 > 0 && o != nil && o.Login.Logins > 0 && o.Login.Cost.GenLoad() > 0.5 {
		n := time.Duration(o.Login.Logins)
		fmt.Fprintf(&b, "\nIn the login test the generator does a TLS 1.3 client's work for every login, more public-key "+
			"work than the server's: on its core X25519 key generation and agreement take %s and verifying the "+
			"server's ECDSA P-256 signature %s, while the server spends %s on the agreement and %s signing. "+
			"With the rest of a client's work (socket, TLS records, XML) it used %s of CPU per login against the "+
			"server's %s, so it cannot stay under half its core while logins keep the server's core busy.\n",
			us(c.X25519), us(c.Verify), us(c.X25519), us(c.Sign), us(o.Login.Cost.GenCPU/n), us(o.Login.Cost.ServerCPU/n))
	}
	return "Generator load above half a core (a figure is limited by the server only where the server is near 100 %):\n\n" + b.String()
}

// curve names the key exchange the login test negotiated.
func (r Report) curve() string {
	for _, res := range []*Results{r.Ours, r.Ref, r.Ejabberd} {
		if res != nil && res.Login.Curve != 0 {
			return tls.CurveID(res.Login.Curve).String()
		}
	}
	return "unknown"
}

func (r Report) details(b *strings.Builder, res *Results) {
	fmt.Fprintf(b, "\n### %s in detail\n\n", res.Server)
	if res.LoginErr != "" {
		fmt.Fprintf(b, "Could not be measured: `%s`\n", oneLine(res.LoginErr))
		return
	}
	l := res.Login
	fmt.Fprintf(b, "Login: %d logins in %v by %d workers, %d errors%s; server CPU %.0f %% of its core, "+
		"generator %.0f %% of its core.\n\n", l.Logins, l.Cost.Elapsed.Round(time.Millisecond), l.Workers,
		l.Errors, firstErr(l.FirstErr), 100*l.Cost.ServerLoad(), 100*l.Cost.GenLoad())
	b.WriteString("| login phase | p50 | p90 | p99 | max |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, n := range phaseNames {
		s := l.Phases[n]
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", n, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max))
	}
	if len(res.Scales) > 0 {
		b.WriteString("\n| sessions | opened | opening: server / generator CPU | idle RSS/session (main process) | drops | " +
			"closed loop: round trips/s, p50, p99, server / gen CPU | open loop: sent, answered, p50, p99, max |\n" +
			"| ---: | ---: | --- | ---: | ---: | --- | --- |\n")
	}
	for _, s := range res.Scales {
		fmt.Fprintf(b, "| %d | %d | %.0f %% / %.0f %% | %.1f KB (%.1f KB) | %d | %.0f/s, %s, %s, %.0f %% / %.0f %% | %d, %d, %s, %s, %s |\n",
			s.N, s.Opened, 100*s.Open.ServerLoad(), 100*s.Open.GenLoad(), s.PerSession/1000, s.RootPerSess/1000, s.Drops,
			s.Closed.Rate(), ms(s.Closed.Latency.P50), ms(s.Closed.Latency.P99),
			100*s.Closed.Cost.ServerLoad(), 100*s.Closed.Cost.GenLoad(),
			s.Rtt.Sent, s.Rtt.Received, ms(s.Rtt.Latency.P50), ms(s.Rtt.Latency.P99), ms(s.Rtt.Latency.Max))
		if s.Err != "" {
			fmt.Fprintf(b, "\nAt %d sessions: `%s`\n\n", s.N, oneLine(s.Err))
		}
	}
	smDetails(b, res)
	abuseDetails(b, res)
	uploadDetails(b, res)
	profiles(b, res)
	if len(res.Rosters) > 0 {
		b.WriteString("\n| roster | users timed | roster get to complete, p50 / max | connect to complete, p50 | daemon heap per user | tree RSS growth per user |\n" +
			"| ---: | ---: | --- | --- | ---: | ---: |\n")
	}
	for _, ro := range res.Rosters {
		if ro.Err != "" {
			fmt.Fprintf(b, "| %d | %d | failed: `%s` | | | |\n", ro.Contacts, ro.Users, oneLine(ro.Err))
			continue
		}
		heap := "n/a"
		if ro.HeapPerUser != 0 {
			heap = fmt.Sprintf("%.1f KB", ro.HeapPerUser/1000)
		}
		fmt.Fprintf(b, "| %d | %d | %s / %s | %s | %s | %.1f KB |\n", ro.Contacts, ro.Users,
			ms(ro.Time.P50), ms(ro.Time.Max), ms(ro.Login.P50), heap, ro.PerUser/1000)
	}
}

// smDetails shows the idle test with stream management and the reconnect storm.
func smDetails(b *strings.Builder, res *Results) {
	if len(res.SMScales) > 0 {
		b.WriteString("\n| sessions with stream management | opened | opening: server / generator CPU | idle RSS/session (main process) | drops |\n" +
			"| ---: | ---: | --- | ---: | ---: |\n")
	}
	for _, s := range res.SMScales {
		fmt.Fprintf(b, "| %d | %d | %.0f %% / %.0f %% | %.1f KB (%.1f KB) | %d |\n", s.N, s.Opened,
			100*s.Open.ServerLoad(), 100*s.Open.GenLoad(), s.PerSession/1000, s.RootPerSess/1000, s.Drops)
		if s.Err != "" {
			fmt.Fprintf(b, "\nWith stream management at %d sessions: `%s`\n\n", s.N, oneLine(s.Err))
		}
	}
	st := res.Storm
	if st == nil {
		return
	}
	fmt.Fprintf(b, "\nReconnect storm: %d of %d sessions opened with stream management; %d resumed, %d failed%s; "+
		"from the drop to <resumed/>: p50 %s, p99 %s, all %s; server CPU %.0f %%, generator %.0f %% of a core while "+
		"reconnecting. Echo answers: %d expected, %d before the drop, %d received, %d lost, %d duplicated.\n",
		st.Opened, st.N, st.Resumed, st.ResumeErrs, firstErr(st.FirstErr), ms(st.Resume.P50), ms(st.Resume.P99),
		ms(st.AllResumed), 100*st.Cost.ServerLoad(), 100*st.Cost.GenLoad(),
		st.Expected, st.BeforeDrop, st.Received, st.Lost, st.Duplicated)
	if st.Err != "" {
		fmt.Fprintf(b, "\nThe storm failed: `%s`\n", oneLine(st.Err))
	}
}

// profiles shows where the server's CPU went in the login and closed-loop message tests.
func profiles(b *strings.Builder, res *Results) {
	show := func(title, top string) {
		if top != "" {
			fmt.Fprintf(b, "\n%s (perf, share of server CPU samples per function):\n\n```\n%s```\n", title, top)
		}
	}
	show("Profile of the login test", res.Login.Profile)
	for _, s := range res.Scales {
		show(fmt.Sprintf("Profile of the closed-loop message test at %d sessions", s.N), s.Closed.Profile)
	}
	for _, s := range res.Scales {
		if s.Heap != "" {
			fmt.Fprintf(b, "\nGo heap of the daemon with %d idle sessions (in-use space, after a GC; "+
				"RSS also holds goroutine stacks and TLS buffers counted here only if heap-allocated):\n\n```\n%s```\n",
				s.N, s.Heap)
		}
	}
}

func firstErr(e string) string {
	if e == "" {
		return ""
	}
	return " (first: `" + oneLine(e) + "`)"
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

const method = `
## Method

- **login**: each worker loops: TCP connect, stream, STARTTLS, full TLS 1.3 handshake (no
  resumption), SASL PLAIN, bind, roster get, initial presence, then closes the stream and starts
  over; accounts cycle so one user never logs in twice at once. Phases are timed from the end of
  the previous one; "roster" includes sending the initial presence.
- **idle**: sessions are opened a few first (kept out of the figure, so fixed costs such as a
  backend process do not count), then the rest; RSS of the server's whole process tree (spectrum2
  includes its backend processes) is read from /proc after the hold, and the growth divided by
  the sessions added. A drop is a session whose stream the server ended or broke.
- **stream management** (XEP-0198): the idle test again, every session sending
  <enable resume='true'/> right after bind (before its roster get), answering the server's
  <r/> with its h. Prosody runs its bundled mod_smacks for this.
- **reconnect storm** (spectrum2 only): N sessions with resumable stream management each send
  one message to the echo contact; right after the last one left, every session closes its TCP
  socket (no </stream:stream>, no TLS close_notify), so some answers arrive before the drop and
  most after. Every session then reconnects (TCP, STARTTLS, full TLS handshake, SASL PLAIN) and
  sends <resume/> with its h, 50 at a time; after <resumed/> it resends what the server's h
  says never arrived. The time is from the drop to the last <resumed/>. Answers are counted per
  session by body across both connections for up to 30 s, then 2 s more: lost = expected -
  received, duplicated = copies received more than once.
- **rosters outside the roster test**: spectrum2's users have the demo network's default roster
  (the echo and clock contacts, no generated ones); Prosody's users have empty rosters.
- **messages**: spectrum2: every session sends to the demo network's echo contact (client ->
  spectrum2 -> backend -> spectrum2 -> client). Prosody: sessions are paired and each answers its
  partner (client -> Prosody -> client -> Prosody -> client), so both round trips cross the
  server twice. Closed loop: one message in flight per session, for capacity, counted over
  its window from when the first round is answered (every session sends at once, and the burst
  takes a while to come through) and followed by a drain until every message in flight is
  answered, so that the open loop after it does not queue behind them. Open loop: a fixed
  rate, round robin over the sessions, each message stamped with its scheduled send time and its
  latency measured from there, so a stalled server cannot hide queueing (no coordinated
  omission).
- **abuse** (spectrum2 only, issue 18): 100 well-behaved sessions run the open-loop echo test
  (200 messages/s in all), on a fresh daemon once alone and once beside 100 abusive clients
  started 2 s before it: a third flood the echo contact as fast as their sockets take it (and
  read the answers), a third send it 32 KB messages and never read the answers (the daemon ends
  such a stream at session_send_bytes; they log in again), a third open a stream and send a
  64 KB element before STARTTLS (past preauth_stanza_bytes), over and over. The daemon's RSS
  (the root process; the tree in brackets) is sampled every 250 ms: its growth is the peak over
  the test minus the reading before it. The config is the bench's: one demo backend serves every
  user, so abusers and well-behaved users share its queue.
- **HTTP upload** (spectrum2 only, issue 23): one user asks upload.localhost for a slot
  over XMPP, PUTs a 10 MB file to the daemon's HTTPS upload listener (the bench certificate,
  TLS 1.3, HTTP/1.1 keep-alive) and GETs it back (the first round checks the bytes and is not
  timed). Beside the daemon, a bare Go net/http HTTPS server (same certificate, TLS 1.3, a
  child process pinned to the daemon's core; PUT streamed to a file, GET through
  http.ServeContent) takes and serves the same file: the floor. The rounds alternate our
  PUT, the floor's PUT, our GET, the floor's GET, so load from elsewhere falls on both; MB
  are 10^6 bytes, per transfer from the request to the last byte. Then 50 users (one slot
  each, their XMPP sessions closed) PUT their files at once, and after 5 s all GET them at
  once, while the daemon's RSS is sampled every 10 ms and its kernel peak (VmHWM) is reset
  before each phase: the growth is the peak minus the RSS before the phase.
- **Matrix** (spectrum2 only, issue 25): builtin:matrix against a Dendrite that benchrun
  starts on loopback (the tests' build, SQLite; a child of the generator, so on its core).
  Each user has a direct chat with "echo", a Matrix user the generator drives with mautrix,
  which answers every message with its text. After 2 warm-up users (the backend process,
  caches), the daemon's tree (daemon and its one backend process) is measured, RSS from
  /proc/PID/stat and PSS from smaps_rollup, then N more users log in (the echo contact on
  the roster) and, 5 s later, the tree again: the growth per user. Then one user sends
  messages to echo one at a time: the round trip is XMPP to the daemon, /send to Dendrite,
  echo's /sync and /send, the backend's /sync, XMPP back.
- **roster** (spectrum2 only): the demo network configured with N contacts per user; after a
  warm-up user, each timed user logs in and the clock runs from the roster get to the last of the
  N + 2 items (contacts, echo, clock) in the result or in pushes; memory is the growth per
  timed user, all of them still logged in, of the daemon's live Go heap (where the roster is:
  the demo backend generates contacts on the fly), each reading right after a collection the
  bench forces (the heap profile's gc=1); beside it the tree's RSS growth, read once it stopped
  moving, which can be off by the up to 4 MB of free heap the daemon's trim leaves unreturned,
  so it tells something only where the growth is well above that (the 10,000-contact roster). The run raises spectrum2's [limits] queue_size
  to three times the roster: with the default of 1000 a 10,000-contact roster ends the stream
  with policy-violation ("too many stanzas waiting for the client"), because the whole roster
  is queued to the client at once.
- Prosody runs with Debian's defaults otherwise, including its Lua garbage collector
  (incremental, threshold 105 %): a collection cycle starts whenever the heap grew by 5 %, so
  its CPU per message grows with the number of sessions held. It is not tuned here
  (the setting gc = { mode = "generational" } might help it).
- Prosody is configured with internal_plain (no password hashing, as spectrum2, whose backend
  decides logins, does none), Nagle's algorithm off (its default leaves it on, which adds 40 ms
  delayed-ACK stalls on loopback), c2s on loopback only, no s2s and no offline storage. spectrum2
  runs with users_per_backend raised so that one demo backend serves every session and with
  the per-IP connection and login limits off, since every session comes from 127.0.0.1.
- The archive test (XEP-0313) runs on spectrum2 with its archive on SQLite, and on Prosody with
  mod_mam in its SQL storage on SQLite (Debian's lua-dbi-sqlite3; mod_storage_sql of Prosody
  0.12 commits every message in a transaction of its own, in SQLite's default rollback journal
  with synchronous FULL), archiving by default and keeping forever. Its round trips go to echo
  on spectrum2 (two entries each: the user's message and echo's answer) and to the partner
  session on Prosody, which answers (each of the two messages in both users' archives: four
  entries per round trip). Its query test fills the same
  messages into each server's table directly and times the last 50 of one conversation.
- Where a target is missed, the perf profiles of spectrum2 (sampled at 499 Hz during the
  login and closed-loop tests) show where its CPU goes; memory has no profile yet (spectrum2
  has no pprof endpoint), but the idle table splits the daemon from its backend processes.
- CPU figures are user + system time of the server's process tree from /proc and of the
  generator from getrusage; a result whose generator is near 100 % of its core is limited by the
  generator, not the server.
`

// us formats d in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
