package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// The Matrix test (issue 25): spectrum2 with builtin:matrix against a Dendrite on
// loopback. Users accounts each have a direct chat with "echo", a Matrix user this
// generator drives with mautrix, which answers every message with its text. The daemon's
// tree (daemon and backend process) is measured, RSS and PSS, after a warm-up login and
// after all users are connected (logged in, the echo contact on the roster); then one
// user's messages go to echo and back RoundTrips times, one at a time.
const (
	matrixServer   = "matrix.bench"
	matrixPassword = "bench-matrix-password"
	matrixWarm     = 2 // users logged in before the baseline (the backend process, caches)
)

// MatrixPlan is the Matrix test; no Users: none.
type MatrixPlan struct {
	Users      int
	RoundTrips int
}

// MatrixResult is the Matrix test's outcome.
type MatrixResult struct {
	Users     int // connected beyond the warm-up
	RSSPer    float64
	PSSPer    float64 // bytes per connected user, daemon + backend
	RSSBase   int64
	PSSBase   int64
	RoundTrip Summary
	Err       string
}

// RunMatrix runs the Matrix test on srv (spectrum2).
func RunMatrix(ctx context.Context, srv *Server, cfg *tls.Config, p MatrixPlan, workers int) MatrixResult {
	var res MatrixResult
	fail := func(err error) MatrixResult {
		res.Err = err.Error()
		return res
	}
	d, err := testsrv.LaunchDendrite(matrixServer)
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	echo, err := matrixEcho(ctx, d, p.Users+matrixWarm, workers)
	if err != nil {
		return fail(err)
	}
	ectx, stop := context.WithCancel(ctx)
	defer stop()
	go echo.serve(ectx)
	if err := srv.Start(ctx, Options{Matrix: d.URL()}); err != nil {
		return fail(err)
	}
	defer srv.Stop()
	var sessions []*Session
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	login := func(from, to int) error {
		out := make([]*Session, to-from)
		errs := make([]error, to-from)
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(1, min(workers, 10)))
		for i := from; i < to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				a := Account{Addr: srv.Addr, Domain: srv.Domain, User: fmt.Sprintf("mu%d%%%s", i, matrixServer),
					Password: matrixPassword, Resource: "bench"}
				lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				out[i-from], _, errs[i-from] = Login(lctx, a, cfg, 1) // the echo contact
			}()
		}
		wg.Wait()
		for i, s := range out {
			if s != nil {
				sessions = append(sessions, s)
			} else if errs[i] != nil {
				return fmt.Errorf("user %d: %w", from+i, errs[i])
			}
		}
		return nil
	}
	if err := login(0, matrixWarm); err != nil {
		return fail(err)
	}
	time.Sleep(settle)
	base, err := TreeUsage(srv.PID())
	if err != nil {
		return fail(err)
	}
	basePSS, err := TreePSS(srv.PID())
	if err != nil {
		return fail(err)
	}
	if err := login(matrixWarm, matrixWarm+p.Users); err != nil {
		return fail(err)
	}
	time.Sleep(settle)
	u, err := TreeUsage(srv.PID())
	if err != nil {
		return fail(err)
	}
	pss, err := TreePSS(srv.PID())
	if err != nil {
		return fail(err)
	}
	res.Users = len(sessions) - matrixWarm
	res.RSSBase, res.PSSBase = base.RSS, basePSS
	res.RSSPer = float64(u.RSS-base.RSS) / float64(res.Users)
	res.PSSPer = float64(pss-basePSS) / float64(res.Users)
	res.RoundTrip, err = matrixRoundTrips(ctx, sessions[0], p.RoundTrips)
	if err != nil {
		return fail(err)
	}
	return res
}

// matrixRoundTrips sends n messages from s to echo, each after the previous one's answer.
func matrixRoundTrips(ctx context.Context, s *Session, n int) (Summary, error) {
	answers := make(chan string, 16)
	s.OnMessage(func(_ *Session, el []byte) {
		if b := string(Text(el, "body")); b != "" {
			select {
			case answers <- b:
			default:
			}
		}
	})
	go func() { _ = s.Serve() }()
	to := `echo\40` + matrixServer + "@" + "localhost"
	var rec Recorder
	for i := range n {
		body := "ping " + strconv.Itoa(i)
		start := time.Now()
		msg := fmt.Sprintf("<message to='%s' type='chat' id='m%d'><body>%s</body></message>", to, i, body)
		if err := s.Send([]byte(msg)); err != nil {
			return rec.Summary(), err
		}
		for got := ""; got != body; {
			select {
			case got = <-answers:
			case <-time.After(30 * time.Second):
				return rec.Summary(), fmt.Errorf("no echo of %q within 30 s", body)
			case <-ctx.Done():
				return rec.Summary(), ctx.Err()
			}
		}
		rec.Add(time.Since(start))
	}
	return rec.Summary(), nil
}

// matrixPeer is the echo user: it answers every text message in its rooms.
type matrixPeer struct {
	cli *mautrix.Client
}

