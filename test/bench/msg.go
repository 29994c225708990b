package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Message bodies are "q:PHASE:NANOS" for a request and "r:PHASE:NANOS" for a peer's answer;
// NANOS is the intended send time relative to the phase's epoch, so that the round trip is
// measured from when the message should have left, not from when it did.

// MsgResult is the outcome of one message phase.
type MsgResult struct {
	Sessions int
	Sent     int
	Received int
	Bounced  int // error replies to requests (not round trips: the server refused them)
	Latency  Summary
	Cost     Cost
	Profile  string // top of the server's perf profile, if recorded
	// Backlog is the closed loop's messages still unanswered when its drain gave up: the
	// next phase on the same sessions ran behind them.
	Backlog int
}

// Rate is completed round trips per second.
func (r MsgResult) Rate() float64 { return float64(r.Received) / r.Cost.Elapsed.Seconds() }

// CPUPerMsg is the server CPU per round trip.
func (r MsgResult) CPUPerMsg() time.Duration {
	if r.Received == 0 {
		return 0
	}
	return r.Cost.ServerCPU / time.Duration(r.Received)
}

// msgPhase is one running message test over a pool.
type msgPhase struct {
	pool    *Pool
	echoBot bool
	id      int
	epoch   time.Time
	rec     Recorder
	sent    atomic.Int64
	got     atomic.Int64
	bounced atomic.Int64
	stopped atomic.Bool
	// warm is set while the closed loop warms up: answers are neither timed nor counted.
	warm atomic.Bool
	// answered counts every answer of the phase, warm-up and drain included.
	answered atomic.Int64
	// next is called after a round trip of session i completes (closed loop), or nil.
	next func(i int)
}

func (m *msgPhase) install() {
	for i, s := range m.pool.Sessions {
		s.OnMessage(func(s *Session, el []byte) { m.receive(i, s, el) })
	}
}

// send sends session i's request with intended time at.
func (m *msgPhase) send(i int, at time.Time) {
	s := m.pool.Sessions[i]
	b := fmt.Appendf(nil, "<message to='%s' type='chat'><body>q:%d:%d</body></message>",
		m.pool.Peers[i], m.id, at.Sub(m.epoch).Nanoseconds())
	if s.Send(b) == nil {
		m.sent.Add(1)
	}
}

// receive handles one message: an answer to session i's own request, or (client to client)
// the partner's request to answer.
func (m *msgPhase) receive(i int, s *Session, el []byte) {
	body := Text(el, "body")
	if len(body) < 2 {
		return
	}
	from := Bare(Attr(el, "from"))
	if string(Attr(el, "type")) == "error" { // a bounce carries the request's body
		if id, _, ok := parseBody(body); ok && id == m.id && body[0] == 'q' {
			m.answered.Add(1) // nothing else will come for it
			if !m.stopped.Load() {
				m.bounced.Add(1)
			}
		}
		return
	}
	answer := body[0] == 'r' || (m.echoBot && body[0] == 'q' && string(from) == m.pool.Peers[i])
	if !answer {
		if body[0] == 'q' && !m.echoBot {
			reply := fmt.Appendf(nil, "<message to='%s' type='chat'><body>r%s</body></message>", from, body[1:])
			_ = s.Send(reply)
		}
		return
	}
	id, at, ok := parseBody(body)
	if !ok || id != m.id {
		return
	}
	m.answered.Add(1)
	if m.stopped.Load() {
		return
	}
	if !m.warm.Load() {
		m.rec.Add(time.Since(m.epoch.Add(time.Duration(at))))
		m.got.Add(1)
	}
	if m.next != nil {
		m.next(i)
	}
}

// parseBody reads "x:PHASE:NANOS".
func parseBody(b []byte) (id int, at int64, ok bool) {
	f := bytes.Split(b, []byte(":"))
	if len(f) != 3 {
		return 0, 0, false
	}
	id, err1 := strconv.Atoi(string(f[1]))
	at, err2 := strconv.ParseInt(string(f[2]), 10, 64)
	return id, at, err1 == nil && err2 == nil
}

