package bench

import (
	"fmt"
	"strings"
	"time"
)

// ircRow is one line of the IRC summary: a figure of both gateways and its target.
type ircRow struct {
	name       string
	ours, ref  string
	ratio, tgt string
}

// Table is the IRC summary in Markdown.
func (r IRCResults) Table() string {
	var b strings.Builder
	b.WriteString("| figure | spectrum2 (builtin:irc) | biboumi + Prosody | ratio | target |\n| --- | ---: | ---: | ---: | --- |\n")
	for _, row := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row.name, row.ours, row.ref, row.ratio, row.tgt)
	}
	return b.String()
}

// ircFig is one gateway's figure: its value and whether it was measured.
type ircFig func(g *IRCGatewayResults) (float64, bool)

func (r IRCResults) rows() []ircRow {
	var rows []ircRow
	add := func(name, format string, f ircFig, target func(o, p float64) string) {
		row := ircRow{name: name, ours: "pending", ref: "pending"}
		o, okO := ircValue(r.Ours, f)
		p, okP := ircValue(r.Ref, f)
		if okO {
			row.ours = fmt.Sprintf(format, o)
		}
		if okP {
			row.ref = fmt.Sprintf(format, p)
		} else if r.Ref != nil {
			row.ref = "n/a"
		}
		if okO && okP && p != 0 {
			row.ratio = fmt.Sprintf("%.2f", o/p)
			if target != nil {
				row.tgt = target(o, p)
			}
		}
		rows = append(rows, row)
	}
	halfOf := func(o, p float64) string { return metOrMissed(o <= p/2, "at most half of biboumi's") }
	lower := func(o, p float64) string { return metOrMissed(o < p, "lower than biboumi's") }
	// CPU per message is judged only where both sides delivered nearly everything: a side
	// that delivered a few lines in the window has its whole CPU over those few.
	lowerAt := func(i int) func(o, p float64) string {
		all := func(g *IRCGatewayResults) bool {
			return g != nil && i < len(g.Traffic) && g.Traffic[i].Delivered*10 >= g.Traffic[i].Expected*9
		}
		if !all(r.Ours) || !all(r.Ref) {
			return func(float64, float64) string { return "not judged: under 90 % delivered" }
		}
		return lower
	}
	for i, n := range r.Plan.Scales {
		add(fmt.Sprintf("memory: RSS per IRC user, %d users in %d channels (KB)", n, r.Plan.Channels), "%.1f",
			ircMemF(i, func(m IRCMemory) float64 { rss, _ := m.PerUser(); return rss / 1000 }), halfOf)
		add(fmt.Sprintf("memory: PSS per IRC user, %d users (KB)", n), "%.1f",
			ircMemF(i, func(m IRCMemory) float64 { _, pss := m.PerUser(); return pss / 1000 }), halfOf)
	}
	for i, rate := range r.Plan.Rates {
		tgt := func(o, p float64) string { return "" }
		if rate == 1000 {
			tgt = halfOf
		}
		add(fmt.Sprintf("traffic: p99 delay IRC line to XMPP client at %d lines/s (ms)", rate), "%.2f",
			ircTrafficF(i, func(t IRCTraffic) float64 { return millis(t.Delay.P99) }), tgt)
		add(fmt.Sprintf("traffic: gateway CPU per delivered message at %d lines/s (us)", rate), "%.1f",
			ircTrafficF(i, func(t IRCTraffic) float64 { return float64(t.CPUPerMsg()) / 1e3 }), lowerAt(i))
		add(fmt.Sprintf("traffic: delivered share at %d lines/s (%%)", rate), "%.1f",
			ircTrafficF(i, func(t IRCTraffic) float64 { return 100 * float64(t.Delivered) / float64(max(1, t.Expected)) }), nil)
	}
	add(fmt.Sprintf("logins/s through to the channel, %d users, default users_per_backend", r.Plan.LoginUsers), "%.0f",
		ircLoginF(0), nil)
	if r.Plan.LoginOne > 0 {
		add(fmt.Sprintf("logins/s, %d users, users_per_backend = 1", r.Plan.LoginOne), "%.0f", ircLoginF(1), nil)
	}
	for i, upb := range r.Plan.stormBackends() {
		if r.Plan.StormN == 0 {
			break
		}
		when := fmt.Sprintf("all %d users on the killed backend", r.Plan.StormN)
		if upb == 0 {
			when = "default users_per_backend, the busiest backend killed"
		}
		add(fmt.Sprintf("re-login storm, %s: users lost by the kill", when), "%.0f",
			ircStormF(i, func(s *IRCStorm) (float64, bool) { return float64(s.Joined - s.Dipped), s.Joined > 0 }), nil)
		add(fmt.Sprintf("re-login storm, %s: all back on IRC (s)", when), "%.1f",
			ircStormF(i, func(s *IRCStorm) (float64, bool) { return s.AllBack.Seconds(), s.AllBack > 0 }), nil)
		add(fmt.Sprintf("re-login storm, %s: users not back on IRC", when), "%.0f",
			ircStormF(i, func(s *IRCStorm) (float64, bool) { return float64(s.Failed), s.Joined > 0 }), nil)
		add(fmt.Sprintf("re-login storm, %s: XMPP sessions dropped", when), "%.0f",
			ircStormF(i, func(s *IRCStorm) (float64, bool) { return float64(s.XMPPDrops), s.Joined > 0 }), nil)
	}
	return rows
}

