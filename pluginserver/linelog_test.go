package pluginserver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/logging"
)

// A backend's JSON record becomes one of ours, at its level, with its fields once; other
// lines are logged as they are.
func TestLineLogEmbedsJSONRecords(t *testing.T) {
	var b bytes.Buffer
	log, err := logging.New("debug", "json", &b)
	if err != nil {
		t.Fatal(err)
	}
	log = log.With().Str("component", "pluginserver").Str("backend", "backend-1").Logger()
	l := &lineLog{log: log, stream: "stderr"}
	_, _ = l.Write([]byte(`{"level":"warn","component":"backend","backend":"demo","backend_id":"1","user":"alice","n":7,"time":"2026-01-02T03:04:05.678Z","message":"legacy network slow"}` + "\n" +
		"plain text\r\n" + `{"broken` + "\n"))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(lines), b.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": "warn", "message": "legacy network slow", "user": "alice", "n": 7.0,
		"component": "pluginserver", "backend": "backend-1"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v in %s", k, rec[k], v, lines[0])
		}
	}
	if strings.Count(lines[0], `"backend"`) != 1 || strings.Count(lines[0], `"time"`) != 1 || strings.Contains(lines[0], "backend_id") {
		t.Errorf("fields of the backend's record repeated ours: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"stream":"stderr"`) || !strings.Contains(lines[1], `"message":"plain text"`) {
		t.Errorf("plain line: %s", lines[1])
	}
	if !strings.Contains(lines[2], `"message":"{\"broken"`) {
		t.Errorf("a line that is not JSON is logged as text: %s", lines[2])
	}
}

// In the console format a backend's record is one line with one timestamp and level.
func TestLineLogConsoleNotNested(t *testing.T) {
	var b bytes.Buffer
	log, err := logging.New("info", "console", &b)
	if err != nil {
		t.Fatal(err)
	}
	l := &lineLog{log: log, stream: "stderr"}
	_, _ = l.Write([]byte(`{"level":"info","time":"2026-01-02T03:04:05.678Z","message":"EXIT from the daemon"}` + "\n"))
	out := b.String()
	if strings.Count(out, "INF") != 1 || !strings.Contains(out, "INF EXIT from the daemon") {
		t.Errorf("console output %q", out)
	}
}
