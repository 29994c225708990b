package config

import (
	"path/filepath"
	"time"

	"github.com/gospectrum/spectrum2/cluster"
)

// Config is a loaded configuration. Field comments name the TOML key; the meaning and default
// of each is in docs/configuration.md (generated from options.go).
type Config struct {
	// Path is the file the configuration was loaded from ("" for Default).
	Path         string            `toml:"-"`
	Service      Service           `toml:"service"`
	Identity     Identity          `toml:"identity"`
	Logging      Logging           `toml:"logging"`
	Limits       Limits            `toml:"limits"`
	SM           SM                `toml:"sm"`
	CSI          CSI               `toml:"csi"`
	MUC          MUC               `toml:"muc"`
	Demo         Demo              `toml:"demo"`
	Metrics      Metrics           `toml:"metrics"`
	Cluster      Cluster           `toml:"cluster"`
	DNS          cluster.DNSConfig `toml:"dns"`
	Features     Features          `toml:"features"`
	Registration Registration      `toml:"registration"`
	Storage      Storage           `toml:"storage"`
	Offline      Offline           `toml:"offline"`
	MAM          MAM               `toml:"mam"`
	PEP          PEP               `toml:"pep"`
	Upload       Upload            `toml:"upload"`
	// BackendExtra holds the [backend_ini.SECTION] keys in file order, values already in
	// INI form (booleans 0/1, arrays as several values).
	BackendExtra []INIValue `toml:"-"`
	// Warnings are what Load found that works but should be fixed, e.g. a certificate
	// that expires soon.
	Warnings []Problem `toml:"-"`
}

// INIValue is one key of [backend_ini.SECTION], passed verbatim to external backends.
type INIValue struct {
	Section, Key string
	// Values has one entry for a scalar and one per element for an array (a repeated key).
	Values []string
}

// Service is the [service] section (Spectrum 2's service.* options, spec 4.2).
type Service struct {
	JID                 string        `toml:"jid"`
	Server              string        `toml:"server"`
	Port                int           `toml:"port"`
	TLSPort             int           `toml:"tls_port"`
	Cert                string        `toml:"cert"`
	Key                 string        `toml:"key"`
	CertPassword        string        `toml:"cert_password"`
	DataDir             string        `toml:"data_dir"`
	RequireEncryption   bool          `toml:"require_encryption"`
	Backend             string        `toml:"backend"`
	AllowedServers      []string      `toml:"allowed_servers"`
	BackendHost         string        `toml:"backend_host"`
	BackendPort         int           `toml:"backend_port"`
	Portfile            string        `toml:"portfile"`
	WorkingDir          string        `toml:"working_dir"`
	UsersPerBackend     int           `toml:"users_per_backend"`
	LoginDelay          time.Duration `toml:"login_delay"`
	LoginTimeout        time.Duration `toml:"login_timeout"`
	BackendPingInterval time.Duration `toml:"backend_ping_interval"`
	BackendIdleTimeout  time.Duration `toml:"backend_idle_timeout"`
	MemoryCollectorTime time.Duration `toml:"memory_collector_time"`
	AdminJID            []string      `toml:"admin_jid"`
	AdminPassword       string        `toml:"admin_password"`
	AbuseAddresses      []string      `toml:"abuse_addresses"`
	AdminAddresses      []string      `toml:"admin_addresses"`
	SupportAddresses    []string      `toml:"support_addresses"`
	BackendQuery        bool          `toml:"backend_query"`
	JIDEscaping         bool          `toml:"jid_escaping"`
	EnableXHTML         bool          `toml:"enable_xhtml"`
	OOBReplaceBody      bool          `toml:"oob_replace_body"`
	OOBSplit            bool          `toml:"oob_split"`
	MaxRoomListSize     int           `toml:"max_room_list_size"`
	MoreResources       bool          `toml:"more_resources"`
	CorrectionPrefix    string        `toml:"correction_prefix"`
	CorrectionFallback  string        `toml:"correction_fallback"`
	ReactionFallback    string        `toml:"reaction_fallback"`
	// ServerMode is accepted for compatibility and ignored: spectrum2 is always a server.
	ServerMode bool `toml:"server_mode"`
}

