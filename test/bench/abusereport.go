package bench

import (
	"fmt"
	"strings"
)

// abuseRows adds the abuse test's summary rows (spectrum2 only) through add.
func abuseRows(p AbusePlan, add func(name string, f func(*Results) (float64, bool), format string, tgt func(o, p float64) string)) {
	if p.Good == 0 {
		return
	}
	for _, c := range []struct {
		when string
		ph   func(*AbuseResult) AbusePhase
	}{
		{"without abuse", func(a *AbuseResult) AbusePhase { return a.Quiet }},
		{fmt.Sprintf("with %d abusers", p.Abusers), func(a *AbuseResult) AbusePhase { return a.Abused }},
	} {
		add(fmt.Sprintf("abuse: p99 echo round trip of %d sessions at %d msg/s, %s (ms)", p.Good, p.Rate, c.when),
			abuseF(func(a *AbuseResult) float64 { return millis(c.ph(a).Rtt.Latency.P99) }), "%.2f", nil)
		add(fmt.Sprintf("abuse: daemon RSS growth, %s (MB)", c.when),
			abuseF(func(a *AbuseResult) float64 { return float64(c.ph(a).RSSGrowth) / 1e6 }), "%.1f", nil)
	}
}

func abuseF(f func(*AbuseResult) float64) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if r.Abuse == nil || r.Abuse.Err != "" {
			return 0, false
		}
		return f(r.Abuse), true
	}
}

// abuseDetails shows both phases of the abuse test and what the abusers did.
func abuseDetails(b *strings.Builder, res *Results) {
	a := res.Abuse
	if a == nil {
		return
	}
	b.WriteString("\n| abuse test | echo: sent, answered, bounced, p50, p99, max | daemon RSS growth (with backends) | " +
		"flooders: stanzas sent | non-readers: streams ended by the daemon | pre-auth oversize: connections closed | abusers' failed logins |\n" +
		"| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range []struct {
		name string
		ph   AbusePhase
	}{{"without abuse", a.Quiet}, {"with abuse", a.Abused}} {
		ph, n := c.ph, c.ph.Abuse
		fmt.Fprintf(b, "| %s | %d, %d, %d, %s, %s, %s | %.1f MB (%.1f MB) | %d by %d | %d by %d | %d by %d | %d |\n",
			c.name, ph.Rtt.Sent, ph.Rtt.Received, ph.Rtt.Bounced, ms(ph.Rtt.Latency.P50), ms(ph.Rtt.Latency.P99), ms(ph.Rtt.Latency.Max),
			float64(ph.RSSGrowth)/1e6, float64(ph.TreeGrowth)/1e6, n.FloodSent, n.Flooders,
			n.NonReaderClosed, n.NonReaders, n.PreAuthRefused, n.PreAuth, n.LoginErrs)
	}
	if a.Err != "" {
		fmt.Fprintf(b, "\nThe abuse test failed: `%s`\n", oneLine(a.Err))
	}
}

// abuseLine is the progress line of the abuse test.
func abuseLine(a AbuseResult) string {
	q, x := a.Quiet, a.Abused
	return fmt.Sprintf("   p99 %s without abuse (%d/%d answered, %d bounced, RSS +%.1f MB), %s with abuse (%d/%d answered, %d bounced, RSS +%.1f MB); "+
		"flooders sent %d, %d non-reader streams ended, %d pre-auth connections closed, %d abuser logins failed %s",
		ms(q.Rtt.Latency.P99), q.Rtt.Received, q.Rtt.Sent, q.Rtt.Bounced, float64(q.RSSGrowth)/1e6,
		ms(x.Rtt.Latency.P99), x.Rtt.Received, x.Rtt.Sent, x.Rtt.Bounced, float64(x.RSSGrowth)/1e6,
		x.Abuse.FloodSent, x.Abuse.NonReaderClosed, x.Abuse.PreAuthRefused, x.Abuse.LoginErrs, a.Err)
}
