package bench

import (
	"testing"
	"time"
)

func TestMarkdownKeepsTheOtherSection(t *testing.T) {
	full := Report{Full: true, Started: time.Now(), Finished: time.Now()}.Markdown("")
	if section(full, "full") == "" || section(full, "quick") != "" {
		t.Fatalf("a full run must write only the full section:\n%s", full)
	}
	both := Report{Started: time.Now(), Finished: time.Now()}.Markdown(full)
	if section(both, "full") != section(full, "full") || section(both, "quick") == "" {
		t.Fatalf("a quick run must keep the full section and add its own:\n%s", both)
	}
}

func TestStormRows(t *testing.T) {
	r := Report{Plan: Plan{StormN: 10, SMScales: []Scale{{N: 10}}}, Started: time.Now(), Finished: time.Now(),
		Ours: &Results{Server: "spectrum2", Storm: &StormResult{N: 10, Opened: 10, Resumed: 10, Expected: 10,
			Received: 9, Lost: 1, AllResumed: 250 * time.Millisecond}},
		Ref: &Results{Server: "prosody"}}
	want := map[string]string{
		"reconnect storm of 10: drop to all resumed (ms)": "250",
		"reconnect storm of 10: lost messages":            "1",
		"reconnect storm of 10: duplicated messages":      "0",
	}
	for _, x := range r.rows() {
		if v, ok := want[x.what]; ok {
			if x.ours != v || x.ref != "n/a" {
				t.Errorf("%s: %q / %q, want %q / n/a", x.what, x.ours, x.ref, v)
			}
			delete(want, x.what)
		}
	}
	if len(want) > 0 {
		t.Errorf("rows missing: %v", want)
	}
}
