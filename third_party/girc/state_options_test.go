package girc

// spectrum2: the server's options are interned and shared by the connections.

import (
	"testing"
	"unsafe"
)

// TestServerOptionsShared: two connections that got the same ISUPPORT line answer the same
// options from one copy of each value, which is not a piece of the line.
func TestServerOptionsShared(t *testing.T) {
	line := ":irc.test 005 me CHANTYPES=# NICKLEN=30 SAFELIST :are supported by this server\r\n"
	var got [2]string
	for i := range got {
		c := New(Config{Server: "irc.test", Nick: "me", User: "me"})
		e := ParseEvent(line)
		handleISUPPORT(c, *e)
		v, ok := c.GetServerOption("NICKLEN")
		if !ok || v != "30" {
			t.Fatalf("NICKLEN: %q, %v", v, ok)
		}
		if v, ok := c.GetServerOption("SAFELIST"); !ok || v != "" {
			t.Errorf("SAFELIST: %q, %v", v, ok)
		}
		if _, ok := c.GetServerOption("CASEMAPPING"); ok {
			t.Error("CASEMAPPING: set, but not sent")
		}
		if n, ok := c.GetServerOptionInt("NICKLEN"); !ok || n != 30 {
			t.Errorf("NICKLEN as int: %d, %v", n, ok)
		}
		if e.Params[2] != "NICKLEN=30" {
			t.Fatalf("the line parsed unexpectedly: %q", e.Params)
		}
		if unsafe.StringData(v) == unsafe.StringData(e.Params[2][len("NICKLEN="):]) {
			t.Error("the value is a piece of the line, which it keeps alive")
		}
		got[i] = v
	}
	if unsafe.StringData(got[0]) != unsafe.StringData(got[1]) {
		t.Error("the two connections hold a copy each")
	}
}
