package pluginserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/internal/accept"
)

// ErrNoBackend is returned (wrapped) by Send when no live backend serves the user.
var ErrNoBackend = errors.New("pluginserver: no live backend serves the user")

// ErrClosed is returned (wrapped) by Login once the Server is shutting down.
var ErrClosed = errors.New("pluginserver: shutting down")

// Server listens for backends, spawns and supervises them and assigns users to them.
// It implements router.Backends.
type Server struct {
	cfg Config
	h   Handler
	// undelivered is h when it implements UndeliveredHandler, else nil.
	undelivered UndeliveredHandler
	log         zerolog.Logger
	ln          net.Listener
	port        int
	// unexpected receives connections that are not a backend we spawned. It closes them;
	// the QUERY admin channel (spec 1.8) will hook in here.
	unexpected func(net.Conn)
	// query runs QUERY admin commands (query.go); nil while the channel is off.
	query func(command string) string

	kick chan struct{} // wakes the dispatcher; buffered 1
	wg   sync.WaitGroup

	// start runs fork/exec ((*exec.Cmd).Start); a test slows it down.
	start func(*exec.Cmd) error

	mu      sync.Mutex // guards everything below and every backend's mutable fields
	closing bool
	nextID  int
	// launches are the spawns whose fork/exec runs (spawn.go); launched (on mu) is
	// signalled when one ends.
	launches []*backend
	launched *sync.Cond
	// suspects are users during whose LOGIN a backend died (quarantine.go).
	suspects map[string]*suspect
	backends []*backend // in spawn order
	users    map[string]*backend
	conns    map[net.Conn]struct{} // every accepted connection, for shutdown
	waiting  []*waiter             // FIFO of Login calls waiting for a backend
	config   backendConfig
	features Features
	crashes  int
	crashed  []int // pids of the last crashed backends (query.go)
	// dropped counts what backends sent that was not delivered, by reason (dropLocked).
	dropped map[string]int
	spawns  int
	// failedSpawns counts consecutive spawn failures; warm spawns back off after them.
	failedSpawns int
	lastFailure  time.Time
}

// New checks cfg, listens on the backend port at once (so the port is known before Run)
// and writes the port file.
func New(cfg Config, h Handler) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("pluginserver: listening for backends: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		h:        h,
		log:      cfg.Log.With().Str("component", "pluginserver").Logger(),
		ln:       ln,
		port:     ln.Addr().(*net.TCPAddr).Port,
		kick:     make(chan struct{}, 1),
		users:    make(map[string]*backend),
		conns:    make(map[net.Conn]struct{}),
		suspects: make(map[string]*suspect),
		dropped:  make(map[string]int),
		features: defaultFeatures(),
	}
	s.unexpected = s.closeUnexpected
	s.start = (*exec.Cmd).Start
	s.launched = sync.NewCond(&s.mu)
	s.undelivered, _ = h.(UndeliveredHandler)
	if cfg.PortFile != "" {
		// spec 2.1: "<port>\n", for spectrum2_manager-style tools.
		if err := os.WriteFile(cfg.PortFile, []byte(strconv.Itoa(s.port)+"\n"), 0o644); err != nil {
			ln.Close()
			return nil, fmt.Errorf("pluginserver: writing port file: %w", err)
		}
	}
	return s, nil
}

// Addr is the address backends connect to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run spawns the warm backend and supervises the backends until ctx ends, then shuts
// down (spec 2.10): LOGOUT for every user, EXIT to every backend, a bounded wait, SIGKILL
// for the process groups still alive. When Run returns every child has been reaped.
func (s *Server) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.Background())
	s.wg.Go(func() { s.acceptLoop(runCtx) })
	s.wg.Go(func() { s.dispatchLoop(runCtx) })
	s.wg.Go(func() { s.superviseLoop(runCtx) })
	s.mu.Lock()
	s.ensureWarmLocked()
	s.mu.Unlock()

	<-ctx.Done()
	s.shutdown()
	cancel()
	s.wg.Wait()
	s.log.Info().Msg("all backends stopped")
	return nil
}

// Features is what the backends announced in BACKEND_CONFIG (spec 1.7).
func (s *Server) Features() Features {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.features
}

// Stats describes the backends, for the admin interface and metrics.
type Stats struct {
	Backends []BackendStats
	Spawns   int // backends started since New
	Crashes  int // backends that died without being asked to
	// Dropped counts the frames and connections refused since New, by reason: DropForeign
	// (a frame about a user the backend does not serve, RAW_XML included), DropRawXML
	// (RAW_XML from a backend that did not announce features.rawxml), DropConfig
	// (BACKEND_CONFIG past its bounds), DropConn (a connection that is no backend we
	// spawned and no QUERY client).
	Dropped map[string]int
}

// Reasons in Stats.Dropped.
const (
	DropForeign = "foreign_user"
	DropRawXML  = "rawxml_not_announced"
	DropConfig  = "backend_config"
	DropConn    = "connection"
)

// BackendStats describes one backend.
type BackendStats struct {
	ID          int    // the --service.backend_id value
	Name        string // "backend-<ID>", as in logs and HandleRawXML
	PID         int
	Users       int
	RSS         int32 // KB, from STATS res
	InitRSS     int32 // KB, from STATS init_res
	Shared      int32 // KB, from STATS shared
	State       string
	AcceptUsers bool // false once full (never here) or retired by the memory collector
	// Unconfirmed counts the stanza-carrying frames no PONG has confirmed yet (doc.go).
	Unconfirmed int
	// Queued and QueuedBytes are what waits in the outbound queue or is being written
	// (outq.go), against Config.QueueFrames and QueueBytes.
	Queued, QueuedBytes int
}

// Stats returns a snapshot of the backends.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Spawns: s.spawns, Crashes: s.crashes, Dropped: maps.Clone(s.dropped)}
	for _, b := range s.backends {
		bs := BackendStats{
			ID: b.id, Name: b.name, PID: b.pid, Users: len(b.users),
			RSS: b.rss, InitRSS: b.initRes, Shared: b.shared,
			State: b.state.String(), AcceptUsers: b.acceptUsers,
			Unconfirmed: b.fence.unconfirmed(),
		}
		if b.q != nil {
			bs.Queued, bs.QueuedBytes = b.q.frames, b.q.bytes
		}
		st.Backends = append(st.Backends, bs)
	}
	return st
}

// acceptLoop hands each connection to serveConn until the listener is closed. An accept
// error (EMFILE...) is retried with back-off: the listener must outlive a shortage of
// descriptors, or no backend could ever connect again.
func (s *Server) acceptLoop(ctx context.Context) {
	accept.Loop(ctx, s.ln, s.log, "backends", func(c net.Conn) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	})
}

// closeUnexpected is the default for connections that are no spawned backend.
func (s *Server) closeUnexpected(c net.Conn) {
	s.mu.Lock()
	s.dropLocked(DropConn)
	s.mu.Unlock()
	s.log.Warn().Stringer("remote", c.RemoteAddr()).Msg("closing a connection that is no backend we spawned (spec 1.8 quirk fixed)")
	c.Close()
}

// dropLocked counts one refused frame or connection; s.mu is held. Reasons are the Drop
// constants, so the map stays small.
func (s *Server) dropLocked(reason string) { s.dropped[reason]++ }

// kickDispatcher wakes the dispatcher without blocking.
func (s *Server) kickDispatcher() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
