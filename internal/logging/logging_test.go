package logging

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestJSON(t *testing.T) {
	for _, format := range []string{"json", "auto"} { // a buffer is no terminal: auto means JSON
		var b bytes.Buffer
		log, err := New("info", format, &b)
		if err != nil {
			t.Fatal(err)
		}
		log.Debug().Msg("hidden")
		log.Info().Str("component", "c2s").Msg("hello")
		var rec map[string]any
		if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
			t.Fatalf("%s: not one JSON line: %q: %v", format, b.String(), err)
		}
		if rec["message"] != "hello" || rec["level"] != "info" || rec["component"] != "c2s" {
			t.Errorf("%s: record %v", format, rec)
		}
		ts, _ := rec["time"].(string)
		if _, err := time.Parse(time.RFC3339, ts); err != nil || !millis.MatchString(ts) {
			t.Errorf("%s: timestamp %q is not RFC 3339 with milliseconds (%v)", format, ts, err)
		}
	}
}

func TestConsole(t *testing.T) {
	var b bytes.Buffer
	log, err := New("debug", "console", &b)
	if err != nil {
		t.Fatal(err)
	}
	// Two records more than a millisecond apart: at least one has a fraction other than .000,
	// which whole-second timestamps (zerolog's default) would always show.
	log.Debug().Msg("visible")
	time.Sleep(3 * time.Millisecond)
	log.Debug().Msg("later")
	out := b.String()
	if !strings.Contains(out, "DBG") || !strings.Contains(out, "visible") || strings.Contains(out, "\x1b[") {
		t.Errorf("console output %q", out)
	}
	stamps := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.(\d{3}) DBG`).FindAllStringSubmatch(out, -1)
	if len(stamps) != 2 || (stamps[0][1] == "000" && stamps[1][1] == "000") {
		t.Errorf("console timestamps without milliseconds: %q", out)
	}
}

// millis matches an RFC 3339 time with exactly three fractional digits.
var millis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$`)

func TestErrors(t *testing.T) {
	for _, c := range []struct{ level, format string }{
		{"verbose", "json"}, {"info", "xml"}, {"", "auto"}, {"INFO", "auto"},
	} {
		if _, err := New(c.level, c.format, &bytes.Buffer{}); err == nil {
			t.Errorf("New(%q, %q): no error", c.level, c.format)
		}
	}
}
