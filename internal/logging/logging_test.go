package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
		if _, ok := rec["time"]; !ok {
			t.Errorf("%s: no timestamp in %v", format, rec)
		}
	}
}

func TestConsole(t *testing.T) {
	var b bytes.Buffer
	log, err := New("debug", "console", &b)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug().Msg("visible")
	out := b.String()
	if !strings.Contains(out, "DBG") || !strings.Contains(out, "visible") || strings.Contains(out, "\x1b[") {
		t.Errorf("console output %q", out)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct{ level, format string }{
		{"verbose", "json"}, {"info", "xml"}, {"", "auto"}, {"INFO", "auto"},
	} {
		if _, err := New(c.level, c.format, &bytes.Buffer{}); err == nil {
			t.Errorf("New(%q, %q): no error", c.level, c.format)
		}
	}
}