func metOrMissed(ok bool, what string) string {
	if ok {
		return "met (" + what + ")"
	}
	return "**missed** (" + what + ")"
}

func ircValue(g *IRCGatewayResults, f ircFig) (float64, bool) {
	if g == nil {
		return 0, false
	}
	return f(g)
}

func ircMemF(i int, f func(IRCMemory) float64) ircFig {
	return func(g *IRCGatewayResults) (float64, bool) {
		if i >= len(g.Memory) || g.Memory[i].Joined == 0 {
			return 0, false
		}
		return f(g.Memory[i]), true
	}
}

func ircTrafficF(i int, f func(IRCTraffic) float64) ircFig {
	return func(g *IRCGatewayResults) (float64, bool) {
		if i >= len(g.Traffic) || g.Traffic[i].Delivered == 0 {
			return 0, false
		}
		return f(g.Traffic[i]), true
	}
}

// loginF is the login test at users_per_backend = 1 (one) or the default (zero).
func ircLoginF(one int) ircFig {
	return func(g *IRCGatewayResults) (float64, bool) {
		for _, l := range g.Logins {
			if (l.PerBackend == 1) == (one == 1) && l.Done > 0 {
				return l.Rate(), true
			}
		}
		return 0, false
	}
}

func ircStormF(i int, f func(*IRCStorm) (float64, bool)) ircFig {
	return func(g *IRCGatewayResults) (float64, bool) {
		if i >= len(g.Storms) {
			return 0, false
		}
		return f(&g.Storms[i])
	}
}

// Markdown is docs/benchmarks.md with this run's IRC section (full or quick) in place of the
// previous one of the same kind, before the method section when there is none yet.
func (r IRCResults) Markdown(existing string) string {
	kind := "irc-quick"
	if r.Full {
		kind = "irc-full"
	}
	sec := r.section(kind)
	if old := section(existing, kind); old != "" {
		return strings.Replace(existing, old, sec, 1)
	}
	if i := strings.Index(existing, method); i >= 0 {
		return existing[:i] + sec + "\n\n" + existing[i:]
	}
	return existing + "\n" + sec + "\n"
}

// ircSections are the IRC sections of doc, for Report.Markdown to keep.
func ircSections(doc string) string {
	var b strings.Builder
	for _, k := range []string{"irc-full", "irc-quick"} {
		if s := section(doc, k); s != "" {
			b.WriteString(s + "\n\n")
		}
	}
	return b.String()
}

func (r IRCResults) section(kind string) string {
	var b strings.Builder
	title := map[string]string{"irc-full": "IRC users: builtin:irc beside biboumi (`make bench`, or `benchrun --full --irc-only`)",
		"irc-quick": "IRC users, quick (`benchrun --quick --irc-only`)"}[kind]
	fmt.Fprintf(&b, "<!-- bench:%s -->\n## %s\n\n", kind, title)
	fmt.Fprintf(&b, "- date: %s to %s\n", r.Started.Format(time.RFC3339), r.Finished.Format("15:04:05Z"))
	fmt.Fprintf(&b, "- commit: `%s`\n- machine: %s\n- machine load: %s\n- command: `%s`\n", Commit(), Machine(),
		loadVerdict(r.LoadStart, r.LoadEnd), r.Command)
	if r.Ref != nil {
		fmt.Fprintf(&b, "- reference: %s, biboumi as an XMPP component of that Prosody (same certificate, TLS 1.3)\n", r.Ref.Version)
	}
	b.WriteString(ircSetup)
	b.WriteString("\n### Summary\n\n")
	b.WriteString(r.Table())
	b.WriteString("\nRatios are spectrum2 / biboumi. \"n/a\": biboumi has no backend processes (users_per_backend, the storm).\n")
	b.WriteString(r.whereItGoes())
	for _, g := range []*IRCGatewayResults{r.Ours, r.Ref} {
		if g != nil {
			ircDetails(&b, g)
		}
	}
	fmt.Fprintf(&b, "\n<!-- /bench:%s -->", kind)
	return b.String()
}

