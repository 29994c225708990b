package certs

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// The reasons Load refuses a certificate, for callers that name the option at fault.
var (
	ErrNoCertificate = errors.New("holds no certificate")
	ErrNoKey         = errors.New("holds no private key")
	ErrKeyMismatch   = errors.New("key and certificate do not belong together")
	ErrPKCS12        = errors.New("cannot open the PKCS#12 bundle (wrong password or format)")
)

// maxFile bounds what Load reads: a certificate chain is a few kilobytes, and a path such
// as /dev/zero must not make it read forever.
const maxFile = 1 << 20

// IsPKCS12 reports whether name is a PKCS#12 bundle (.p12/.pfx), by its extension.
func IsPKCS12(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".p12" || ext == ".pfx"
}

// Load reads a PEM certificate chain from certFile and its private key from keyFile ("":
// certFile holds both), or, when certFile is a PKCS#12 bundle, the bundle opened with
// password. The Leaf of the result is set. A PEM file without a certificate, a key file
// without a key and a key that is not the certificate's are refused with ErrNoCertificate,
// ErrNoKey and ErrKeyMismatch. The password is never part of an error.
func Load(certFile, keyFile, password string) (*tls.Certificate, error) {
	if IsPKCS12(certFile) {
		return loadPKCS12(certFile, password)
	}
	if keyFile == "" {
		keyFile = certFile
	}
	certPEM, err := readFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readFile(keyFile)
	if err != nil {
		return nil, err
	}
	leaf, err := parseLeaf(certFile, certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyFile, keyPEM)
	if err != nil {
		return nil, err
	}
	if !belong(leaf.PublicKey, key) {
		return nil, fmt.Errorf("%w: %s is not the key of %s", ErrKeyMismatch, keyFile, certFile)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM) // what crypto/tls itself accepts
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	return &c, nil
}

// loadPKCS12 opens a PKCS#12 bundle with its chain. go-pkcs12 rather than
// golang.org/x/crypto/pkcs12: the latter cannot read the AES (PBES2) bundles that current
// OpenSSL writes by default.
func loadPKCS12(name, password string) (*tls.Certificate, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, err
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, ErrPKCS12)
	}
	if !belong(leaf.PublicKey, key) {
		return nil, fmt.Errorf("%w: the key in %s is not the certificate's", ErrKeyMismatch, name)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}

// readFile reads a regular file of at most maxFile bytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxFile)
	}
	return data, nil
}

// parseLeaf returns the first certificate of a PEM file.
func parseLeaf(name string, data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, fmt.Errorf("%s %w", name, ErrNoCertificate)
		}
		if b.Type == "CERTIFICATE" {
			leaf, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: cannot parse the certificate: %w", name, err)
			}
			return leaf, nil
		}
	}
}

// parseKey returns the first private key of a PEM file, in any of the encodings crypto/tls
// reads.
func parseKey(name string, data []byte) (crypto.PrivateKey, error) {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, fmt.Errorf("%s %w", name, ErrNoKey)
		}
		var key crypto.PrivateKey
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%s: the private key is encrypted; spectrum2 needs it unencrypted", name)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot parse the private key: %w", name, err)
		}
		return key, nil
	}
}

// belong reports whether key is the private half of pub.
func belong(pub crypto.PublicKey, key crypto.PrivateKey) bool {
	s, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	p, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && p.Equal(s.Public())
}
