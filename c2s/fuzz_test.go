package c2s

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// fuzzAuth accepts alice/secret and discards every stanza.
type fuzzAuth struct{}

func (fuzzAuth) Authenticate(_ context.Context, user jid.JID, password string) (Grant, error) {
	if user.Localpart() != "alice" || password != "secret" {
		return nil, &AuthError{Condition: "not-authorized"}
	}
	return fuzzAuth{}, nil
}
func (fuzzAuth) Bind(*Session) (SessionHandler, error) { return fuzzAuth{}, nil }
func (fuzzAuth) Release()                              {}
func (fuzzAuth) HandleStanza(*xmpp.Element)            {}
func (fuzzAuth) Closed([]*xmpp.Element)                {}

// FuzzNegotiation feeds arbitrary bytes to a connection in negotiation (encryption not
// required, so SASL and bind are reachable without TLS): no panic, no hang.
func FuzzNegotiation(f *testing.F) {
	h := header(testDomain)
	auth := `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` + plain("", "alice", "secret") + `</auth>`
	bind := `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`
	for _, seed := range []string{
		h,
		h + `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`,
		h + auth + h + bind + `<message to='b@` + testDomain + `'><body>x</body></message></stream:stream>`,
		h + `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/><response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</response>`,
		h + auth + h + `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq><iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`,
		"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
		"\x00\xff<stream:stream",
	} {
		f.Add([]byte(seed))
	}
	s, err := New(Config{
		Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, DataDir: f.TempDir(),
		NegotiationTimeout: 2 * time.Second, LoginTimeout: time.Second, PingInterval: time.Second,
		Log: zerolog.Nop(),
	}, fuzzAuth{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.closeListeners)
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		c := s.handle(context.Background(), server, false)
		go func() { _, _ = io.Copy(io.Discard, client) }()
		_, _ = client.Write(data)
		_ = client.Close()
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			t.Fatalf("connection hangs on %q", data)
		}
	})
}
