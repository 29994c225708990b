package test

import (
	"io"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// The remote XMPP server of the XMPP backend tests: its domain and MUC service.
const (
	remoteDomain = "example.org"
	remoteMUC    = "conference.example.org"
)

// Prosody is the shared Prosody starter with go-xmpp logins for the test's own clients.
type Prosody struct {
	*testsrv.Prosody
	t *testing.T
}

// StartProsody runs Prosody for remoteDomain with a c2s (STARTTLS) port, a MUC component,
// a self-signed certificate in CAFile and the users (name, password pairs).
func StartProsody(t *testing.T, users ...string) *Prosody {
	t.Helper()
	p := testsrv.StartProsody(t, testsrv.ProsodyOptions{Domain: remoteDomain, MUC: remoteMUC, Users: users})
	return &Prosody{Prosody: p, t: t}
}

// Dial logs name@remoteDomain/resource in directly to Prosody with go-xmpp (the remote
// contact, or the user's own second client beside the gateway). A non-nil trace gets the
// raw XML sent and received, for payloads go-xmpp does not parse (vcard-temp:x:update).
func (p *Prosody) Dial(name, password, resource string, trace io.Writer) (*xmpp.Client, error) {
	o := xmpp.Options{
		Host:        p.Addr(),
		User:        name + "@" + remoteDomain,
		Password:    password,
		Resource:    resource,
		NoTLS:       true,
		StartTLS:    true,
		DialTimeout: 10 * time.Second,
		TLSConfig:   p.TLSConfig(),
		Debug:       trace != nil,
		DebugWriter: trace,
	}
	return o.NewClient()
}

// MustDial is Dial that fails the test on error; the client is closed at cleanup.
func (p *Prosody) MustDial(name, password, resource string) *xmpp.Client {
	p.t.Helper()
	return p.MustDialTraced(name, password, resource, nil)
}

// MustDialTraced is MustDial with a raw XML trace (see Dial).
func (p *Prosody) MustDialTraced(name, password, resource string, trace io.Writer) *xmpp.Client {
	p.t.Helper()
	c, err := p.Dial(name, password, resource, trace)
	if err != nil {
		p.t.Fatalf("direct login as %s: %v", name, err)
	}
	p.t.Cleanup(func() { CloseClient(p.t, c) })
	return c
}
