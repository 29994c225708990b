package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router"
)

// value reads a counter.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

func msg(from, to, typ, body string) *xmpp.Element {
	m := xmpp.New(xmpp.NSClient, "message", "from", from, "to", to)
	if typ != "" {
		m.SetAttr("type", typ)
	}
	if body != "" {
		m.Append(xmpp.New(xmpp.NSClient, "body").AppendText(body))
	}
	return m
}

func TestStanzaCounters(t *testing.T) {
	m := New("test")
	m.StanzaIn(msg("a@x/r", "echo@x", "chat", "hi"))   // from XMPP
	m.StanzaIn(msg("a@x/r", "x", "chat", "status"))    // admin command: not counted
	m.StanzaIn(msg("a@x/r", "echo@x", "chat", ""))     // chat state only
	m.StanzaOut(msg("echo@x", "a@x/r", "chat", "hi"))  // to XMPP
	m.StanzaOut(msg("x", "a@x/r", "chat", "Running"))  // admin answer: not counted
	m.StanzaOut(msg("echo@x", "a@x/r", "error", "hi")) // bounce
	m.StanzaOut(xmpp.New(xmpp.NSClient, "presence"))
	m.StanzaOut(xmpp.New(xmpp.NSStream, "features")) // not a stanza
	m.QueueOverflow()
	if m.MessagesFromXMPP() != 1 || m.MessagesToXMPP() != 1 {
		t.Errorf("from %d to %d, want 1 and 1", m.MessagesFromXMPP(), m.MessagesToXMPP())
	}
	for _, c := range []struct {
		kind string
		want float64
	}{{"message", 2}, {"message-error", 1}, {"presence", 1}, {"other", 1}} {
		if got := value(t, m.stanzasOut.WithLabelValues(c.kind)); got != c.want {
			t.Errorf("out %s = %v, want %v", c.kind, got, c.want)
		}
	}
	if got := value(t, m.stanzasIn.WithLabelValues("message")); got != 3 {
		t.Errorf("in message = %v", got)
	}
	if value(t, m.bounced) != 1 || value(t, m.queueOverflows) != 1 {
		t.Error("bounce or overflow not counted")
	}
}

// fakeAuth accepts "good" and refuses anything else with not-authorized.
type fakeAuth struct{ handled []*xmpp.Element }

func (f *fakeAuth) Authenticate(_ context.Context, _ jid.JID, pw string) (c2s.Grant, error) {
	if pw != "good" {
		return nil, &c2s.AuthError{Condition: "not-authorized"}
	}
	return fakeGrant{f}, nil
}

type fakeGrant struct{ f *fakeAuth }

func (g fakeGrant) Bind(*c2s.Session) (c2s.SessionHandler, error) { return g, nil }
func (fakeGrant) Release()                                        {}
func (g fakeGrant) HandleStanza(el *xmpp.Element)                 { g.f.handled = append(g.f.handled, el) }
func (fakeGrant) Closed([]*xmpp.Element)                          {}

