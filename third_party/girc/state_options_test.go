package girc

// spectrum2: the server's options are interned and shared by the connections.

import (
	"fmt"
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

// TestServerOptionsBound: a server that sends more ISUPPORT tokens than maxServerOptions
// gets the first ones kept and the rest ignored; a name already kept still takes a new
// value.
func TestServerOptionsBound(t *testing.T) {
	c := New(Config{Server: "irc.test", Nick: "me", User: "me"})
	const sent = maxServerOptions + 44
	for i := 0; i < sent; i += 10 {
		line := ":irc.test 005 me"
		for j := i; j < i+10 && j < sent; j++ {
			line += fmt.Sprintf(" OPT%d=%d", j, j)
		}
		handleISUPPORT(c, *ParseEvent(line + " :are supported by this server\r\n"))
	}
	if n := len(c.state.serverOptions); n != maxServerOptions {
		t.Fatalf("%d options kept of %d sent, want %d", n, sent, maxServerOptions)
	}
	if v, ok := c.GetServerOption("OPT0"); !ok || v != "0" {
		t.Errorf("OPT0: %q, %v", v, ok)
	}
	last := fmt.Sprintf("OPT%d", maxServerOptions-1)
	if _, ok := c.GetServerOption(last); !ok {
		t.Errorf("%s, the last within the bound: not kept", last)
	}
	if _, ok := c.GetServerOption(fmt.Sprintf("OPT%d", maxServerOptions)); ok {
		t.Error("the first option past the bound was kept")
	}
	handleISUPPORT(c, *ParseEvent(":irc.test 005 me OPT0=new NICKLEN=30 :are supported by this server\r\n"))
	if v, _ := c.GetServerOption("OPT0"); v != "new" {
		t.Errorf("OPT0 after a new value: %q, want new", v)
	}
	if _, ok := c.GetServerOption("NICKLEN"); ok || len(c.state.serverOptions) != maxServerOptions {
		t.Errorf("a new name past the bound was kept (%d options)", len(c.state.serverOptions))
	}
}