// Identity is the [identity] section: the gateway's service discovery identity.
type Identity struct {
	Name     string `toml:"name"`
	Category string `toml:"category"`
	Type     string `toml:"type"`
}

// Logging is the [logging] section, given to internal/logging.New.
type Logging struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Limits is the [limits] section: resource bounds for clients and backends.
type Limits struct {
	MaxStanzaBytes       int           `toml:"max_stanza_bytes"`
	MaxDepth             int           `toml:"max_depth"`
	NegotiationTimeout   time.Duration `toml:"negotiation_timeout"`
	QueueSize            int           `toml:"queue_size"`
	MaxConnsPerIP        int           `toml:"max_conns_per_ip"`
	LoginsPerMinutePerIP int           `toml:"logins_per_minute_per_ip"`
	LoginFailures        int           `toml:"login_failures"`
	LoginFailureWindow   time.Duration `toml:"login_failure_window"`
	LoginBackoff         time.Duration `toml:"login_backoff"`
	LoginBackoffMax      time.Duration `toml:"login_backoff_max"`
	IPv4Prefix           int           `toml:"ipv4_prefix"`
	IPv6Prefix           int           `toml:"ipv6_prefix"`
	MaxUsers             int           `toml:"max_users"`
	MaxBackends          int           `toml:"max_backends"`
	MaxConnections       int           `toml:"max_connections"`
	MaxNegotiating       int           `toml:"max_negotiating"`
	PreauthStanzaBytes   int           `toml:"preauth_stanza_bytes"`
	SessionSendBytes     int           `toml:"session_send_bytes"`
	StanzasPerSecond     int           `toml:"stanzas_per_second"`
	StanzaBurst          int           `toml:"stanza_burst"`
	BytesPerSecond       int           `toml:"bytes_per_second"`
	ByteBurst            int           `toml:"byte_burst"`
	ClientPingInterval   time.Duration `toml:"client_ping_interval"`
	MaxFrameBytes        int           `toml:"max_frame_bytes"`
	BackendQueueFrames   int           `toml:"backend_queue_frames"`
	BackendQueueBytes    int           `toml:"backend_queue_bytes"`
	GCPercent            int           `toml:"gc_percent"`
}

// SM is the [sm] section: XEP-0198 stream management.
type SM struct {
	Enabled       bool          `toml:"enabled"`
	AckEvery      int           `toml:"ack_every"`
	AckAfter      time.Duration `toml:"ack_after"`
	ResumeTimeout time.Duration `toml:"resume_timeout"`
	MaxQueue      int           `toml:"max_queue"`
	Linger        time.Duration `toml:"linger"`
}

// CSI is the [csi] section: XEP-0352 client state indication.
type CSI struct {
	MaxHeld int `toml:"max_held"`
}

// MUC is the [muc] section.
type MUC struct {
	History int `toml:"history"`
}

// Demo is the [demo] section, written into the backend INI file for the built-in demo network.
type Demo struct {
	Contacts       int           `toml:"contacts"`
	SlowLoginDelay time.Duration `toml:"slow_login_delay"`
	ClockPeriod    time.Duration `toml:"clock_period"`
}

// Features is the [features] section: optional overrides of what backends announce in
// BACKEND_CONFIG (spec 1.7). nil means "as the backend says".
type Features struct {
	Receipts           *bool `toml:"receipts"`
	MUC                *bool `toml:"muc"`
	RawXML             *bool `toml:"rawxml"`
	DisableJIDEscaping *bool `toml:"disable_jid_escaping"`
	SendBuddiesOnLogin *bool `toml:"send_buddies_on_login"`
}

// Registration is the [registration] section: optional overrides of the backend's
// registration.* announcement (spec 1.7). nil/empty means "as the backend says".
type Registration struct {
	NeedPassword     *bool    `toml:"needPassword"`
	NeedRegistration *bool    `toml:"needRegistration"`
	ExtraField       []string `toml:"extraField"`
}

// Metrics is the [metrics] section: the operations HTTP listener.
type Metrics struct {
	Listen string `toml:"listen"`
	Pprof  bool   `toml:"pprof"`
}

// AdminSocket is the path of the Unix socket `spectrum2 status` asks the daemon on.
func (c *Config) AdminSocket() string { return filepath.Join(c.Service.WorkingDir, "admin.sock") }
