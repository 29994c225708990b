package server

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/logging"
	"github.com/gospectrum/spectrum2/server/config"
)

// levelFilter is the run-time log level: a zerolog sampler that refuses events below it,
// so that SIGHUP can change the level of every child logger already handed out. A sampler
// (unlike a hook) is asked before the event is built, so a discarded debug line costs no
// allocation and none of its fields are formatted.
type levelFilter struct{ lvl atomic.Int32 }

func newLevelFilter(level string) *levelFilter {
	f := &levelFilter{}
	lvl, err := logging.ParseLevel(level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	f.lvl.Store(int32(lvl))
	return f
}

// Sample implements zerolog.Sampler.
func (f *levelFilter) Sample(level zerolog.Level) bool {
	return level >= zerolog.Level(f.lvl.Load()) || level == zerolog.NoLevel
}

// reloader re-reads the configuration file on SIGHUP and on the admin command reload
// (spec 4.1: Spectrum 2 re-reads the file; most of its components read values on use).
// What can change at run time is applied: the certificate (files re-read even when the
// paths are the same), logging.level and the administrators; other changed options are
// named as needing a restart.
type reloader struct {
	path  string
	cs    *c2s.Server
	level *levelFilter
	log   zerolog.Logger
	// setAdmins replaces service.admin_jid and admin_password (admin.Admin.SetAdmins); nil: not reloadable.
	setAdmins func(jids []string, password string)

	mu  sync.Mutex
	cur *config.Config // the last configuration read: what the reloadable options are now
	// started is the configuration the daemon runs with for the options that need a
	// restart (cur before the first reload): a key changed by an earlier reload still
	// needs the restart at the next one.
	started *config.Config
}

// reload re-reads the file and applies it; the error says what failed (the running
// configuration is then unchanged, except for a certificate that was reloaded).
func (rl *reloader) reload() error {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.path == "" {
		return errors.New("the configuration was not loaded from a file")
	}
	next, err := config.Load(rl.path)
	if err != nil {
		rl.log.Error().Err(err).Msg("reload: configuration not reloaded")
		return fmt.Errorf("reading %s: %w", rl.path, err)
	}
	if rl.started == nil {
		rl.started = rl.cur
	}
	if err := rl.cs.ReloadCertificate(); err != nil {
		rl.log.Error().Err(err).Msg("reload: certificate not reloaded")
		return fmt.Errorf("certificate: %w", err)
	}
	var applied, restart []string
	for _, k := range changedKeys(rl.cur, next) {
		switch {
		case k == "logging.level":
			lvl, _ := logging.ParseLevel(next.Logging.Level) // Load checked it
			rl.level.lvl.Store(int32(lvl))
		case rl.adminKey(k):
			rl.setAdmins(next.Service.AdminJID, next.Service.AdminPassword)
		default:
			continue
		}
		applied = append(applied, k)
	}
	// Compared with what runs, not with the last file: a key changed two reloads ago
	// still waits for the restart, and one changed back does not.
	for _, k := range changedKeys(rl.started, next) {
		if k != "logging.level" && !rl.adminKey(k) {
			restart = append(restart, k)
		}
	}
	rl.log.Info().Strs("applied", applied).Strs("need_restart", restart).Msg("reload: certificate reloaded")
	rl.cur = next
	return nil
}

// adminKey reports whether k is an administrator option that reload applies.
func (rl *reloader) adminKey(k string) bool {
	return (k == "service.admin_jid" || k == "service.admin_password") && rl.setAdmins != nil
}

// changedKeys lists the section.key options that differ between a and b.
func changedKeys(a, b *config.Config) []string {
	var out []string
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range va.NumField() {
		sec := va.Type().Field(i).Tag.Get("toml")
		fa, fb := va.Field(i), vb.Field(i)
		if fa.Kind() != reflect.Struct {
			if sec != "-" && !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
				out = append(out, sec)
			}
			continue
		}
		for j := range fa.NumField() {
			if !reflect.DeepEqual(fa.Field(j).Interface(), fb.Field(j).Interface()) {
				out = append(out, sec+"."+fa.Type().Field(j).Tag.Get("toml"))
			}
		}
	}
	slices.Sort(out)
	return out
}
