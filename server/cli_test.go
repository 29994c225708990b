package server_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestUsageListsNativeBackends: the whole page names every native backend.
func TestUsageListsNativeBackends(t *testing.T) {
	code, out, _ := runMain("--help")
	if code != 0 || !strings.Contains(out, `Native backends (service.backend = "builtin:NAME"): demo, irc, matrix, xmpp.`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestSubcommandErrorPrintsItsUsage: a mistake on a subcommand's command line prints the
// mistake and that subcommand's usage, not the whole page, with exit status 2.
func TestSubcommandErrorPrintsItsUsage(t *testing.T) {
	for _, c := range []struct {
		args       []string
		msg, usage string
	}{
		{[]string{"run"}, "run: want --config FILE", "Usage: spectrum2 run --config FILE"},
		{[]string{"run", "--nosuch"}, "run: flag provided but not defined: --nosuch", "Usage: spectrum2 run --config FILE"},
		{[]string{"run", "-c", "a.toml", "b.toml"}, "run: want --config FILE and nothing else", "Usage: spectrum2 run"},
		{[]string{"status"}, "status: want --config FILE", "Usage: spectrum2 status --config FILE"},
		{[]string{"status", "--timeout", "soon", "-c", "x"}, "invalid value \"soon\" for flag --timeout", "Usage: spectrum2 status"},
		{[]string{"config"}, "config: want check or import", "spectrum2 config import OLD.cfg"},
		{[]string{"config", "frobnicate"}, "unknown subcommand \"frobnicate\"", "spectrum2 config check FILE"},
		{[]string{"config", "check"}, "config check: want exactly one file", "Usage: spectrum2 config check FILE"},
		{[]string{"config", "import", "a", "b"}, "config import: want exactly one file", "Usage: spectrum2 config import OLD.cfg"},
		{[]string{"srv"}, "srv: want records or check", "spectrum2 srv check DOMAIN"},
		{[]string{"srv", "records"}, "srv records: want --config FILE", "Usage: spectrum2 srv records --config FILE"},
		{[]string{"srv", "check"}, "srv check: want exactly one DOMAIN", "Usage: spectrum2 srv check DOMAIN"},
		{[]string{"backend", "nosuch"}, "unknown backend nosuch; native backends: demo, irc, matrix, xmpp", "Usage: spectrum2 backend NAME"},
	} {
		code, out, errOut := runMain(c.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "spectrum2: ") ||
			!strings.Contains(errOut, c.msg) || !strings.Contains(errOut, c.usage) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", c.args, code, out, errOut)
		}
		if strings.Contains(errOut, "spectrum2 version") {
			t.Errorf("%v: printed the whole page:\n%s", c.args, errOut)
		}
	}
}

// singleDashLong is a long flag written with one dash ("-config"), a style we do not use.
var singleDashLong = regexp.MustCompile(`(^|[\s\[(])-[a-z][a-z-]+`)

// TestHelpPages: every command's --help prints its own page on stdout, every flag in one
// style (--name VALUE, -c for a one-letter alias).
func TestHelpPages(t *testing.T) {
	for _, c := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"--help"}, nil},
		{[]string{"run", "--help"}, []string{"-c, --config FILE", "--log-level LEVEL"}},
		{[]string{"status", "-h"}, []string{"-c, --config FILE", "--timeout DURATION", "(default 10s)"}},
		{[]string{"config", "--help"}, nil},
		{[]string{"config", "check", "--help"}, nil},
		{[]string{"config", "import", "-h"}, nil},
		{[]string{"srv", "help"}, nil},
		{[]string{"srv", "records", "--help"}, []string{"-c, --config FILE"}},
		{[]string{"srv", "check", "--help"}, []string{"--resolver HOST:PORT", "--ca FILE", "--timeout DURATION", "--status-port PORT"}},
		{[]string{"backend", "--help"}, []string{"--host HOST --port PORT --service.backend_id=N"}},
	} {
		code, out, errOut := runMain(c.args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", c.args, code, errOut, out)
			continue
		}
		for _, f := range c.flags {
			if !strings.Contains(out, f) {
				t.Errorf("%v: %q missing from:\n%s", c.args, f, out)
			}
		}
		if m := singleDashLong.FindString(out); m != "" {
			t.Errorf("%v: %q is a long flag with one dash:\n%s", c.args, m, out)
		}
	}
}