// matrixEcho registers echo and the users mu0..mu(n-1), and makes each user a direct chat
// with echo (echo creates it, the user joins, both record it in m.direct).
func matrixEcho(ctx context.Context, d *testsrv.Dendrite, n, workers int) (*matrixPeer, error) {
	if err := d.RegisterErr("echo", matrixPassword); err != nil {
		return nil, err
	}
	echo, err := matrixLogin(ctx, d, "echo")
	if err != nil {
		return nil, err
	}
	direct := event.DirectChatsEventContent{}
	var mu sync.Mutex
	errs := make(chan error, n)
	sem := make(chan struct{}, max(1, min(workers, 8)))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := "mu" + strconv.Itoa(i)
			if err := d.RegisterErr(name, matrixPassword); err != nil {
				errs <- err
				return
			}
			cli, err := matrixLogin(ctx, d, name)
			if err != nil {
				errs <- err
				return
			}
			defer cli.Logout(ctx) //nolint:errcheck // the gateway logs in with its own device
			room, err := echo.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat",
				Invite: []id.UserID{cli.UserID}, IsDirect: true})
			if err == nil {
				_, err = cli.JoinRoomByID(ctx, room.RoomID)
			}
			if err == nil {
				err = cli.SetAccountData(ctx, event.AccountDataDirectChats.Type,
					event.DirectChatsEventContent{echo.UserID: {room.RoomID}})
			}
			if err != nil {
				errs <- fmt.Errorf("%s's direct chat with echo: %w", name, err)
				return
			}
			mu.Lock()
			direct[cli.UserID] = []id.RoomID{room.RoomID}
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if err := echo.SetAccountData(ctx, event.AccountDataDirectChats.Type, direct); err != nil {
		return nil, err
	}
	return &matrixPeer{cli: echo}, nil
}

func matrixLogin(ctx context.Context, d *testsrv.Dendrite, name string) (*mautrix.Client, error) {
	cli, err := mautrix.NewClient(d.URL(), "", "")
	if err != nil {
		return nil, err
	}
	_, err = cli.Login(ctx, &mautrix.ReqLogin{Type: mautrix.AuthTypePassword, Password: matrixPassword,
		Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: name}, StoreCredentials: true})
	if err != nil {
		return nil, fmt.Errorf("matrix login %s: %w", name, err)
	}
	return cli, nil
}

// serve syncs until ctx ends and answers the messages that arrive after its first sync.
func (e *matrixPeer) serve(ctx context.Context) {
	since := ""
	for ctx.Err() == nil {
		resp, err := e.cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: 30000, Since: since})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "bench: matrix echo: %v\n", err)
				time.Sleep(time.Second)
			}
			continue
		}
		first := since == ""
		since = resp.NextBatch
		if first {
			continue
		}
		for room, jr := range resp.Rooms.Join {
			for _, ev := range jr.Timeline.Events {
				if ev.Type != event.EventMessage || ev.Sender == e.cli.UserID {
					continue
				}
				_ = ev.Content.ParseRaw(ev.Type)
				if m, ok := ev.Content.Parsed.(*event.MessageEventContent); ok && m.Body != "" {
					if _, err := e.cli.SendText(ctx, room, m.Body); err != nil && ctx.Err() == nil {
						fmt.Fprintf(os.Stderr, "bench: matrix echo: %v\n", err)
					}
				}
			}
		}
	}
}

// TreePSS sums the proportional set size (smaps_rollup) of pid and its descendants.
func TreePSS(pid int) (int64, error) {
	kids, err := children()
	if err != nil {
		return 0, err
	}
	var total int64
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p))
		if err != nil {
			if p == pid {
				return 0, fmt.Errorf("reading smaps_rollup: %w", err)
			}
			continue
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if f := strings.Fields(string(line)); len(f) >= 2 && f[0] == "Pss:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				total += kb * 1024
			}
		}
		queue = append(queue, kids[p]...)
	}
	return total, nil
}

// MatrixLine is the Matrix test's progress line.
func MatrixLine(r MatrixResult) string {
	return fmt.Sprintf("   %d users: %.0f KB RSS and %.0f KB PSS per user (daemon + backend; %.1f / %.1f MB before), echo round trip %s %s",
		r.Users, r.RSSPer/1000, r.PSSPer/1000, float64(r.RSSBase)/1e6, float64(r.PSSBase)/1e6, r.RoundTrip, r.Err)
}

// matrixRows adds the Matrix test's summary rows (spectrum2 only) through add.
func matrixRows(p MatrixPlan, add func(name string, f func(*Results) (float64, bool), format string, tgt func(o, p float64) string)) {
	if p.Users == 0 {
		return
	}
	f := func(g func(*MatrixResult) float64) func(*Results) (float64, bool) {
		return func(r *Results) (float64, bool) {
			if r.Matrix == nil || r.Matrix.Err != "" {
				return 0, false
			}
			return g(r.Matrix), true
		}
	}
	add(fmt.Sprintf("matrix: RSS per connected user, daemon + backend, %d users (KB)", p.Users), f(func(m *MatrixResult) float64 { return m.RSSPer / 1000 }), "%.0f", nil)
	add(fmt.Sprintf("matrix: PSS per connected user, daemon + backend, %d users (KB)", p.Users), f(func(m *MatrixResult) float64 { return m.PSSPer / 1000 }), "%.0f", nil)
	add("matrix: echo round trip through a direct chat, p50 (ms)", f(func(m *MatrixResult) float64 { return millis(m.RoundTrip.P50) }), "%.1f", nil)
	add("matrix: echo round trip through a direct chat, p99 (ms)", f(func(m *MatrixResult) float64 { return millis(m.RoundTrip.P99) }), "%.1f", nil)
}
