package bench

import (
	"bytes"
	"net"
	"testing"
)

// recConn records writes; nothing else of net.Conn is used by SendStanzas and resend.
type recConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recConn) Write(b []byte) (int, error) { return c.buf.Write(b) }

// TestResendAfterResumed: after <resumed h='...'/>, exactly the writes the server's h does
// not cover go out again (XEP-0198 section 5).
func TestResendAfterResumed(t *testing.T) {
	c := &recConn{}
	s := &Session{conn: c}
	s.sm.on.Store(true)
	for _, m := range []string{"<a1/>", "<b2/>", "<c3/>"} {
		if err := s.SendStanzas([]byte(m), 1); err != nil {
			t.Fatal(err)
		}
	}
	c.buf.Reset()
	if err := s.resend(1); err != nil {
		t.Fatal(err)
	}
	if got := c.buf.String(); got != "<b2/><c3/>" {
		t.Errorf("resent %q, want <b2/><c3/>", got)
	}
}

// TestCountsStanzasOnly: h counts stanzas after <enabled/>, not nonzas.
func TestCountsStanzasOnly(t *testing.T) {
	var sm smClient
	sm.count([]byte("<message/>"))
	sm.on.Store(true)
	for _, el := range []string{"<message/>", "<r xmlns='urn:xmpp:sm:3'/>", "<iq type='get'/>", "<presence/>"} {
		sm.count([]byte(el))
	}
	if h := sm.h.Load(); h != 3 {
		t.Errorf("h = %d, want 3", h)
	}
}