const ircSetup = `- setup: one ngircd 26 (Debian) per measurement on the generator's core (core 1), fresh for each test, ` +
	"`MaxConnectionsIP = 0`, `MaxJoins = 0`, `MaxPenaltyTime = 0` (no flood penalties), also on port 6667 for biboumi " +
	"(which, with `fixed_irc_server`, tries 6697, 6670, then 6667); the gateway side on core 0: spectrum2 with " +
	"`builtin:irc` alone (`irc_server` set, everything else as shipped, `users_per_backend` only where a row says so) " +
	"or Prosody with biboumi (its own config in the scratch directory, `identd_port=0`); every process stopped by its PID\n" +
	"- users: XMPP user i logs in (STARTTLS, PLAIN, bind, roster, presence) and joins `#c(i mod 10)`; the login counts " +
	"as done at the self-presence from the room (spectrum2 answers SASL only after the IRC registration; biboumi " +
	"connects to IRC at the join)\n" +
	"- memory: RSS (/proc/PID/stat) and PSS (/proc/PID/smaps_rollup) summed over the gateway side (spectrum2 and its " +
	"backend processes; biboumi and Prosody) after the users joined and a hold, divided by the users\n" +
	"- traffic: one raw IRC peer per channel writes PRIVMSGs at its share of the total rate, open loop (each line " +
	"carries its intended send time; a peer that falls behind writes the overdue lines at once with their times); " +
	"the delay is from the intended time to the arrival at the XMPP client; CPU per message is the gateway side's " +
	"CPU (/proc/PID/stat, over the feed and its drain) over the messages delivered\n" +
	"- storm (spectrum2 only): the users at the shipped `users_per_backend` (1,000: all of them on one backend process, a spare beside it), SIGKILL to the one with the most sockets, " +
	"then LUSERS and NAMES on ngircd every 100 ms until every user is registered and in its channel again\n"

