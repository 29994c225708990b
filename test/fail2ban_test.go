package test

import (
	"bufio"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFail2banFilter runs the fail2ban filter of docs/fail2ban.md against the lines the
// daemon writes for failed logins, in both log formats: each failed attempt is one warn
// line that one failregex matches, with the client's address as the host and never the
// password; other lines match none.
func TestFail2banFilter(t *testing.T) {
	regexes := fail2banRegexes(t)
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			s := StartWithConfig(t, func(s *Server) string { return demoConfig(s, s.Dir, format) })
			if _, err := s.Dial("mallory%demo@localhost", "wrong", "", false); err == nil {
				t.Fatal("the password 'wrong' logged in")
			}
			s.MustDial("alice%demo@localhost", s.Password(), "r") // a good login matches nothing
			waitLog(t, s, "login failed")
			var hits []string
			for line := range strings.Lines(s.Log()) {
				line = strings.TrimRight(line, "\n")
				host, ok := fail2banMatch(regexes, line)
				if strings.Contains(line, "login failed") != ok {
					t.Errorf("matched %v: %s", ok, line)
				}
				if ok {
					hits = append(hits, host)
					if !strings.Contains(line, "mallory%demo@localhost") || !strings.Contains(line, "not-authorized") {
						t.Errorf("no JID or reason: %s", line)
					}
					if strings.Contains(line, `"wrong"`) || strings.Contains(line, "=wrong") {
						t.Errorf("the password in the log: %s", line)
					}
				}
			}
			if len(hits) != 1 || hits[0] != "127.0.0.1" {
				t.Errorf("hosts found %v, want [127.0.0.1]", hits)
			}
		})
	}
}

// fail2banRegexes reads the failregex lines of the filter in docs/fail2ban.md and
// compiles them as fail2ban does, with <HOST> expanded to its address and name groups.
func fail2banRegexes(t *testing.T) []*regexp.Regexp {
	t.Helper()
	f, err := os.Open("../docs/fail2ban.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var res []*regexp.Regexp
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "failregex = "):
			in = true
			line = strings.TrimPrefix(line, "failregex = ")
		case in && strings.HasPrefix(line, " "):
		default:
			in = false
			continue
		}
		// fail2ban's config parser strips the value; Python's and Go's syntax agree on
		// what the filter uses.
		re, err := regexp.Compile(strings.ReplaceAll(strings.TrimSpace(line), "<HOST>", fail2banHost))
		if err != nil {
			t.Fatalf("failregex %q: %v", line, err)
		}
		res = append(res, re)
	}
	if len(res) != 2 {
		t.Fatalf("%d failregex lines in docs/fail2ban.md, want 2 (JSON and console)", len(res))
	}
	return res
}

// fail2banHost is fail2ban's <HOST> (failregex.py, usedns = yes): an IPv4 address
// (optionally IPv4-mapped), an IPv6 address, or a name. Its IPv6 part ends in
// "(?<=:):", a look-behind Go lacks: ":" here, which accepts a few strings more, all of
// which fail2ban would then reject as addresses too.
const fail2banHost = `(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)))\]?|(?P<dns>[\w\-.^_]*\w))`

// fail2banDate is what fail2ban's default date detection cuts out of a line before the
// failregex runs: the ISO 8601 time of the JSON format, the HH:MM:SS leading a console line.
var fail2banDate = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?|^\d\d:\d\d:\d\d`)

// fail2banMatch returns the host the first matching failregex finds in line, as fail2ban
// takes it: ip4, then ip6, then dns.
func fail2banMatch(regexes []*regexp.Regexp, line string) (string, bool) {
	if loc := fail2banDate.FindStringIndex(line); loc != nil {
		line = line[:loc[0]] + line[loc[1]:]
	}
	for _, re := range regexes {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, g := range []string{"ip4", "ip6", "dns"} {
			if v := m[re.SubexpIndex(g)]; v != "" {
				if g != "dns" && net.ParseIP(v) == nil {
					return "", false
				}
				return v, true
			}
		}
	}
	return "", false
}

// waitLog waits until the daemon's log contains s (the login's answer may reach the
// client before the line is written).
func waitLog(t *testing.T, srv *Server, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(srv.Log(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log within 30 s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
