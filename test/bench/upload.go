package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// UploadPlan is the HTTP upload test (XEP-0363, issue 23, spectrum2 only): Rounds PUTs and
// GETs of one Size-byte file through the daemon's HTTPS upload listener, each beside the
// same transfer to a bare net/http HTTPS server (the floor), then Parallel uploads at once
// and Parallel downloads at once while the daemon's RSS is sampled.
type UploadPlan struct {
	Rounds   int   // timed PUT + GET rounds on each server; 0: no upload test
	Parallel int   // uploads (then downloads) at once, one user each
	Size     int64 // bytes per file
	// Floor is the command line of the floor server listening on addr with the bench
	// certificate, keeping its files in dir (benchrun runs itself: ServeFloor).
	Floor func(addr, dir string) []string
}

// UploadResult is the upload test.
type UploadResult struct {
	Size           int64
	Put, Get       Transfers // through the daemon
	FloorPut       Transfers // through the bare net/http server
	FloorGet       Transfers
	Proto          string  // HTTP version the transfers used
	Slot           Summary // slot request to its result, over XMPP
	Parallel       int
	ParPut, ParGet ParallelResult
	PeakFromHWM    bool // the peaks are the kernel's VmHWM, reset before each phase
	Err            string
	FloorErr       string // the floor could not be measured (the daemon's figures stand)
}

// Transfers is one kind of transfer timed Rounds times.
type Transfers struct {
	Time      Summary       // per transfer, client side: request sent to the last byte
	ServerCPU time.Duration // the server process's CPU over all timed transfers
}

// MBps is the throughput of the median transfer of size bytes, in MB (10^6 bytes) per second.
func (t Transfers) MBps(size int64) float64 { return mbps(size, t.Time.P50) }

// Best is the throughput of the fastest transfer.
func (t Transfers) Best(size int64) float64 { return mbps(size, t.Time.Min) }

// CPUPerMB is the server's CPU per MB transferred.
func (t Transfers) CPUPerMB(size int64) time.Duration {
	if t.Time.N == 0 {
		return 0
	}
	return time.Duration(float64(t.ServerCPU) / (float64(t.Time.N) * float64(size) / 1e6))
}

func mbps(size int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(size) / 1e6 / d.Seconds()
}

// Share is our median throughput as a share of the floor's.
func Share(ours, floor Transfers, size int64) float64 {
	if f := floor.MBps(size); f > 0 {
		return ours.MBps(size) / f
	}
	return 0
}

// ParallelResult is Parallel transfers at once.
type ParallelResult struct {
	Done, Failed int
	FirstErr     string
	Elapsed      time.Duration // first request to the last transfer's end
	IdleRSS      int64         // the daemon's (root process) RSS before, bytes
	PeakRSS      int64         // its peak during the transfers
	ServerCPU    time.Duration // the daemon's CPU (root process) over Elapsed
}

// Growth is the peak RSS minus the idle RSS.
func (p ParallelResult) Growth() int64 { return p.PeakRSS - p.IdleRSS }

// RunUpload runs the upload test on srv (spectrum2) with the floor server beside it, both
// pinned to srv.CPU.
func RunUpload(ctx context.Context, srv *Server, cfg *tls.Config, plan UploadPlan, workers int) UploadResult {
	r := UploadResult{Size: plan.Size, Parallel: plan.Parallel}
	data := make([]byte, plan.Size)
	rng := mrand.NewChaCha8([32]byte{23})
	_, _ = rng.Read(data)
	if err := srv.Start(ctx, Options{Upload: true}); err != nil {
		r.Err = err.Error()
		return r
	}
	defer func() {
		srv.Stop()
		_ = os.RemoveAll(filepath.Join(srv.Dir, "data", "uploads"))
	}()
	client := uploadClient(cfg)
	defer client.CloseIdleConnections()
	var floor *floorServer
	if plan.Floor != nil {
		var err error
		if floor, err = startFloor(ctx, srv, plan); err != nil {
			r.FloorErr = err.Error()
		} else {
			defer floor.stop()
		}
	}
	if err := uploadRounds(ctx, srv, cfg, client, floor, plan, data, &r); err != nil {
		r.Err = err.Error()
		return r
	}
	if plan.Parallel > 0 {
		if err := uploadParallel(ctx, srv, cfg, client, plan, data, workers, &r); err != nil {
			r.Err = "parallel: " + err.Error()
		}
	}
	return r
}