func ircDetails(b *strings.Builder, g *IRCGatewayResults) {
	fmt.Fprintf(b, "\n### %s in detail\n\n", g.Name)
	if len(g.Memory) > 0 {
		b.WriteString("| users | joined | failed | log in and join | RSS / PSS summed | per user RSS / PSS | backends | ngircd RSS, CPU while joining | drops |\n" +
			"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	}
	for _, m := range g.Memory {
		rss, pss := m.PerUser()
		fmt.Fprintf(b, "| %d | %d | %d | %v | %.0f / %.0f MB | %.1f / %.1f KB | %d | %.0f MB, %v | %d |\n",
			m.N, m.Joined, m.Failed, m.Open.Round(time.Millisecond), float64(m.RSS)/1e6, float64(m.PSS)/1e6,
			rss/1000, pss/1000, m.Backends, float64(m.IRCdRSS)/1e6, m.IRCdCPU.Round(time.Millisecond), m.Drops)
	}
	for _, m := range g.Memory {
		if len(m.Parts) == 0 || m.Joined == 0 {
			continue
		}
		fmt.Fprintf(b, "\nWhere the memory of %d users is:", m.Joined)
		for _, p := range m.Parts {
			fmt.Fprintf(b, " %s (%d process(es)): RSS %.0f MB of which anonymous %.0f MB, PSS %.0f MB, %.1f KB RSS / %.1f KB anonymous per user;",
				p.Name, p.Procs, float64(p.RSS)/1e6, float64(p.Anon)/1e6, float64(p.PSS)/1e6,
				float64(p.RSS)/float64(m.Joined)/1000, float64(p.Anon)/float64(m.Joined)/1000)
		}
		b.WriteString("\n")
	}
	ircErrs(b, "memory", g.Memory, func(m IRCMemory) string { return m.Err })
	if len(g.Traffic) > 0 {
		b.WriteString("\n| lines/s | lines sent | delivered / expected | delay p50, p99, p99.9, max | gateway CPU per msg | gateway, ngircd CPU |\n" +
			"| ---: | ---: | ---: | --- | ---: | --- |\n")
	}
	for _, t := range g.Traffic {
		fmt.Fprintf(b, "| %d | %d | %d / %d | %s, %s, %s, %s | %.1f us | %.0f %%, %.0f %% |\n",
			t.Rate, t.Sent, t.Delivered, t.Expected, ms(t.Delay.P50), ms(t.Delay.P99), ms(t.Delay.P999), ms(t.Delay.Max),
			float64(t.CPUPerMsg())/1e3, 100*frac(t.GWCPU, t.Elapsed), 100*frac(t.IRCdCPU, t.Elapsed))
	}
	ircErrs(b, "traffic", g.Traffic, func(t IRCTraffic) string { return t.Err })
	if len(g.Logins) > 0 {
		b.WriteString("\n| users_per_backend | users | done | failed | logins/s | login to self-presence p50, p99, max | gateway CPU per login |\n" +
			"| --- | ---: | ---: | ---: | ---: | --- | ---: |\n")
	}
	for _, l := range g.Logins {
		upb := "default"
		if l.PerBackend > 0 {
			upb = fmt.Sprint(l.PerBackend)
		}
		if g.Name == "biboumi" {
			upb = "n/a"
		}
		per := time.Duration(0)
		if l.Done > 0 {
			per = l.GWCPU / time.Duration(l.Done)
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %.0f | %s, %s, %s | %s |\n", upb, l.N, l.Done, l.Failed, l.Rate(),
			ms(l.Latency.P50), ms(l.Latency.P99), ms(l.Latency.Max), ms(per))
	}
	ircErrs(b, "login", g.Logins, func(l IRCLogin) string { return l.Err })
	for _, s := range g.Storms {
		upb := "default"
		if s.PerBackend > 0 {
			upb = fmt.Sprint(s.PerBackend)
		}
		fmt.Fprintf(b, "\nRe-login storm (%d of %d logins failed before it): %d users on %d backend processes (users_per_backend = %s, a spare included), SIGKILL "+
			"to the one with the most sockets; lowest IRC count after the kill %d (%d lost); %d back on IRC after %v, "+
			"%d in their channels after %v, %d not back, %d XMPP sessions dropped; gateway CPU %v.\n",
			s.LoginFails, s.N, s.Joined, s.Backends, upb, s.Dipped, s.Joined-s.Dipped, s.Back, s.AllBack.Round(time.Millisecond),
			s.Rejoined, s.AllJoined.Round(time.Millisecond), s.Failed, s.XMPPDrops, s.GWCPU.Round(time.Millisecond))
		if s.Err != "" {
			fmt.Fprintf(b, "\nStorm: `%s`\n", oneLine(s.Err))
		}
	}
}

func ircErrs[T any](b *strings.Builder, what string, items []T, e func(T) string) {
	for _, it := range items {
		if s := e(it); s != "" {
			fmt.Fprintf(b, "\n%s: `%s`\n", what, oneLine(s))
		}
	}
}

// whereItGoes explains the largest memory test of both sides part by part (the memory
// target's profile), and which side's CPU was saturated in the traffic test.
func (r IRCResults) whereItGoes() string {
	var b strings.Builder
	for _, g := range []*IRCGatewayResults{r.Ours, r.Ref} {
		if g == nil || len(g.Memory) == 0 {
			continue
		}
		m := g.Memory[len(g.Memory)-1]
		if m.Joined == 0 || len(m.Parts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "- %s, memory per user at %d users:", g.Name, m.Joined)
		for i, p := range m.Parts {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s %s %.1f KB RSS (%.1f KB anonymous, %.1f KB PSS)", sep, partName(p),
				float64(p.RSS)/float64(m.Joined)/1000, float64(p.Anon)/float64(m.Joined)/1000,
				float64(p.PSS)/float64(m.Joined)/1000)
		}
		b.WriteString("\n")
	}
	for _, g := range []*IRCGatewayResults{r.Ours, r.Ref} {
		if g == nil {
			continue
		}
		for _, t := range g.Traffic {
			if t.Delivered > 0 && t.Delay.P99 > time.Second {
				fmt.Fprintf(&b, "- %s at %d lines/s fell behind (p99 %s): the gateway side used %.0f %% of a core over the feed "+
					"and its drain (on a core other engineers' runs share), ngircd %.0f %%; %d of %d messages arrived\n",
					g.Name, t.Rate, ms(t.Delay.P99), 100*frac(t.GWCPU, t.Elapsed), 100*frac(t.IRCdCPU, t.Elapsed),
					t.Delivered, t.Expected)
			}
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\nWhere the memory and the time go:\n\n" + b.String()
}

// partName is a memory part for the text: spectrum2's children are its backend processes.
func partName(p MemPart) string {
	if strings.HasPrefix(p.Name, "children of spectrum2") {
		return fmt.Sprintf("%d backend processes", p.Procs)
	}
	if p.Name == "spectrum2" {
		return "the daemon"
	}
	if p.Procs > 1 || strings.HasPrefix(p.Name, "children of") {
		return fmt.Sprintf("%s (%d)", p.Name, p.Procs)
	}
	return p.Name
}
