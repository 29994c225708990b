package c2s

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gospectrum/spectrum2/internal/certs"
)

// Names of the generated certificate files in Config.DataDir.
const (
	generatedCertName = "cert.pem"
	generatedKeyName  = "key.pem"
)

// loadCertificate loads the configured certificate, or the generated one (generating it
// the first time) when none is configured.
func loadCertificate(cfg Config) (*tls.Certificate, error) {
	switch {
	case cfg.CertFile != "":
		c, err := certs.Load(cfg.CertFile, cfg.KeyFile, cfg.CertPassword)
		if err != nil {
			return nil, fmt.Errorf("c2s: certificate: %w", err)
		}
		return c, nil
	case cfg.DataDir != "":
		return generatedCertificate(cfg.DataDir, cfg.Domain)
	}
	return nil, errors.New("c2s: no certificate configured and no data directory to generate one in")
}

// generatedCertificate loads DataDir/cert.pem and key.pem, generating them once.
func generatedCertificate(dir, domain string) (*tls.Certificate, error) {
	certFile := filepath.Join(dir, generatedCertName)
	keyFile := filepath.Join(dir, generatedKeyName)
	if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
		if err := generateCertificate(certFile, keyFile, domain); err != nil {
			return nil, err
		}
	}
	c, err := certs.Load(certFile, keyFile, "")
	if err != nil {
		return nil, fmt.Errorf("c2s: generated certificate: %w", err)
	}
	return c, nil
}

// generateCertificate writes a self-signed certificate for domain, valid for ten years.
func generateCertificate(certFile, keyFile, domain string) error {
	now := time.Now()
	p, err := certs.Generate(domain, now.Add(-time.Hour), now.AddDate(10, 0, 0))
	if err != nil {
		return fmt.Errorf("c2s: %w", err)
	}
	if err := p.Write(certFile, keyFile); err != nil {
		return fmt.Errorf("c2s: %w", err)
	}
	return nil
}

// Certificate returns the certificate in use (the start-up banner shows its names and
// fingerprint).
func (s *Server) Certificate() *tls.Certificate { return s.cert.Load() }
