package xmpp

import (
	"context"
	"crypto/tls"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestLogin(t *testing.T) {
	p := startProsody(t, "alice", pass)
	d := startBackend(t, p)
	if !strings.Contains(d.Config, "needPassword = 1") || !strings.Contains(d.Config, "muc = 1") {
		t.Errorf("BACKEND_CONFIG %q", d.Config)
	}
	login(t, d)
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr(alice)})
	d.Handshake() // no DISCONNECTED after a logout
	if err := d.Exit(); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPassword(t *testing.T) {
	p := startProsody(t, "alice", pass)
	d := startBackend(t, p)
	d.Login(user, alice, "wrong")
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetUser() != user || m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) ||
		m.GetMessage() == "" || strings.Contains(m.GetMessage(), "wrong") {
		t.Errorf("DISCONNECTED %v", m)
	}
	t.Logf("server's text: %q", m.GetMessage())
}

func TestUntrustedCertificate(t *testing.T) {
	p := startProsody(t, "alice", pass)
	cfg := p.config(t)
	cfg.roots = nil // the system roots only: the test CA is unknown
	cfg.CAFile = ""
	cfg.loadRoots()
	d := startBackendWith(t, cfg)
	d.Login(user, alice, pass)
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_CERT_UNTRUSTED) {
		t.Errorf("DISCONNECTED %v", m)
	}
}

func TestDirectTLS(t *testing.T) {
	p := startProsody(t, "alice", pass)
	cfg := p.config(t)
	cfg.DirectTLS = true
	cfg.Server = p.TLSAddr()
	d := startBackendWith(t, cfg)
	login(t, d)
}

func TestServerRestart(t *testing.T) {
	p := startProsody(t, "alice", pass)
	d := startBackend(t, p)
	login(t, d)
	p.Stop()
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetUser() != user || m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR) {
		t.Errorf("DISCONNECTED %v", m)
	}
	t.Logf("lost: %q", m.GetMessage())
	p.Start()
	login(t, d) // the daemon's re-login (spec 3.4)
}

// TestUnresponsiveServer: a server that stops answering (SIGSTOP) is noticed by the
// keepalive ping and reported as a network error.
func TestUnresponsiveServer(t *testing.T) {
	p := startProsody(t, "alice", pass)
	cfg := p.config(t)
	cfg.PingInterval = 500 * time.Millisecond
	d := startBackendWith(t, cfg)
	login(t, d)
	p.Signal(syscall.SIGSTOP)
	defer p.Signal(syscall.SIGCONT)
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR) {
		t.Errorf("DISCONNECTED %v", m)
	}
}

// TestResourceConflict: another client that takes the gateway's resource ends the
// session for good (NAME_IN_USE), so the daemon does not fight it with re-logins.
func TestResourceConflict(t *testing.T) {
	p := startProsody(t, "alice", pass)
	d := startBackend(t, p)
	login(t, d)
	connectPeer(t, p, "alice", pass, DefaultResource)
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_NAME_IN_USE) {
		t.Errorf("DISCONNECTED %v", m)
	}
}

// TestChannelBinding: over TLS 1.2 Prosody offers SCRAM-SHA-1-PLUS with tls-unique, and
// the login binds to the channel; a wrong password still fails.
func TestChannelBinding(t *testing.T) {
	p := startProsody(t, "alice", pass)
	cfg := p.config(t)
	cfg.maxTLS = tls.VersionTLS12
	c, err := connect(context.Background(), cfg, account{local: "alice", domain: domain, resource: "cb", password: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if c.mech != "SCRAM-SHA-1-PLUS" {
		t.Errorf("signed in with %s", c.mech)
	}
	_, err = connect(context.Background(), cfg, account{local: "alice", domain: domain, resource: "cb2", password: "nope"})
	if code, _ := failure(err); code != pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED {
		t.Errorf("wrong password: %v", err)
	}
}
