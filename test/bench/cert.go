package bench

import (
	"bytes"
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
	"time"
)

// WriteCert generates a self-signed ECDSA P-256 certificate for localhost (the cheapest
// signature for the server, see PERFORMANCE.md) into dir/cert.pem and dir/key.pem and returns
// the paths and the certificate.
func WriteCert(dir string) (certPath, keyPath string, cert *x509.Certificate, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", nil, fmt.Errorf("generating the key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", nil, fmt.Errorf("creating the certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", nil, fmt.Errorf("encoding the key: %w", err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", nil, fmt.Errorf("writing the certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", nil, fmt.Errorf("writing the key: %w", err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		return "", "", nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	return certPath, keyPath, cert, nil
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
