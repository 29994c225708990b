package irc_test

import (
	"bufio"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// saslServer is a scripted IRC server that offers SASL PLAIN (ngircd does not) and
// accepts the password accept; it reports every line it got on lines.
func saslServer(t *testing.T, accept string) (addr string, lines <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		r := bufio.NewReader(c)
		reply := func(s string) { c.Write([]byte(":srv " + s + "\r\n")) }
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			select {
			case got <- line:
			default:
			}
			saslStep(line, accept, reply)
		}
	}()
	return ln.Addr().String(), got
}

// saslStep answers one client line of the SASL PLAIN exchange.
func saslStep(line, accept string, reply func(string)) {
	switch {
	case strings.HasPrefix(line, "CAP LS"):
		reply("CAP * LS :sasl")
	case strings.HasPrefix(line, "CAP REQ"):
		reply("CAP * ACK :sasl")
	case line == "AUTHENTICATE PLAIN":
		reply("AUTHENTICATE +")
	case strings.HasPrefix(line, "AUTHENTICATE "):
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "AUTHENTICATE "))
		if parts := strings.Split(string(raw), "\x00"); parts[len(parts)-1] == accept {
			reply("903 client :SASL authentication successful")
		} else {
			reply("904 client :SASL authentication failed")
		}
	case line == "CAP END":
		reply("001 client :Welcome")
	}
}

// TestSASL: a server that offers SASL gets the password by SASL PLAIN, and no NickServ
// identify follows; a refused SASL login is AUTHENTICATION_FAILED.
func TestSASL(t *testing.T) {
	t.Parallel()
	addr, lines := saslServer(t, "s3cret")
	d := startBackend(t, "irc_server", addr)
	login(t, d, "client", "s3cret")
	// The send queue is in order: an identify would come before this marker.
	send(d, "bob", "marker")
	for waiting := true; waiting; {
		select {
		case line := <-lines:
			t.Logf("server got %q", line)
			if strings.Contains(line, "NickServ") {
				t.Errorf("identify sent after SASL: %q", line)
			}
			waiting = !strings.HasPrefix(line, "PRIVMSG bob ") || !strings.HasSuffix(line, "marker")
		case <-time.After(20 * time.Second):
			t.Fatal("the marker message never came")
		}
	}
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("client")})

	addr, _ = saslServer(t, "other")
	d = startBackend(t, "irc_server", addr)
	d.Login(user, "client", "s3cret")
	dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) {
		t.Errorf("refused SASL: %v", dis)
	}
}
