package matrix

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/ini"
)

// Defaults of the [matrix] keys.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultSyncTimeout    = 30 * time.Second
	// DefaultMaxRooms and DefaultMaxMembers bound the group-chat state kept per user.
	DefaultMaxRooms   = 256
	DefaultMaxMembers = 5000
	// maxBackoff caps the wait between failed syncs.
	maxBackoff = 60 * time.Second
)

// Config is what the backend reads from the [matrix] section of the backend's INI file.
type Config struct {
	// Homeserver (matrix.homeserver) is the client-server API base URL used for every
	// server name instead of .well-known discovery.
	Homeserver string
	// ConnectTimeout (matrix.connect_timeout) bounds discovery and login.
	ConnectTimeout time.Duration
	// SyncTimeout (matrix.sync_timeout) is the /sync long-poll's timeout.
	SyncTimeout time.Duration
	// Allowed is service.allowed_servers (see backend/allow).
	Allowed allow.List
	// MaxUsers bounds how many users the backend holds; 0 is backend.DefaultMaxUsers.
	MaxUsers int
	// MaxRooms (matrix.max_rooms) bounds the rooms a user has joined through the gateway
	// at once; a join past it is refused.
	MaxRooms int
	// MaxMembers (matrix.max_members) bounds the members kept per joined room: later
	// members are not occupants (their messages come under their user IDs).
	MaxMembers int
}

// ParseConfig reads the [matrix] section of cfg (nil for defaults).
func ParseConfig(cfg *ini.File) (Config, error) {
	if cfg == nil {
		cfg = &ini.File{}
	}
	get := func(k string) string { v, _ := cfg.Get("matrix", k); return strings.TrimSpace(v) }
	c := Config{
		Homeserver:     strings.TrimRight(get("homeserver"), "/"),
		ConnectTimeout: duration(get("connect_timeout"), DefaultConnectTimeout),
		SyncTimeout:    duration(get("sync_timeout"), DefaultSyncTimeout),
		MaxRooms:       count(get("max_rooms"), DefaultMaxRooms),
		MaxMembers:     count(get("max_members"), DefaultMaxMembers),
	}
	var errURL error
	if c.Homeserver != "" {
		u, err := url.Parse(c.Homeserver)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errURL = fmt.Errorf("matrix: homeserver %q is not an http(s) URL", c.Homeserver)
			c.Homeserver = ""
		}
	}
	var errAllowed error
	c.Allowed, errAllowed = allow.FromINI(cfg)
	return c.withDefaults(), errors.Join(errURL, errAllowed)
}

func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = DefaultSyncTimeout
	}
	if c.MaxRooms <= 0 {
		c.MaxRooms = DefaultMaxRooms
	}
	if c.MaxMembers <= 0 {
		c.MaxMembers = DefaultMaxMembers
	}
	return c
}

// duration reads a Go duration ("1.5s") or a number of seconds.
func duration(v string, def time.Duration) time.Duration {
	if v == "" {
		return def
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return def
}

// count reads a positive integer; anything else is def.
func count(v string, def int) int {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n
	}
	return def
}
