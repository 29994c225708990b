package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Meter measures the server's and the generator's resources over one phase.
type Meter struct {
	pid    int
	start  time.Time
	server Usage
	self   time.Duration
}

// Cost is what a phase used.
type Cost struct {
	Elapsed   time.Duration
	ServerCPU time.Duration
	GenCPU    time.Duration
	ServerRSS int64 // at the end
}

// ServerLoad is the server's CPU use as a fraction of one core.
func (c Cost) ServerLoad() float64 { return frac(c.ServerCPU, c.Elapsed) }

// GenLoad is the generator's CPU use as a fraction of one core.
func (c Cost) GenLoad() float64 { return frac(c.GenCPU, c.Elapsed) }

func frac(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// StartMeter takes the first reading of server pid and of this process.
func StartMeter(pid int) (*Meter, error) {
	u, err := TreeUsage(pid)
	if err != nil {
		return nil, err
	}
	return &Meter{pid: pid, start: time.Now(), server: u, self: SelfCPU()}, nil
}

// Read is the cost since StartMeter.
func (m *Meter) Read() (Cost, error) {
	u, err := TreeUsage(m.pid)
	if err != nil {
		return Cost{}, err
	}
	return Cost{Elapsed: time.Since(m.start), ServerCPU: u.CPU - m.server.CPU,
		GenCPU: SelfCPU() - m.self, ServerRSS: u.RSS}, nil
}

// LoginResult is the outcome of the login test.
type LoginResult struct {
	Workers  int
	Logins   int
	Errors   int
	FirstErr string
	Cost     Cost
	Phases   map[string]Summary
	Curve    tls.CurveID
	Profile  string // top of the server's perf profile, if recorded
}

// Rate is completed logins per second.
func (r LoginResult) Rate() float64 { return float64(r.Logins) / r.Cost.Elapsed.Seconds() }

// CPUPerLogin is the server CPU time per completed login.
func (r LoginResult) CPUPerLogin() time.Duration {
	if r.Logins == 0 {
		return 0
	}
	return r.Cost.ServerCPU / time.Duration(r.Logins)
}

// phaseNames orders the login phases in reports.
var phaseNames = []string{"connect", "starttls", "tls", "sasl", "bind", "roster", "total"}

// RunLogin runs workers closed-loop login loops for d: each logs in a full session, closes
// it and starts the next, cycling over users accounts so that no user logs in twice at once.
func RunLogin(ctx context.Context, srv *Server, cfg *tls.Config, workers, users int, d time.Duration) (LoginResult, error) {
	rec := map[string]*Recorder{}
	for _, n := range phaseNames {
		rec[n] = &Recorder{}
	}
	prof := srv.profile("login")
	m, err := StartMeter(srv.PID())
	if err != nil {
		stopProfile(prof)
		return LoginResult{}, err
	}
	var logins, errs atomic.Int64
	var firstErr atomic.Value
	var curve atomic.Uint32
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := 0; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				a := srv.Account((w + k*workers) % users)
				a.Addr, a.Resource = srv.Addr, fmt.Sprintf("l%d-%d", w, k)
				lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				s, ph, err := Login(lctx, a, cfg, 0)
				cancel()
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				curve.Store(uint32(s.Curve))
				s.Close()
				logins.Add(1)
				recordPhases(rec, ph)
			}
		})
	}
	wg.Wait()
	cost, err := m.Read()
	top := stopProfile(prof)
	if err != nil {
		return LoginResult{}, err
	}
	r := LoginResult{Profile: top, Workers: workers, Logins: int(logins.Load()), Errors: int(errs.Load()), Cost: cost,
		Phases: map[string]Summary{}, Curve: tls.CurveID(curve.Load())}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstErr = e
	}
	for n, rc := range rec {
		r.Phases[n] = rc.Summary()
	}
	return r, nil
}

func recordPhases(rec map[string]*Recorder, ph Phases) {
	rec["connect"].Add(ph.Connect)
	rec["starttls"].Add(ph.StartTLS)
	rec["tls"].Add(ph.TLS)
	rec["sasl"].Add(ph.SASL)
	rec["bind"].Add(ph.Bind)
	rec["roster"].Add(ph.Roster)
	rec["total"].Add(ph.Total)
}
