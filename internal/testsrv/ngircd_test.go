package testsrv

import (
	"net"
	"strings"
	"testing"
)

// TestIRCd: the started server is ngircd and a peer registers with it; a port where
// another server answers is not taken for ngircd.
func TestIRCd(t *testing.T) {
	s := StartIRCd(t, IRCdOptions{})
	p := ConnectIRCPeer(t, s, "probe")
	p.Send("PING :x")
	if got := p.Expect("PONG"); !strings.Contains(got, "x") {
		t.Errorf("PONG = %q", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n"))
			c.Close()
		}
	}()
	other := &IRCd{Port: ln.Addr().(*net.TCPAddr).Port}
	if err := other.probe(); err == nil {
		t.Error("probe took another server for ngircd")
	}
}
