package c2s

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
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
	case cfg.CertFile != "" && isPKCS12(cfg.CertFile):
		return loadPKCS12(cfg.CertFile, cfg.CertPassword)
	case cfg.CertFile != "":
		keyFile := cfg.KeyFile
		if keyFile == "" {
			keyFile = cfg.CertFile // a PEM file holding both
		}
		c, err := tls.LoadX509KeyPair(cfg.CertFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("c2s: certificate %s: %w", cfg.CertFile, err)
		}
		return &c, nil
	case cfg.DataDir != "":
		return generatedCertificate(cfg.DataDir, cfg.Domain)
	}
	return nil, errors.New("c2s: no certificate configured and no data directory to generate one in")
}

func isPKCS12(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".p12" || ext == ".pfx"
}

// loadPKCS12 opens a PKCS#12 bundle with its chain. go-pkcs12 rather than
// golang.org/x/crypto/pkcs12: the latter cannot read the AES (PBES2) bundles that current
// OpenSSL writes by default. The password is never part of an error text.
func loadPKCS12(name, password string) (*tls.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("c2s: certificate: %w", err)
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("c2s: certificate %s: cannot open the PKCS#12 bundle (wrong password or format)", name)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
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
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("c2s: generated certificate: %w", err)
	}
	return &c, nil
}

// generateCertificate writes a self-signed ECDSA P-256 certificate for domain: ECDSA
// because an RSA handshake costs about three times as much CPU (PERFORMANCE.md).
func generateCertificate(certFile, keyFile, domain string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("c2s: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("c2s: generate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: domain},
		DNSNames:              []string{domain},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("c2s: generate certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("c2s: encode key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("c2s: %w", err)
	}
	// The key first: a cert.pem without its key would never be regenerated.
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return err
	}
	return writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// writeFileAtomic writes data with mode 0600 through a temporary file and a rename.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name))
	if err != nil {
		return fmt.Errorf("c2s: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("c2s: write %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("c2s: %w", err)
	}
	return nil
}
