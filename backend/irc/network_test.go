package irc_test

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestPrivateMessages: 1:1 messages both ways with a contact "nick" (single network).
func TestPrivateMessages(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	bob := connectPeer(t, s, "bob")
	login(t, d, "client", "")
	send(d, "bob", "hello bob")
	bob.Expect("PRIVMSG bob :hello bob")
	bob.Send("PRIVMSG client :hello client")
	m := message(t, d, "hello client")
	if m.GetBuddyName() != "bob" || m.GetPm() || m.GetNickname() != "" {
		t.Errorf("private message = %v", m)
	}
	bob.Send("NOTICE client :a notice")
	message(t, d, "a notice")
}

// TestPerRoomNetwork: no irc_server; rooms name their network ("#chan@host:port"), the
// contact of a private message is "nick@host:port", and a nick in use becomes nick_
// (spec 5.3 muc_join_nickname_used, irc mode).
func TestPerRoomNetwork(t *testing.T) {
	t.Parallel()
	s := startIRCd(t, ircdOptions{})
	d := startBackend(t, "irc_away_timeout", "1", "allowed_servers", "127.0.0.1")
	resp := connectPeer(t, s, "respond")
	resp.Send("JOIN #test")
	resp.Expect("366")
	d.Login(user, "client", "")
	waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
	server := "127.0.0.1:" + strconv.Itoa(s.Port)
	room := "#test@" + server
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(room), Nickname: ptr("respond")})
	waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
	r := waitFor[*pb.Room](t, d, pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED, nil)
	if r.GetNickname() != "respond_" || r.GetRoom() != room {
		t.Errorf("ROOM_NICKNAME_CHANGED %v", r)
	}
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "respond_" && p.GetRoom() == room
	})
	resp.Expect(":respond_!")
	resp.Send("PRIVMSG #test :disconnect please :)")
	if m := message(t, d, "disconnect please"); m.GetBuddyName() != room || m.GetNickname() != "respond" {
		t.Errorf("room message = %v", m)
	}
	resp.Send("PRIVMSG respond_ :private")
	if m := message(t, d, "private"); m.GetBuddyName() != "respond@"+server {
		t.Errorf("private message from %q", m.GetBuddyName())
	}
	send(d, "respond@"+server, "answer")
	resp.Expect("PRIVMSG respond :answer")

	s.Stop()
	p := waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND) != 0
	})
	if p.GetRoom() != room || p.GetNickname() != "respond_" {
		t.Errorf("lost connection reported as %v", p)
	}
}

// TestTLS connects to ngircd's TLS port, verifying its certificate against irc_ca_file;
// without the CA the certificate is refused.
func TestTLS(t *testing.T) {
	t.Parallel()
	s := startIRCd(t, ircdOptions{TLS: true})
	addr := "127.0.0.1:+" + strconv.Itoa(s.TLSPort)
	d := startBackend(t, "irc_server", addr, "irc_ca_file", s.CAFile)
	login(t, d, "client", "")
	bob := connectPeer(t, s, "bob")
	bob.Send("WHOIS client")
	bob.Expect(" 311 bob client ")

	untrusted := startBackend(t, "irc_server", addr)
	untrusted.Login(user, "client2", "")
	dis := waitFor[*pb.Disconnected](t, untrusted, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR) || !strings.Contains(dis.GetMessage(), "certificate") {
		t.Errorf("untrusted certificate: %v", dis)
	}
}

// TestServerRestart: a lost connection is DISCONNECTED code 0 (the daemon logs in again),
// and the next LOGIN works once the server is back.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	login(t, d, "client", "")
	s.Restart()
	dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetError() != 0 || dis.GetUser() != user {
		t.Errorf("lost connection: %v", dis)
	}
	login(t, d, "client", "")
	bob := connectPeer(t, s, "bob")
	send(d, "bob", "back again")
	bob.Expect("PRIVMSG bob :back again")
}

// TestServerPassword: irc_send_pass sends the password as PASS; a wrong one is
// AUTHENTICATION_FAILED, and the password appears in no error text.
func TestServerPassword(t *testing.T) {
	t.Parallel()
	s := startIRCd(t, ircdOptions{Password: "sesame"})
	addr := "127.0.0.1:" + strconv.Itoa(s.Port)
	d := startBackend(t, "irc_server", addr, "irc_send_pass", "1")
	login(t, d, "client", "sesame")
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("client")})

	d.Login(user, "client", "wrong-secret")
	dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) || strings.Contains(dis.GetMessage(), "wrong-secret") {
		t.Errorf("wrong password: %v", dis)
	}
}

// TestNickServIdentify: the password goes to NickServ with irc_identify; NickServ's
// "Invalid password" ends the login with AUTHENTICATION_FAILED. NickServ is played by the
// test's second client.
func TestNickServIdentify(t *testing.T) {
	t.Parallel()
	s, d := single(t, "irc_identify", "NickServ IDENTIFY $name $password")
	ns := connectPeer(t, s, "NickServ")
	d.Login(user, "client", "s3cret")
	ns.Expect("PRIVMSG NickServ :IDENTIFY client s3cret")
	ns.Send("NOTICE client :Invalid password for client.")
	dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) || strings.Contains(dis.GetMessage(), "s3cret") {
		t.Errorf("NickServ refusal: %v", dis)
	}
}

// TestFallbackServer: repeated irc_server keys are tried in turn, one per login, so the
// daemon's re-login after a failure reaches the next server (spec 4.3).
func TestFallbackServer(t *testing.T) {
	t.Parallel()
	s := startIRCd(t, ircdOptions{})
	dead := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startBackend(t, "irc_server", dead, "irc_server", "127.0.0.1:"+strconv.Itoa(s.Port))
	d.Login(user, "client", "")
	if dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil); dis.GetError() != 0 {
		t.Errorf("unreachable server: %v", dis)
	}
	login(t, d, "client", "")
}

// TestLogoutWhileConnecting: a LOGOUT while the server has not answered yet ends the
// connection attempt (goleak in TestMain checks that nothing is left running).
func TestLogoutWhileConnecting(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	d := startBackend(t, "irc_server", ln.Addr().String())
	d.Login(user, "client", "")
	c := <-accepted
	defer c.Close()
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("client")})
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("the backend did not close the connection: %v", err)
	}
}