// The closed loop's warm-up and drain: it counts from when half the first round is answered
// (half as many answers as sessions: by then the burst has gone through every stage of the
// server), at most closedWarmMax (and two windows) after the first sends, and afterwards
// waits as long at most for the answers still in flight. A server that takes longer is far
// below capacity figures that matter here (Prosody with mod_mam on 500 sessions answered
// under 33 a second).
const closedWarmMax = 10 * time.Second

// RunClosed keeps one message in flight per session and counts the round trips of d: the
// capacity of the server. The window starts once half the first round is answered: every
// session sends at once, and until the burst has gone through every stage of the server
// fewer answers come than it can deliver (at 19,000 sessions the first came after some
// 3 s, and 5 s from the first send measured a third of the 10 s figure). The window
// ends with a drain until every message in flight is answered, so that the next phase on
// the same sessions does not run behind them (the open loop at 19,000 sessions got no
// answer within its 10 s when it started with 15,000 of them still queued); without drain
// (the sessions close next) it does not wait. settle, when not nil, runs after the last
// send and before the CPU is read, and its time counts in the window: work the server
// queued for later is paid for by the round trips that queued it (the archive's writer,
// at the lowest priority, falls up to its queue's 16,384 entries behind a closed loop,
// which a 2 s window did not pay for: the quick run's archive cost read 33 % for 43 %).
func RunClosed(p *Pool, srv *Server, id int, d time.Duration, drain bool, settle func() error) (MsgResult, error) {
	wait := min(closedWarmMax, 2*d)
	m := &msgPhase{pool: p, echoBot: srv.EchoBot, id: id, epoch: time.Now()}
	m.warm.Store(true)
	m.next = func(i int) { m.send(i, time.Now()) }
	m.install()
	for i := range p.Sessions {
		m.send(i, time.Now())
	}
	for end := time.Now().Add(wait); m.answered.Load() < int64(len(p.Sessions)/2) && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	prof := srv.profile(fmt.Sprintf("msg-%d", len(p.Sessions)))
	meter, err := StartMeter(srv.PID())
	if err != nil {
		stopProfile(prof)
		return MsgResult{}, err
	}
	m.warm.Store(false)
	time.Sleep(d)
	m.stopped.Store(true)
	if settle != nil {
		if err := settle(); err != nil {
			stopProfile(prof)
			return MsgResult{}, fmt.Errorf("settling the closed loop: %w", err)
		}
	}
	cost, err := meter.Read()
	top := stopProfile(prof)
	if err != nil {
		return MsgResult{}, err
	}
	for end := time.Now().Add(wait); drain && m.answered.Load() < m.sent.Load() && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	return MsgResult{Sessions: len(p.Sessions), Sent: int(m.sent.Load()), Received: int(m.got.Load()),
		Latency: m.rec.Summary(), Cost: cost, Profile: top, Backlog: int(m.sent.Load() - m.answered.Load())}, nil
}

// RunOpen sends rate messages per second for d, round robin over the sessions, each stamped
// with its scheduled time, and then waits up to 5 s for the last answers. Unanswered
// messages are Sent - Received.
func RunOpen(p *Pool, pid, id int, echoBot bool, rate int, d time.Duration) (MsgResult, error) {
	m := &msgPhase{pool: p, echoBot: echoBot, id: id, epoch: time.Now()}
	m.install()
	meter, err := StartMeter(pid)
	if err != nil {
		return MsgResult{}, err
	}
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	for k := 0; k < total; k++ {
		at := m.epoch.Add(time.Duration(k) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		m.send(k%len(p.Sessions), at)
	}
	for end := time.Now().Add(5 * time.Second); m.got.Load() < m.sent.Load() && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	m.stopped.Store(true)
	cost, err := meter.Read()
	if err != nil {
		return MsgResult{}, err
	}
	return MsgResult{Sessions: len(p.Sessions), Sent: int(m.sent.Load()), Received: int(m.got.Load()),
		Bounced: int(m.bounced.Load()), Latency: m.rec.Summary(), Cost: cost}, nil
}
