package cluster

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// prosody is the shared Prosody starter.
type prosody = testsrv.Prosody

var freePort = testsrv.FreePortOn

// startProsody runs Prosody for domain on ip with c2s (STARTTLS) and direct TLS ports,
// serving the given certificate (which need not be for domain: tests of name verification
// serve a wrong one); debug logging helps when a probe fails.
func startProsody(t *testing.T, ip, domain string, certPEM, keyPEM []byte) *prosody {
	t.Helper()
	return testsrv.StartProsody(t, testsrv.ProsodyOptions{
		IP: ip, Domain: domain, DirectTLS: true, CertPEM: certPEM, KeyPEM: keyPEM, DebugLog: true,
	})
}
