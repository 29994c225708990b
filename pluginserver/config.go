package pluginserver

import (
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultUsersPerBackend = 100              // service.users_per_backend (spec 2.9)
	DefaultPingInterval    = 20 * time.Second // spec 2.5
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultSpawnTimeout    = 30 * time.Second
	// ShutdownGrace is how long Run's shutdown (spec 2.10) and a retirement wait for a
	// backend to leave after EXIT before its process group is killed.
	ShutdownGrace = 5 * time.Second
	// writeTimeout bounds one write to a connection before it is identified as a backend
	// (the handshake PING) and to a QUERY client. Identified backends are written to by
	// their writer goroutine, which allows PingInterval (outq.go).
	writeTimeout = 10 * time.Second
)

// Config configures a Server. The server package fills it from the configuration file.
type Config struct {
	Host string // service.backend_host; "" = 127.0.0.1
	Port int    // service.backend_port; 0 = the OS picks a free port
	// PortFile, when set, receives the chosen port followed by a newline (spec 2.1).
	PortFile string
	// Backend is service.backend: an executable path with optional arguments, split like
	// a shell would (no PATH lookup; every "BACKEND_ID" is replaced by the backend's id),
	// or "builtin:NAME" for a backend compiled into Self.
	Backend string
	// Self is our own binary, re-executed as `Self backend NAME ...` for builtin:NAME;
	// "" = os.Executable().
	Self string
	// Env is added to the environment backends inherit from us (the daemon passes its
	// garbage collector setting to the native backends).
	Env []string
	// ConfigFile is the generated INI path, passed as the backend's last argument.
	ConfigFile string
	// WorkingDir is the backends' working directory ("" = ours).
	WorkingDir string
	// UsersPerBackend is service.users_per_backend; 0 = DefaultUsersPerBackend.
	UsersPerBackend int
	// MaxBackends is limits.max_backends: backends running or starting at once, quarantined
	// users' own included; 0 = no limit. A login that needs one more fails with
	// ErrMaxBackends.
	MaxBackends int
	// LoginDelay is service.login_delay: the pause between two LOGINs (spec 2.4).
	LoginDelay time.Duration
	// PingInterval is the keepalive period (spec 2.5); 0 = DefaultPingInterval.
	PingInterval time.Duration
	// IdleTimeout is how long an extra backend without users lives; 0 = DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MemoryCollectorTime is service.memory_collector_time converted from seconds by the
	// caller (spec 2.8 QUIRK fixed: Spectrum 2 read the number as milliseconds); 0 = off.
	MemoryCollectorTime time.Duration
	// MaxFrame limits one frame from a backend; 0 = protocol.DefaultMaxFrame.
	MaxFrame int
	// SpawnTimeout is how long a spawned backend has to connect; 0 = DefaultSpawnTimeout.
	SpawnTimeout time.Duration
	// QueueFrames and QueueBytes bound each backend's outbound queue (outq.go); past
	// them Send fails with ErrBackendBusy at once. 0 = DefaultQueueFrames, DefaultQueueBytes.
	QueueFrames int
	QueueBytes  int
	Log         zerolog.Logger

	// grace is ShutdownGrace unless a test shortens it.
	grace time.Duration
}

// Handler receives what backends say about users. *router.Router implements it, and also
// the optional UndeliveredHandler.
type Handler interface {
	// HandleBackendMessage gets every frame a backend sends about users, decoded, on the
	// backend's reader goroutine; it must not block. user is "" for a global ROOM_LIST.
	// When a backend dies, DISCONNECTED{error: CONNECTION_ERROR_OTHER_ERROR (16),
	// "Internal Server Error, please reconnect."} is delivered for each of its users (spec 2.6).
	HandleBackendMessage(user string, t pbnetwork.WrapperMessage_Type, m proto.Message)
	// HandleRawXML gets one backend's RAW_XML payloads in order (spec 3.21); backend names
	// it ("backend-3") so that a stanza split across frames can be reassembled.
	HandleRawXML(backend string, data []byte)
}

func (c *Config) setDefaults() error {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Backend == "" {
		return fmt.Errorf("pluginserver: no backend configured")
	}
	if c.Self == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("pluginserver: finding our own binary: %w", err)
		}
		c.Self = self
	}
	if c.UsersPerBackend <= 0 {
		c.UsersPerBackend = DefaultUsersPerBackend
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.SpawnTimeout <= 0 {
		c.SpawnTimeout = DefaultSpawnTimeout
	}
	if c.QueueFrames <= 0 {
		c.QueueFrames = DefaultQueueFrames
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.grace <= 0 {
		c.grace = ShutdownGrace
	}
	return nil
}
