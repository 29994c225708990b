package bench

import (
	"crypto/tls"
	"testing"
)

// TestClientTLSPinsTheBenchCertificate: a server presenting the bench certificate is
// accepted, one presenting another certificate for the same name is not.
func TestClientTLSPinsTheBenchCertificate(t *testing.T) {
	certPath, keyPath, cert, err := WriteCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	otherCert, otherKey, _, err := WriteCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, cert, key string
		ok              bool
	}{{"bench", certPath, keyPath, true}, {"other", otherCert, otherKey, false}} {
		if err := handshake(c.cert, c.key, ClientTLS(cert, nil)); (err == nil) != c.ok {
			t.Errorf("%s certificate: handshake error %v", c.name, err)
		}
	}
}

// handshake serves one TLS handshake with the key pair on loopback and dials it with client.
func handshake(certPath, keyPath string, client *tls.Config) error {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		if conn, err := ln.Accept(); err == nil {
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err != nil {
		return err
	}
	return conn.Close()
}
