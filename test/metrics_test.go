package test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// scrape fetches url and returns the Prometheus samples by name{labels}.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := (&http.Client{Timeout: opsWait}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: opsWait}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetrics: after a login and a message the counters say so; the probes answer;
// `spectrum2 status` prints the same daemon's view.
func TestMetrics(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	s := StartServer(t, fmt.Sprintf("[metrics]\nlisten = \"127.0.0.1:%d\"\n", port))
	loginEchoOnce(t, s, "dave%demo@localhost")
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d", code)
	}
	// The out counters are raised after the client's queue took the echo, which the
	// client may read first: on a loaded host that goroutine can wait a while for a core.
	m := scrape(t, base+"/metrics")
	for deadline := time.Now().Add(opsWait); m["spectrum2_messages_to_xmpp_total"] < 1 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		m = scrape(t, base+"/metrics")
	}
	for name, want := range map[string]float64{
		"spectrum2_sessions":                         1,
		"spectrum2_users":                            1,
		`spectrum2_backends{state="ready"}`:          1,
		"spectrum2_messages_from_xmpp_total":         1,
		"spectrum2_login_duration_seconds_count":     1,
		"spectrum2_backend_crashes_total":            0,
		`spectrum2_stanzas_in_total{kind="message"}`: 1,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if m["spectrum2_messages_to_xmpp_total"] < 1 || m[`spectrum2_stanzas_out_total{kind="message"}`] < 1 {
		t.Errorf("no message to XMPP counted: %v", m)
	}
	if _, err := s.Dial("dave%demo@localhost", "another password", "x", false); err == nil {
		t.Fatal("a second login with another password succeeded")
	}
	if got := scrape(t, base+"/metrics")[`spectrum2_login_failures_total{reason="not-authorized"}`]; got != 1 {
		t.Errorf("login failures = %v, want 1", got)
	}
	// The unauthenticated listener counts the users but does not name them (issue 18).
	if _, body := get(t, base+"/status"); strings.Contains(body, "dave") || !strings.Contains(body, `"user_count":1`) {
		t.Errorf("/status on the metrics listener: %s", body)
	}
	out, err := exec.Command(binary, "status", "--config", filepath.Join(s.Dir, "spectrum2.toml")).CombinedOutput()
	if err != nil {
		t.Fatalf("spectrum2 status: %v\n%s", err, out)
	}
	for _, want := range []string{"sessions:  1", "users:     1", "backends:  1", "uptime:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
}

// TestDNSResponder: with [dns] listen set the daemon answers the SRV query for its domain
// from [cluster] (the wiring of package cluster into the daemon).
func TestDNSResponder(t *testing.T) {
	dnsPort := freePort(t)
	s := StartServer(t, fmt.Sprintf(`[cluster]
host = "xmpp1"
[[cluster.member]]
name = "xmpp1"
addresses = ["127.0.0.1"]
port = %d
[dns]
listen = "127.0.0.1:%d"
`, freePort(t), dnsPort))
	q := new(dns.Msg)
	q.SetQuestion("_xmpp-client._tcp.localhost.", dns.TypeSRV)
	c := &dns.Client{Net: "tcp", Timeout: 10 * time.Second}
	var r *dns.Msg
	var err error
	deadline := time.Now().Add(opsWait)
	for time.Now().Before(deadline) {
		if r, _, err = c.Exchange(q, fmt.Sprintf("127.0.0.1:%d", dnsPort)); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("DNS query: %v\n%s", err, s.Log())
	}
	if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
		t.Fatalf("answer %v", r)
	}
}