func TestAuthenticator(t *testing.T) {
	m := New("test")
	inner := &fakeAuth{}
	a := m.Authenticator(inner)
	user := jid.MustParse("a@x")
	if _, err := a.Authenticate(context.Background(), user, "bad"); err == nil {
		t.Fatal("bad password accepted")
	}
	g, err := a.Authenticate(context.Background(), user, "good")
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Bind(nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Sessions() != 1 {
		t.Errorf("sessions = %d after bind", m.Sessions())
	}
	h.HandleStanza(msg("a@x/r", "b@x", "chat", "hi"))
	h.Closed(nil)
	h.Closed(nil) // counted once
	if m.Sessions() != 0 || len(inner.handled) != 1 || m.MessagesFromXMPP() != 1 {
		t.Errorf("sessions %d handled %d from %d", m.Sessions(), len(inner.handled), m.MessagesFromXMPP())
	}
	if got := value(t, m.loginFailures.WithLabelValues("not-authorized")); got != 1 {
		t.Errorf("failures = %v", got)
	}
	var d dto.Metric
	if err := m.loginSeconds.Write(&d); err != nil || d.GetHistogram().GetSampleCount() != 2 {
		t.Errorf("login histogram: %v %v", d.GetHistogram(), err)
	}
	if r := failureReason(context.Background(), errors.New("x")); r != "temporary-auth-failure" {
		t.Errorf("reason %q", r)
	}
}

func stats() pluginserver.Stats {
	return pluginserver.Stats{Crashes: 2, Spawns: 3, Backends: []pluginserver.BackendStats{
		{ID: 3, Name: "backend-3", PID: 42, Users: 1, RSS: 2048, InitRSS: 1024, State: "ready"},
	}}
}

// serve starts the handler on a real listener at addr and stops it at cleanup.
func serve(t *testing.T, m *Metrics, addr string, o HandlerOptions) string {
	t.Helper()
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, m.Handler(o), zerolog.Nop()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	if strings.HasPrefix(addr, "unix:") {
		return addr
	}
	return l.Addr().String()
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTP(t *testing.T) {
	m := New("v1")
	m.SetSources(Sources{Backends: stats, Users: func() []string { return []string{"a@x"} }})
	addr := serve(t, m, "127.0.0.1:0", HandlerOptions{Metrics: true})
	base := "http://" + addr
	if code, _ := httpGet(t, base+PathReady); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before SetReady = %d", code)
	}
	m.SetReady(true)
	if code, _ := httpGet(t, base+PathReady); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	if code, _ := httpGet(t, base+PathHealth); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := httpGet(t, base+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof served without the switch: %d", code)
	}
	if _, body := httpGet(t, base+PathStatus); strings.Contains(body, "a@x") || !strings.Contains(body, `"user_count":1`) {
		t.Errorf("/status without HandlerOptions.Users: %s", body)
	}
	_, body := httpGet(t, base+PathMetrics)
	for _, want := range []string{
		`spectrum2_backend_resident_bytes{backend="backend-3",pid="42"} 2.097152e+06`,
		"spectrum2_backend_crashes_total 2",
		`spectrum2_backends{state="ready"} 1`,
		"spectrum2_users 1",
		`spectrum2_build_info{version="v1"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestStatusOverUnixSocket(t *testing.T) {
	m := New("v2")
	m.SetSources(Sources{Backends: stats, Users: func() []string { return []string{"a@x"} }})
	addr := serve(t, m, "unix:"+filepath.Join(t.TempDir(), "admin.sock"), HandlerOptions{Users: true})
	st, err := FetchStatus(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "v2" || len(st.Users) != 1 || st.UserCount != 1 || st.Crashes != 2 || len(st.Backends) != 1 ||
		st.Backends[0].PID != 42 || st.Backends[0].ResidentKB != 2048 {
		t.Errorf("status %+v", st)
	}
	var b strings.Builder
	if err := st.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "users:     1") || !strings.Contains(b.String(), "backend-3") {
		t.Errorf("text:\n%s", b.String())
	}
	if _, err := FetchStatus(context.Background(), "unix:"+filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Error("no daemon, no error")
	}
}

func TestPprofSwitch(t *testing.T) {
	m := New("v")
	addr := serve(t, m, "127.0.0.1:0", HandlerOptions{Pprof: true})
	if code, _ := httpGet(t, "http://"+addr+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("pprof = %d", code)
	}
	if code, _ := httpGet(t, "http://"+addr+PathMetrics); code != http.StatusNotFound {
		t.Errorf("/metrics without the switch = %d", code)
	}
}

func TestProcessMemory(t *testing.T) {
	res, shr, err := ProcessMemory()
	if err != nil || res <= 0 || shr < 0 {
		t.Errorf("res %d shr %d err %v", res, shr, err)
	}
}

// TestUndeliverableCounter: the router finds the counter on its Ops by type assertion.
func TestUndeliverableCounter(t *testing.T) {
	var ops router.Ops = New("test")
	c, ok := ops.(router.UndeliverableCounter)
	if !ok {
		t.Fatal("*Metrics does not implement router.UndeliverableCounter")
	}
	c.StanzaUndeliverable("message")
}

// TestPanicCounter: the router finds the counter on its Ops by type assertion, c2s gets
// it in its Config; both count under spectrum2_panics_total.
func TestPanicCounter(t *testing.T) {
	m := New("test")
	var ops router.Ops = m
	rc, ok := ops.(router.PanicCounter)
	if !ok {
		t.Fatal("*Metrics does not implement router.PanicCounter")
	}
	rc.Panicked("router")
	var cc c2s.PanicCounter = m
	cc.Panicked("c2s")
	cc.Panicked("c2s")
	for comp, want := range map[string]float64{"router": 1, "c2s": 2} {
		if got := value(t, m.panics.WithLabelValues(comp)); got != want {
			t.Errorf("spectrum2_panics_total{component=%q} = %v, want %v", comp, got, want)
		}
	}
}

func TestStatusShowsLimits(t *testing.T) {
	m := New("v3")
	m.SetSources(Sources{Backends: stats, Users: func() []string { return []string{"a@x"} }, MaxUsers: 10, MaxBackends: 4})
	st := m.Status()
	if st.MaxUsers != 10 || st.MaxBackends != 4 {
		t.Fatalf("status limits %d, %d; want 10, 4", st.MaxUsers, st.MaxBackends)
	}
	var b strings.Builder
	if err := st.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"users:     1 / 10 (limits.max_users)", "backends:  1 / 4 (limits.max_backends)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	m.SetSources(Sources{Backends: stats})
	b.Reset()
	_ = m.Status().WriteText(&b)
	if strings.Contains(b.String(), "limits.") {
		t.Errorf("no limits, yet:\n%s", b.String())
	}
}
