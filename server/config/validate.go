package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// substituteJID replaces $jid in path options by service.jid, as Spectrum 2 does for every
// registered string option (spec 4.1), so that one file can serve several gateways.
func (d *decoder) substituteJID() {
	s := &d.cfg.Service
	for _, p := range []*string{&s.DataDir, &s.WorkingDir, &s.Portfile, &s.Cert, &s.Key} {
		*p = strings.ReplaceAll(*p, "$jid", s.JID)
	}
}

// validate checks what involves several options, after every option was decoded.
func (d *decoder) validate() {
	s := d.cfg.Service
	if s.JID == "" && !d.has("service.jid") {
		d.problem(checkDomain(""), "service", "jid")
	}
	d.validateTLS()
	d.validateCluster()
	d.validateStorage()
	d.validateUpload()
	if s.Port == s.TLSPort {
		d.problem("tls_port must differ from port", "service", "tls_port")
	}
	if l := d.cfg.Limits; l.BackendQueueBytes < l.MaxStanzaBytes && !d.has("limits.backend_queue_bytes") {
		// A message of max_stanza_bytes would never fit the backend's queue.
		d.problem("backend_queue_bytes must be at least max_stanza_bytes", "limits", "backend_queue_bytes")
	}
	if len(s.AdminJID) == 0 && s.AdminPassword != "" {
		d.problem("admin_password is set but admin_jid is empty", "service", "admin_password")
	}
	for _, e := range d.cfg.ownINI() {
		if msg := iniUnsafe(e.value, false); msg != "" {
			sec, key, _ := strings.Cut(e.from, ".")
			d.problem(msg+" (it is passed to backends)", sec, key)
		}
	}
}

// has reports whether a problem was already found with key.
func (d *decoder) has(key string) bool {
	for _, p := range d.problems {
		if p.Key == key {
			return true
		}
	}
	return false
}

// validateTLS checks the certificate options: a PEM certificate needs its key, a PKCS#12
// bundle (.p12/.pfx) carries its own and may have a password.
func (d *decoder) validateTLS() {
	s := d.cfg.Service
	p12 := isPKCS12(s.Cert)
	switch {
	case s.Cert == "" && s.Key != "":
		d.problem("key without cert", "service", "key")
	case s.Cert != "" && !p12 && s.Key == "":
		d.problem("a PEM cert needs key (or use a .p12/.pfx file)", "service", "cert")
	case p12 && s.Key != "":
		d.problem("not used with a PKCS#12 cert, which holds its key", "service", "key")
	}
	if s.CertPassword != "" && !p12 {
		d.problem("only used with a PKCS#12 cert (.p12/.pfx)", "service", "cert_password")
	}
	for _, f := range []struct{ key, path string }{{"cert", s.Cert}, {"key", s.Key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			d.problem("cannot use "+f.path+": "+errText(err), "service", f.key)
		}
	}
}

// IsPKCS12 reports whether service.cert names a PKCS#12 bundle, by its extension.
func (c *Config) IsPKCS12() bool { return isPKCS12(c.Service.Cert) }

func isPKCS12(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".p12", ".pfx":
		return true
	}
	return false
}

// errText is the reason of a path error without repeating the path.
func errText(err error) string {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
