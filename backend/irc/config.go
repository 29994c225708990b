package irc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/ini"
)

// Defaults of the service.irc_* options (spec 4.3).
const (
	DefaultIdentify    = "NickServ identify $password"
	DefaultAwayTimeout = 60 * time.Second
	// DefaultMaxRoomMembers is irc_max_room_members unset: the members a channel keeps
	// besides the user. Without a bound a hostile or huge network would grow every
	// connection's copy of a channel without end, by NAMES lines and JOINs. The largest
	// public channels have a few thousand members; builtin:matrix keeps 5,000 as well
	// (matrix.max_members). Past it a later member is neither kept nor reported as a
	// participant, though its messages still arrive under its nick; the user is told once
	// per room, and the backend logs it (rooms.go, TestRoomMemberLimit).
	DefaultMaxRoomMembers = 5000
	plainPort             = 6667
	tlsPort               = 6697
)

// options are the service.irc_* keys, read once when the plugin is built.
type options struct {
	// servers is the irc_server list; empty selects per-room network mode.
	servers []serverAddr
	// identify is "TARGET message with $password and $name" sent after connect.
	identify string
	// sendPass sends the password as IRC PASS instead of identify and SASL.
	sendPass bool
	// awayTimeout is the WHO polling period per channel.
	awayTimeout time.Duration
	// maxRoomMembers is irc_max_room_members: the members a channel keeps besides the
	// user; 0 is DefaultMaxRoomMembers (roomMembers).
	maxRoomMembers int
	// allowed is service.allowed_servers: in per-room mode the only servers rooms may name
	// (none by default), and the addresses they may resolve to. irc_server needs no entry.
	allowed allow.List
	// tls verifies IRC servers' certificates (against irc_ca_file when set).
	tls *tls.Config
	// reactionFallback is the daemon's service.reaction_fallback ("error", "text",
	// "drop"), which this backend applies on a server without message tags (ircv3.go).
	reactionFallback string
}

// roomMembers is the members a channel keeps besides the user.
func (o *options) roomMembers() int {
	if o.maxRoomMembers <= 0 {
		return DefaultMaxRoomMembers
	}
	return o.maxRoomMembers
}

// serverAddr is one IRC server: host, port and whether to speak TLS.
type serverAddr struct {
	Host string
	Port int
	TLS  bool
}

func (s serverAddr) String() string {
	return s.Host + ":" + strconv.Itoa(s.Port)
}

// parseServer reads the irc_server syntax of libcommuni (ircnetworkplugin.cpp:95-110):
// "host", "host:port" or "host/port"; a port prefixed with "+", or 6697, means TLS.
func parseServer(s string) (serverAddr, error) {
	s = strings.TrimSpace(s)
	host, port, hasPort := strings.Cut(s, "/")
	if !hasPort {
		if i := strings.LastIndex(s, ":"); i >= 0 && !strings.Contains(s[:i], ":") {
			host, port, hasPort = s[:i], s[i+1:], true
		}
	}
	a := serverAddr{Host: host, Port: plainPort}
	if host == "" {
		return a, fmt.Errorf("irc: empty server in %q", s)
	}
	if !hasPort {
		return a, nil
	}
	if strings.HasPrefix(port, "+") {
		a.TLS = true
		port = port[1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return a, fmt.Errorf("irc: bad port in server %q", s)
	}
	a.Port = n
	if n == tlsPort {
		a.TLS = true
	}
	return a, nil
}

// readOptions reads the service.irc_* keys of cfg.
func readOptions(cfg *ini.File) (options, error) {
	o := options{identify: DefaultIdentify, awayTimeout: DefaultAwayTimeout}
	for _, s := range cfg.Values("service", "irc_server") {
		a, err := parseServer(s)
		if err != nil {
			return o, err
		}
		o.servers = append(o.servers, a)
	}
	if v, ok := cfg.Get("service", "irc_identify"); ok {
		o.identify = v
	}
	o.sendPass = cfg.Bool("service", "irc_send_pass", false)
	o.reactionFallback, _ = cfg.Get("service", "reaction_fallback")
	if v, ok := cfg.Get("service", "irc_away_timeout"); ok {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			return o, fmt.Errorf("irc: bad irc_away_timeout %q", v)
		}
		o.awayTimeout = time.Duration(secs * float64(time.Second))
	}
	if v, ok := cfg.Get("service", "irc_max_room_members"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return o, fmt.Errorf("irc: bad irc_max_room_members %q", v)
		}
		o.maxRoomMembers = n
	}
	allowed, err := allow.FromINI(cfg)
	if err != nil {
		return o, fmt.Errorf("irc: %w", err)
	}
	o.allowed = allowed
	tc, err := tlsConfig(cfg)
	if err != nil {
		return o, err
	}
	o.tls = tc
	return o, nil
}

// tlsConfig verifies certificates against the system roots, or only against
// service.irc_ca_file (PEM) for private servers.
func tlsConfig(cfg *ini.File) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	path, ok := cfg.Get("service", "irc_ca_file")
	if !ok || path == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("irc: irc_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("irc: irc_ca_file %s holds no PEM certificate", path)
	}
	tc.RootCAs = pool
	return tc, nil
}

// identifyMessage splits irc_identify into target and text with $password and $name
// substituted (session.cpp:172-181).
func identifyMessage(tmpl, name, password string) (target, text string) {
	target, text, _ = strings.Cut(strings.TrimSpace(tmpl), " ")
	text = strings.ReplaceAll(text, "$password", password)
	text = strings.ReplaceAll(text, "$name", name)
	return target, text
}
