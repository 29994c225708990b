package allow_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend/allow"
)

func TestPublic(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"192.0.2.1", true}, {"8.8.8.8", true}, {"2001:4860:4860::8888", true},
		{"127.0.0.1", false}, {"127.0.0.53", false}, {"::1", false}, {"::ffff:127.0.0.1", false},
		{"10.1.2.3", false}, {"172.16.0.1", false}, {"192.168.1.1", false}, {"fd00::1", false},
		{"169.254.169.254", false}, {"fe80::1", false}, {"224.0.0.1", false}, {"ff02::1", false},
		{"0.0.0.0", false}, {"::", false}, {"255.255.255.255", false}, {"100.64.0.1", false},
		{"0.1.2.3", false}, {"64:ff9b::7f00:1", false}, {"64:ff9b::808:808", true},
	} {
		if got := allow.Public(netip.MustParseAddr(tc.ip)); got != tc.public {
			t.Errorf("Public(%s) = %v, want %v", tc.ip, got, tc.public)
		}
	}
}

func TestList(t *testing.T) {
	l, err := allow.Parse([]string{"irc.example.org", "Internal.Example.", "127.0.0.2", "10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if !l.HasNames() {
		t.Error("HasNames false with host names listed")
	}
	for host, want := range map[string]bool{
		"irc.example.org": true, "IRC.example.org.": true, "internal.example": true,
		"other.example.org": false, "127.0.0.2": true, "127.0.0.1": false, "10.9.8.7": true,
		"[::1]": true, "::1": true, "example.org": false,
	} {
		if got := l.Names(host); got != want {
			t.Errorf("Names(%q) = %v, want %v", host, got, want)
		}
	}
	for _, tc := range []struct {
		host, ip string
		want     bool
	}{
		{"anything.example", "192.0.2.7", true},        // public
		{"anything.example", "127.0.0.1", false},       // loopback, not listed
		{"anything.example", "127.0.0.2", true},        // listed address
		{"anything.example", "10.20.30.40", true},      // listed prefix
		{"anything.example", "192.168.0.1", false},     // private, not listed
		{"internal.example", "192.168.0.1", true},      // the host is listed by name
		{"anything.example", "::ffff:127.0.0.2", true}, // mapped form of a listed address
	} {
		if got := l.Dialable(tc.host, netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Dialable(%s, %s) = %v, want %v", tc.host, tc.ip, got, tc.want)
		}
	}
}

func TestParseAnyAndErrors(t *testing.T) {
	l, err := allow.Parse([]string{"*"})
	if err != nil || !l.HasNames() || !l.Names("whatever.example") {
		t.Errorf("\"*\": %v %v", l, err)
	}
	if l.Dialable("whatever.example", netip.MustParseAddr("127.0.0.1")) {
		t.Error("\"*\" allows loopback")
	}
	if err := allow.CheckEntry(""); err == nil {
		t.Error("CheckEntry accepts an empty entry")
	}
	var empty allow.List
	if empty.HasNames() || empty.Names("irc.example.org") {
		t.Error("the empty list names servers")
	}
	for _, bad := range []string{"irc.example.org:6667", "a b", "http://x", "-.."} {
		if _, err := allow.Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// TestDialerRefusesLoopback: the Control function sees the resolved address ("localhost"
// becomes 127.0.0.1 or ::1) and the dial fails with a RefusedError before any connection.
func TestDialerRefusesLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var none allow.List
	_, err = none.Dialer(net.Dialer{}, "localhost").DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	var re *allow.RefusedError
	if !errors.As(err, &re) || !allow.IsRefused(err) || !re.Addr.IsLoopback() {
		t.Fatalf("dial localhost: %v, want a RefusedError for a loopback address", err)
	}
	listed, _ := allow.Parse([]string{"127.0.0.1"})
	c, err := listed.Dialer(net.Dialer{}, "127.0.0.1").DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial a listed address: %v", err)
	}
	c.Close()
	select {
	case <-accepted:
	case <-ctx.Done():
		t.Fatal("the listener saw no connection")
	}
}
