package bench

import (
	"strings"
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

func TestMarkdownKeepsTheHandSections(t *testing.T) {
	full := Report{Full: true, Started: time.Now(), Finished: time.Now()}.Markdown("")
	i := strings.Index(full, "<!-- bench:full -->")
	hand := full[:i] + "## Uploads (issue 23): runs by hand\n\nfigures\n\n" + full[i:]
	quick := Report{Started: time.Now(), Finished: time.Now()}.Markdown(hand)
	if !strings.Contains(quick, "## Uploads (issue 23): runs by hand\n\nfigures\n\n<!-- bench:full -->") ||
		section(quick, "full") != section(full, "full") || section(quick, "quick") == "" {
		t.Fatalf("a run must keep what precedes the sections:\n%s", quick)
	}
	if strings.Count(quick, "# Benchmarks:") != 1 || strings.Count(quick, "## Method") != 1 {
		t.Fatalf("title or method twice:\n%s", quick)
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

func TestUploadRows(t *testing.T) {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	u := &UploadResult{Size: 10_000_000, Parallel: 50,
		Put: Transfers{Time: Summary{N: 3, P50: ms(25)}}, FloorPut: Transfers{Time: Summary{N: 3, P50: ms(20)}},
		Get: Transfers{Time: Summary{N: 3, P50: ms(20)}}, FloorGet: Transfers{Time: Summary{N: 3, P50: ms(20)}},
		ParPut: ParallelResult{Done: 50, IdleRSS: 30e6, PeakRSS: 35e6},
		ParGet: ParallelResult{Done: 49, Failed: 1, IdleRSS: 30e6, PeakRSS: 90e6}}
	r := Report{Plan: Plan{Upload: UploadPlan{Rounds: 3, Parallel: 50, Size: 10_000_000}}, Started: time.Now(), Finished: time.Now(),
		Ours: &Results{Server: "spectrum2", Upload: u}, Ref: &Results{Server: "prosody"}}
	want := map[string][2]string{
		"upload: PUT of a 10 MB file, median of 3 (MB/s)":                        {"400", ""},
		"upload: PUT throughput as a share of the bare net/http HTTPS floor (%)": {"80", ""},
		"upload: GET throughput as a share of the bare net/http HTTPS floor (%)": {"100", ""},
		"upload: daemon RSS growth during 50 parallel 10 MB PUTs (MB)":           {"5.0", "< 50 MB (a tenth of the files): met"},
		"upload: daemon RSS growth during 50 parallel 10 MB GETs (MB)":           {"pending", "< 50 MB (a tenth of the files)"},
	}
	for _, x := range r.rows() {
		if v, ok := want[x.what]; ok {
			if x.ours != v[0] || x.ref != "n/a" || x.target != v[1] {
				t.Errorf("%s: %q / %q / %q, want %q / n/a / %q", x.what, x.ours, x.ref, x.target, v[0], v[1])
			}
			delete(want, x.what)
		}
	}
	if len(want) > 0 {
		t.Errorf("rows missing: %v", want)
	}
	if d := UploadDetails(r.Ours); !strings.Contains(d, "| PUT (3) | 400 ") || !strings.Contains(d, "| 80 % |") {
		t.Errorf("details:\n%s", d)
	}
}
