package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gospectrum/spectrum2/internal/certs"
	"github.com/gospectrum/spectrum2/pluginserver"
)

// certExpiryWarning: a certificate that expires within this time gets a warning, early
// enough to renew it before clients refuse it.
const certExpiryWarning = 14 * 24 * time.Hour

// checkFiles checks what the configuration names on disk as the daemon will use it: the
// backend executable and the certificate. Load and Check run it after validate; parse
// alone does not, so that tests of the syntax and the fuzzer need no files.
func (d *decoder) checkFiles(now time.Time) {
	d.checkBackendExecutable()
	d.checkCertificate(now)
}

// checkBackendExecutable finds an external backend that cannot start: a path that does
// not exist, is not a file or is not executable (relative paths are relative to
// working_dir, where the backends run).
func (d *decoder) checkBackendExecutable() {
	s := d.cfg.Service
	if strings.HasPrefix(s.Backend, "builtin:") || d.has("service.backend") {
		return
	}
	path, err := pluginserver.Executable(s.Backend, s.WorkingDir)
	if err != nil {
		d.problem(err.Error(), "service", "backend")
		return
	}
	if msg := notExecutable(path); msg != "" {
		d.problem(msg, "service", "backend")
	}
}

// xOK is access(2)'s X_OK.
const xOK = 1

func notExecutable(path string) string {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "cannot run " + path + ": " + errText(err)
	case !fi.Mode().IsRegular():
		return "cannot run " + path + ": not a file"
	case syscall.Access(path, xOK) != nil:
		return "cannot run " + path + ": not executable (chmod +x, or check its owner)"
	}
	return ""
}

// checkCertificate loads the configured certificate as c2s will and refuses one that
// cannot work: a file without a certificate, a key of another certificate, names that do
// not cover service.jid. One that is expired or expires soon gets a warning. A generated
// certificate (no cert configured) is not checked: it is made for service.jid.
func (d *decoder) checkCertificate(now time.Time) {
	s := d.cfg.Service
	if s.Cert == "" || d.has("service.cert") || d.has("service.key") || d.has("service.cert_password") {
		return
	}
	c, err := certs.Load(s.Cert, s.Key, s.CertPassword)
	if err != nil {
		key := "cert"
		if s.Key != "" && (errors.Is(err, certs.ErrNoKey) || errors.Is(err, certs.ErrKeyMismatch)) {
			key = "key"
		}
		msg := err.Error()
		if pe, ok := errors.AsType[*os.PathError](err); ok {
			msg = "cannot read " + pe.Path + ": " + pe.Err.Error()
		}
		d.problem(msg, "service", key)
		return
	}
	if !d.has("service.jid") {
		if err := certs.CheckName(c.Leaf, s.JID); err != nil {
			d.problem(fmt.Sprintf("%v: every client will fail to verify it", err), "service", "cert")
		}
	}
	if msg := certs.Expiry(c.Leaf, now, certExpiryWarning); msg != "" {
		d.warn(msg, "service", "cert")
	}
}