// uploadClient is the generator's HTTPS client: the bench's TLS settings (TLS 1.3, the
// pinned certificate), HTTP/1.1 as the daemon's clients mostly use it, keep-alive.
func uploadClient(cfg *tls.Config) *http.Client {
	return &http.Client{
		Timeout: 5 * time.Minute,
		Transport: &http.Transport{
			TLSClientConfig:     cfg.Clone(),
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// floorServer is the bare net/http HTTPS server, started as a child process pinned like
// the daemon.
type floorServer struct {
	srv  *Server
	base string // https://addr/f/
}

func startFloor(ctx context.Context, daemon *Server, plan UploadPlan) (*floorServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(daemon.Dir, "floor")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("floor directory: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	argv := plan.Floor(addr, dir)
	s := &Server{Name: "https-floor", Addr: addr, CPU: daemon.CPU, Dir: dir,
		configure: func(Options) ([]string, error) { return argv, nil }}
	if err := s.Start(ctx, Options{}); err != nil {
		return nil, err
	}
	return &floorServer{srv: s, base: "https://" + addr + "/f/"}, nil
}

func (f *floorServer) stop() {
	f.srv.Stop()
	_ = os.RemoveAll(f.srv.Dir)
}

// slotFor is a granted slot: where to PUT, with which token, and where to GET.
type slotFor struct{ put, token, get string }

var (
	putRe    = regexp.MustCompile(`<put url=["']([^"']+)["']`)
	tokenRe  = regexp.MustCompile(`<header name=["']Authorization["']>Bearer ([^<]+)</header>`)
	getURLRe = regexp.MustCompile(`<get url=["']([^"']+)["']`)
)

// requestSlot asks upload.<domain> for a slot over the session (whose reader must not run).
func requestSlot(s *Session, domain, id, name string, size int64) (slotFor, error) {
	req := fmt.Sprintf(`<iq type='get' id='%s' to='upload.%s'><request xmlns='urn:xmpp:http:upload:0' `+
		`filename='%s' size='%d' content-type='application/octet-stream'/></iq>`, id, domain, name, size)
	if err := s.Send([]byte(req)); err != nil {
		return slotFor{}, err
	}
	el, err := s.await(id)
	if err != nil {
		return slotFor{}, fmt.Errorf("slot request: %w", err)
	}
	p, t, g := putRe.FindSubmatch(el), tokenRe.FindSubmatch(el), getURLRe.FindSubmatch(el)
	if p == nil || t == nil || g == nil {
		return slotFor{}, fmt.Errorf("no slot in %.300q", el)
	}
	return slotFor{put: html.UnescapeString(string(p[1])), token: html.UnescapeString(string(t[1])),
		get: html.UnescapeString(string(g[1]))}, nil
}

// login logs account i in for slot requests (no reader: requestSlot reads).
func uploadLogin(ctx context.Context, srv *Server, cfg *tls.Config, i int) (*Session, error) {
	a := srv.Account(i)
	a.Addr, a.Resource = srv.Addr, fmt.Sprintf("up%d", i)
	lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s, _, err := Login(lctx, a, cfg, 0)
	return s, err
}

// transfer is one PUT (token != "") or GET of data, checked: PUT must answer 201, GET 200
// with data's length (and data's bytes when verify).
func transfer(ctx context.Context, c *http.Client, method, url, token string, data []byte, verify bool) (string, error) {
	var body io.Reader
	if method == http.MethodPut {
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return "", err
	}
	if method == http.MethodPut {
		req.ContentLength = int64(len(data))
		req.Header.Set("Content-Type", "application/octet-stream")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	want := http.StatusOK
	if method == http.MethodPut {
		want = http.StatusCreated
	}
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return resp.Proto, fmt.Errorf("%s %s: %s: %q", method, url, resp.Status, b)
	}
	if method == http.MethodPut {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Proto, nil
	}
	if verify {
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.Proto, fmt.Errorf("GET %s: %w", url, err)
		}
		if !bytes.Equal(got, data) {
			return resp.Proto, fmt.Errorf("GET %s: %d bytes that differ from the %d uploaded", url, len(got), len(data))
		}
		return resp.Proto, nil
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && n != int64(len(data)) {
		err = fmt.Errorf("GET %s: %d of %d bytes", url, n, len(data))
	}
	return resp.Proto, err
}

// timed runs f and adds its duration to t, with the CPU that pid used meanwhile.
func timed(t *Recorder, cpu *time.Duration, pid int, f func() error) error {
	c0 := threadsCPU(pid)
	t0 := time.Now()
	err := f()
	d := time.Since(t0)
	c1 := threadsCPU(pid)
	if err == nil {
		t.Add(d)
		*cpu += c1 - c0
	}
	return err
}

// uploadRounds: a checked warm-up round on each server, then plan.Rounds timed rounds,
// each of: our PUT, the floor's PUT, our GET, the floor's GET, so that load from elsewhere
// on the machine falls on both alike.
func uploadRounds(ctx context.Context, srv *Server, cfg *tls.Config, c *http.Client, floor *floorServer,
	plan UploadPlan, data []byte, r *UploadResult) error {
	s, err := uploadLogin(ctx, srv, cfg, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	var put, get, fput, fget, slot Recorder
	var putCPU, getCPU, fputCPU, fgetCPU time.Duration
	for round := range plan.Rounds + 1 {
		warm := round == 0
		name := fmt.Sprintf("round%d.bin", round)
		t0 := time.Now()
		sl, err := requestSlot(s, srv.Domain, "slot"+strconv.Itoa(round), name, plan.Size)
		if err != nil {
			return err
		}
		if !warm {
			slot.Add(time.Since(t0))
		}
		var scratch Recorder
		var cpu time.Duration
		rec := func(t *Recorder, c *time.Duration) (*Recorder, *time.Duration) {
			if warm {
				return &scratch, &cpu
			}
			return t, c
		}
		t, cp := rec(&put, &putCPU)
		if err := timed(t, cp, srv.PID(), func() error {
			p, err := transfer(ctx, c, http.MethodPut, sl.put, sl.token, data, false)
			r.Proto = p
			return err
		}); err != nil {
			return err
		}
		if floor != nil && r.FloorErr == "" {
			t, cp = rec(&fput, &fputCPU)
			if err := timed(t, cp, floor.srv.PID(), func() error {
				_, err := transfer(ctx, c, http.MethodPut, floor.base+name, "", data, false)
				return err
			}); err != nil {
				r.FloorErr = err.Error()
			}
		}
		t, cp = rec(&get, &getCPU)
		if err := timed(t, cp, srv.PID(), func() error {
			_, err := transfer(ctx, c, http.MethodGet, sl.get, "", data, warm)
			return err
		}); err != nil {
			return err
		}
		if floor != nil && r.FloorErr == "" {
			t, cp = rec(&fget, &fgetCPU)
			if err := timed(t, cp, floor.srv.PID(), func() error {
				_, err := transfer(ctx, c, http.MethodGet, floor.base+name, "", data, warm)
				return err
			}); err != nil {
				r.FloorErr = err.Error()
			}
		}
	}
	r.Put = Transfers{Time: put.Summary(), ServerCPU: putCPU}
	r.Get = Transfers{Time: get.Summary(), ServerCPU: getCPU}
	r.FloorPut = Transfers{Time: fput.Summary(), ServerCPU: fputCPU}
	r.FloorGet = Transfers{Time: fget.Summary(), ServerCPU: fgetCPU}
	r.Slot = slot.Summary()
	return nil
}

// uploadParallel logs plan.Parallel users in (accounts after the rounds' user), each asks
// for one slot; after the daemon settled, all PUT at once while its RSS is sampled, then,
// after it settled again, all GET their files at once.
func uploadParallel(ctx context.Context, srv *Server, cfg *tls.Config, c *http.Client, plan UploadPlan,
	data []byte, workers int, r *UploadResult) error {
	slots := make([]slotFor, plan.Parallel)
	errs := make([]error, plan.Parallel)
	var next sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for range min(workers, plan.Parallel) {
		wg.Go(func() {
			for {
				next.Lock()
				i := n
				n++
				next.Unlock()
				if i >= plan.Parallel {
					return
				}
				s, err := uploadLogin(ctx, srv, cfg, 1+i)
				if err != nil {
					errs[i] = err
					continue
				}
				slots[i], errs[i] = requestSlot(s, srv.Domain, "slot", fmt.Sprintf("parallel%d.bin", i), plan.Size)
				s.Close()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.CloseIdleConnections() // every transfer opens its own connection, as separate clients do
	var err error
	if r.ParPut, err = parallelPhase(ctx, srv, c, slots, data, http.MethodPut, &r.PeakFromHWM); err != nil {
		return err
	}
	c.CloseIdleConnections()
	r.ParGet, err = parallelPhase(ctx, srv, c, slots, data, http.MethodGet, &r.PeakFromHWM)
	c.CloseIdleConnections()
	return err
}

// parallelPhase lets the daemon settle, reads its idle RSS, and runs one transfer per slot
// at once while sampling its RSS; the peak is the kernel's VmHWM (reset through clear_refs
// right before) when that works, else the highest sample.
func parallelPhase(ctx context.Context, srv *Server, c *http.Client, slots []slotFor, data []byte,
	method string, hwm *bool) (ParallelResult, error) {
	var p ParallelResult
	time.Sleep(settle)
	idle, _, err := procUsage(srv.PID())
	if err != nil {
		return p, err
	}
	p.IdleRSS = idle
	reset := resetHWM(srv.PID()) == nil
	sctx, stop := context.WithCancel(ctx)
	peak := sampleRootRSS(sctx, srv.PID())
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu0, t0 := threadsCPU(srv.PID()), time.Now()
	for _, sl := range slots {
		wg.Go(func() {
			url, token := sl.get, ""
			if method == http.MethodPut {
				url, token = sl.put, sl.token
			}
			_, err := transfer(ctx, c, method, url, token, data, false)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				p.Failed++
				if p.FirstErr == "" {
					p.FirstErr = err.Error()
				}
				return
			}
			p.Done++
		})
	}
	wg.Wait()
	p.Elapsed, p.ServerCPU = time.Since(t0), threadsCPU(srv.PID())-cpu0
	stop()
	p.PeakRSS = <-peak
	if reset {
		if h, err := readHWM(srv.PID()); err == nil {
			p.PeakRSS = max(p.PeakRSS, h)
			*hwm = true
		}
	}
	if p.Failed > 0 {
		return p, fmt.Errorf("%s: %d of %d failed (first: %s)", method, p.Failed, len(slots), p.FirstErr)
	}
	return p, nil
}

// threadsCPU is the CPU time pid's threads have run, to the nanosecond (the sum of their
// /proc/PID/task/TID/schedstat; /proc/PID/stat counts in 10 ms ticks, too coarse for a
// transfer of some 30 ms).
func threadsCPU(pid int) time.Duration {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/[0-9]*/schedstat", pid))
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that just ended
		}
		if v, _, ok := strings.Cut(string(b), " "); ok {
			ns, _ := strconv.ParseInt(v, 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// sampleRootRSS reads pid's RSS every 10 ms until ctx ends and then sends the peak.
func sampleRootRSS(ctx context.Context, pid int) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var top int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := procUsage(pid); err == nil {
				top = max(top, rss)
			}
			select {
			case <-ctx.Done():
				out <- top
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// resetHWM resets the peak RSS the kernel keeps for pid (proc(5): clear_refs, "5").
func resetHWM(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// readHWM is pid's peak RSS (VmHWM) in bytes.
func readHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}
