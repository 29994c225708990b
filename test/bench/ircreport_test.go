package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

func ircSample(full bool, rss int64) IRCResults {
	return IRCResults{Full: full, Started: time.Now(), Finished: time.Now(),
		Plan: IRCPlan{Channels: 10, Scales: []int{100}, Rates: []int{1000}, StormN: 100, StormOneBackend: true},
		Ours: &IRCGatewayResults{Name: "spectrum2", Memory: []IRCMemory{{N: 100, Joined: 100, RSS: rss, PSS: rss / 2}},
			Traffic: []IRCTraffic{{Rate: 1000, Delivered: 10, Expected: 10, Delay: Summary{P99: time.Millisecond}}}},
		Ref: &IRCGatewayResults{Name: "biboumi", Memory: []IRCMemory{{N: 100, Joined: 100, RSS: 1e7, PSS: 1e7}},
			Traffic: []IRCTraffic{{Rate: 1000, Delivered: 10, Expected: 10, Delay: Summary{P99: 4 * time.Millisecond}}}},
	}
}

// The main bench rewrites the document around the IRC sections and keeps them; an IRC run
// replaces only its own kind.
func TestIRCSectionsSurviveBothWriters(t *testing.T) {
	doc := Report{Full: true, Started: time.Now(), Finished: time.Now()}.Markdown("")
	doc = ircSample(true, 4e6).Markdown(doc)
	irc := section(doc, "irc-full")
	if irc == "" || section(doc, "full") == "" {
		t.Fatalf("the IRC section or the main one is missing:\n%s", doc)
	}
	doc = Report{Started: time.Now(), Finished: time.Now()}.Markdown(doc)
	if section(doc, "irc-full") != irc || section(doc, "quick") == "" {
		t.Fatalf("a main run must keep the IRC section:\n%s", doc)
	}
	doc = ircSample(false, 4e6).Markdown(doc)
	doc = ircSample(true, 8e6).Markdown(doc)
	if section(doc, "irc-quick") == "" || section(doc, "irc-full") == irc || strings.Count(doc, "<!-- bench:irc-full -->") != 1 {
		t.Fatalf("an IRC run must replace its own section and keep the other:\n%s", doc)
	}
	if strings.Count(doc, "## Method") != 1 {
		t.Fatalf("method twice:\n%s", doc)
	}
}

func TestIRCTargets(t *testing.T) {
	tbl := ircSample(true, 4e6).Table()
	for _, want := range []string{
		"| memory: RSS per IRC user, 100 users in 10 channels (KB) | 40.0 | 100.0 | 0.40 | met (at most half of biboumi's) |",
		"| traffic: p99 delay IRC line to XMPP client at 1000 lines/s (ms) | 1.00 | 4.00 | 0.25 | met (at most half of biboumi's) |",
		"| re-login storm, all 100 users on the killed backend: users lost by the kill | pending | n/a |  |  |",
	} {
		if !strings.Contains(tbl, want) {
			t.Errorf("missing %q in\n%s", want, tbl)
		}
	}
	if tbl := ircSample(true, 8e6).Table(); !strings.Contains(tbl, "| 80.0 | 100.0 | 0.80 | **missed**") {
		t.Errorf("80 KB against 100 KB must miss the memory target:\n%s", tbl)
	}
}

func TestPSSOfSelf(t *testing.T) {
	if pss := pssOf(os.Getpid()); pss <= 0 {
		t.Fatalf("PSS of this process = %d", pss)
	}
	if st := statusKB(os.Getpid(), "VmRSS:", "RssAnon:"); st[0] <= 0 || st[1] <= 0 || st[1] > st[0] {
		t.Fatalf("VmRSS, RssAnon = %v", st)
	}
}

// At the defaults the storm runs once; the extra one with all users on one backend only
// when the plan asks for it.
func TestStormBackends(t *testing.T) {
	if got := (IRCPlan{StormN: 1000}).stormBackends(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("default plan: %v, want [0]", got)
	}
	if got := (IRCPlan{StormN: 1000, StormOneBackend: true}).stormBackends(); len(got) != 2 || got[0] != 1000 || got[1] != 0 {
		t.Fatalf("with StormOneBackend: %v, want [1000 0]", got)
	}
}
