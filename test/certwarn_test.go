package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/certs"
)

// TestStartWarnsOfExpiringCertificate: what config check warns about is also logged at
// start, for operators who never run config check.
func TestStartWarnsOfExpiringCertificate(t *testing.T) {
	dir := t.TempDir()
	p, err := certs.Generate("localhost", time.Now().Add(-time.Hour), time.Now().Add(3*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := p.Write(cert, key); err != nil {
		t.Fatal(err)
	}
	s := StartServer(t, fmt.Sprintf("cert = %q\nkey = %q\n", cert, key))
	l := s.Log()
	if !strings.Contains(l, `"message":"configuration warning"`) || !strings.Contains(l, "service.cert: warning: the certificate expires on ") {
		t.Errorf("no warning of the expiring certificate in the log:\n%s", tail(l, 20))
	}
}
