package c2s

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	goxmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// TestRealClient logs a real client library in over STARTTLS and over direct TLS
// (XEP-0368), sends a message to the router and receives one from it.
func TestRealClient(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, nil)
	cases := []struct {
		name     string
		addr     string
		startTLS bool
	}{
		{"STARTTLS", s.startTLSAddr(), true},
		{"direct TLS", s.directTLSAddr(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := goxmpp.Options{
				Host:        tc.addr,
				User:        "alice@" + testDomain,
				Password:    "secret",
				Resource:    "gotest",
				NoTLS:       tc.startTLS,
				StartTLS:    tc.startTLS,
				Mechanism:   "PLAIN",
				DialTimeout: 20 * time.Second,
				TLSConfig:   &tls.Config{ServerName: testDomain, RootCAs: s.certPool(t), MinVersion: tls.VersionTLS12},
			}
			cl, err := opts.NewClient()
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			sess := recv(t, a.binds, "Bind")
			if sess.JID().String() != "alice@"+testDomain+"/gotest" {
				t.Errorf("bound %s", sess.JID())
			}
			if _, err := cl.Send(goxmpp.Chat{Remote: "bob@" + testDomain, Type: "chat", Text: "hello"}); err != nil {
				t.Fatal(err)
			}
			el := waitStanza(t, a, "message")
			if el.From() != "alice@"+testDomain+"/gotest" || el.ChildText(xmpp.NSClient, "body") != "hello" {
				t.Errorf("router got %s", el)
			}
			err = sess.Send(xmpp.New(xmpp.NSClient, "message", "from", "bob@"+testDomain, "to", sess.JID().String(), "type", "chat").
				Append(xmpp.New(xmpp.NSClient, "body").AppendText("hi back")))
			if err != nil {
				t.Fatal(err)
			}
			// go-xmpp's Close must not run concurrently with Recv: the reader stops after
			// the first chat message.
			got := make(chan goxmpp.Chat, 1)
			go func() {
				defer close(got)
				for {
					st, err := cl.Recv()
					if err != nil {
						return
					}
					if c, ok := st.(goxmpp.Chat); ok && c.Text != "" {
						got <- c
						return
					}
				}
			}()
			c := recv(t, got, "message at the client")
			if c.Text != "hi back" || !strings.HasPrefix(c.Remote, "bob@"+testDomain) {
				t.Errorf("client got %+v", c)
			}
			_ = cl.Close()
			recv(t, a.handler.closed, "Closed")
		})
	}
}

// waitStanza skips what the client sends on its own (initial presence) until local arrives.
func waitStanza(t *testing.T, a *testAuth, local string) *xmpp.Element {
	t.Helper()
	for {
		el := recv(t, a.handler.stanzas, local)
		if el.Local == local {
			return el
		}
	}
}
