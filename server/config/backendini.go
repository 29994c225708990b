package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/ini"
)

// BackendININame is the file name WriteBackendINI uses inside the directory it is given.
const BackendININame = "backend.cfg"

// iniEntry is one key spectrum2 writes into the backend INI file, with the TOML key it comes
// from (for problems).
type iniEntry struct {
	section, key, value, from string
}

// ownINI lists what spectrum2 itself writes, in Spectrum 2's names (spec 4.2, 4.3): backends
// load the file with Spectrum 2's Config class, so server_mode = 1 and working_dir are what
// libpurple and libcommuni look at. Passwords are deliberately absent: backends never need them.
func (c *Config) ownINI() []iniEntry {
	s := c.Service
	own := []iniEntry{
		{"service", "jid", s.JID, "service.jid"},
		{"service", "server_mode", "1", "service.server_mode"},
		{"service", "backend_host", s.BackendHost, "service.backend_host"},
		{"service", "working_dir", absPath(s.WorkingDir), "service.working_dir"},
		{"service", "users_per_backend", strconv.Itoa(s.UsersPerBackend), "service.users_per_backend"},
		{"service", "jid_escaping", iniBool(s.JIDEscaping), "service.jid_escaping"},
		// A backend that carries reactions only on some of its connections (builtin:irc: an
		// IRC server without message tags) applies the daemon's fallback itself there.
		{"service", "reaction_fallback", s.ReactionFallback, "service.reaction_fallback"},
		{"identity", "name", c.Identity.Name, "identity.name"},
		{"identity", "category", c.Identity.Category, "identity.category"},
		{"identity", "type", c.Identity.Type, "identity.type"},
		{"logging", "level", c.Logging.Level, "logging.level"},
		{"logging", "format", c.Logging.Format, "logging.format"},
		{"demo", "contacts", strconv.Itoa(c.Demo.Contacts), "demo.contacts"},
		{"demo", "slow_login_delay", formatDuration(c.Demo.SlowLoginDelay), "demo.slow_login_delay"},
		{"demo", "clock_period", formatDuration(c.Demo.ClockPeriod), "demo.clock_period"},
	}
	if len(s.AllowedServers) == 0 {
		// Always present, so that [backend_ini.service] cannot set it past the check.
		return append(own, iniEntry{allow.Section, allow.Key, "", "service.allowed_servers"})
	}
	for _, a := range s.AllowedServers { // a repeated key, as Spectrum 2 writes lists (spec 4.1)
		own = append(own, iniEntry{allow.Section, allow.Key, a, "service.allowed_servers"})
	}
	return own
}

// absPath makes a relative working_dir absolute: backends run inside it, so a relative path
// would be resolved a second time from there.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func iniBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// BackendINI returns the INI file every backend receives as its last argument (spec 2.2,
// 4.3): spectrum2's own keys followed by every [backend_ini.*] key. It never contains
// admin_password or cert_password.
func (c *Config) BackendINI() *ini.File {
	f := &ini.File{}
	for _, e := range c.ownINI() {
		f.Add(e.section, e.key, e.value)
	}
	for _, v := range c.BackendExtra {
		for _, s := range v.Values {
			f.Add(v.Section, v.Key, s)
		}
	}
	return f
}

// WriteBackendINI writes BackendINI to dir/backend.cfg with mode 0600 (creating dir with mode
// 0700 if missing) and returns the file's path. The file is replaced atomically so that a
// backend starting meanwhile never reads half of it.
func (c *Config) WriteBackendINI(dir string) (path string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("config: backend INI: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".backend-*.cfg") // mode 0600
	if err != nil {
		return "", fmt.Errorf("config: backend INI: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := c.BackendINI().WriteTo(tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("config: backend INI: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("config: backend INI: %w", err)
	}
	path = filepath.Join(dir, BackendININame)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("config: backend INI: %w", err)
	}
	return path, nil
}

// backendINI decodes [backend_ini.SECTION] tables.
func (d *decoder) backendINI(tbl map[string]any) {
	own := map[[2]string]bool{}
	for _, e := range d.cfg.ownINI() {
		own[[2]string{e.section, e.key}] = true
	}
	for _, sec := range sortedKeys(tbl) {
		keys, ok := tbl[sec].(map[string]any)
		if !ok {
			d.problem(fmt.Sprintf("must be a table [backend_ini.%s], not %s", sec, tomlType(tbl[sec])), "backend_ini", sec)
			continue
		}
		if msg := iniUnsafe(sec, true); msg != "" {
			d.problem(msg, "backend_ini", sec)
			continue
		}
		for _, key := range sortedKeys(keys) {
			d.backendKey(sec, key, keys[key], own)
		}
	}
}

func (d *decoder) backendKey(sec, key string, raw any, own map[[2]string]bool) {
	if own[[2]string{sec, key}] {
		d.problem(fmt.Sprintf("spectrum2 writes %s.%s itself; set it in its own section", sec, key), "backend_ini", sec, key)
		return
	}
	msg := iniUnsafe(key, true)
	vals, vmsg := iniValues(raw)
	if msg == "" {
		msg = vmsg
	}
	for _, v := range vals {
		if msg == "" {
			msg = iniUnsafe(v, false)
		}
	}
	if msg != "" {
		d.problem(msg, "backend_ini", sec, key)
		return
	}
	d.cfg.BackendExtra = append(d.cfg.BackendExtra, INIValue{Section: sec, Key: key, Values: vals})
}
