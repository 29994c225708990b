package bench

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gospectrum/spectrum2/internal/certs"
)

// WriteCert generates a self-signed ECDSA P-256 certificate for localhost (the cheapest
// signature for the server, see PERFORMANCE.md), valid for a week, into dir/cert.pem and
// dir/key.pem and returns the paths and the certificate.
func WriteCert(dir string) (certPath, keyPath string, cert *x509.Certificate, err error) {
	now := time.Now()
	p, err := certs.Generate("localhost", now.Add(-time.Hour), now.Add(7*24*time.Hour))
	if err != nil {
		return "", "", nil, err
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := p.Write(certPath, keyPath); err != nil {
		return "", "", nil, fmt.Errorf("writing the certificate: %w", err)
	}
	return certPath, keyPath, p.Leaf, nil
}

// ClientTLS is the generator's TLS configuration: TLS 1.3 only, no session resumption (every
// login pays a full handshake), and the key exchanges in curves (nil: Go's default). The
// server must present exactly cert: pinning it spares the generator building and verifying a
// chain, while the handshake signature is still checked by crypto/tls.
func ClientTLS(cert *x509.Certificate, curves []tls.CurveID) *tls.Config {
	return &tls.Config{
		ServerName:         "localhost",
		MinVersion:         tls.VersionTLS13,
		CurvePreferences:   curves,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, cert.Raw) {
				return errors.New("bench: the server's certificate is not the bench certificate")
			}
			return nil
		},
	}
}
