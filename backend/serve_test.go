package backend_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestHandshakeAnswersPingWithPongAndStats(t *testing.T) {
	d := backendtest.Start(t, minimal{})
	for range 2 { // every PING, not only the first
		st := d.Handshake()
		if st.GetId() != strconv.Itoa(os.Getpid()) {
			t.Errorf("STATS id %q, want the PID %d (spec 1.5)", st.GetId(), os.Getpid())
		}
		if st.GetRes() <= 0 || st.GetInitRes() <= 0 {
			t.Errorf("STATS without memory figures: %v", st)
		}
	}
	if err := d.Exit(); err != nil {
		t.Fatalf("Run after EXIT: %v", err)
	}
}

func TestBackendConfigAnnouncesFeatures(t *testing.T) {
	d := backendtest.Start(t, newRecorder())
	for _, line := range []string{
		"[registration]", "needPassword = 0", "needRegistration = 0", "extraField = server",
		"[features]", "muc = 1", "rawxml = 0", "disable_jid_escaping = 0",
		"send_buddies_on_login = 0", "receipts = 1",
	} {
		if !strings.Contains(d.Config, line+"\n") {
			t.Errorf("BACKEND_CONFIG lacks %q:\n%s", line, d.Config)
		}
	}
}

func TestLoginReportsConnected(t *testing.T) {
	r := newRecorder()
	d := backendtest.Start(t, r)
	d.Handshake()
	d.Send(pb.WrapperMessage_TYPE_LOGIN, &pb.Login{User: ptr("u@localhost"), LegacyName: ptr("u"),
		Password: ptr("pw"), Settings: &pb.UserSettings{Value: map[string]string{"k": "v"}}})
	if got := r.next(t); got != "login u@localhost u pw map[k:v]" {
		t.Errorf("plugin got %q", got)
	}
	c := d.Expect(pb.WrapperMessage_TYPE_CONNECTED).(*pb.Connected)
	if c.GetUser() != "u@localhost" {
		t.Errorf("CONNECTED for %q", c.GetUser())
	}
}

func ptr[T any](v T) *T { return &v }

// TestDispatch: each request type reaches the capability interface that handles it.
func TestDispatch(t *testing.T) {
	u, b := ptr("u@localhost"), ptr("bob")
	tests := []struct {
		name string
		typ  pb.WrapperMessage_Type
		msg  proto.Message
		want string
	}{
		{"logout", pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: u, LegacyName: ptr("u")}, "logout u@localhost u"},
		{"message", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: u, BuddyName: b,
			Message: ptr("hi"), Xhtml: ptr("<b>hi</b>"), Id: ptr("m1")}, `message u@localhost bob "hi" "<b>hi</b>" id=m1`},
		{"typing", pb.WrapperMessage_TYPE_BUDDY_TYPING, &pb.Buddy{UserName: u, BuddyName: b}, "typing u@localhost bob 0"},
		{"typed", pb.WrapperMessage_TYPE_BUDDY_TYPED, &pb.Buddy{UserName: u, BuddyName: b}, "typing u@localhost bob 1"},
		{"stopped", pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING, &pb.Buddy{UserName: u, BuddyName: b}, "typing u@localhost bob 2"},
		{"attention", pb.WrapperMessage_TYPE_ATTENTION, &pb.ConversationMessage{UserName: u, BuddyName: b, Message: ptr("!")}, `attention u@localhost bob "!"`},
		{"join", pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: u, Nickname: ptr("me"), Room: ptr("#r"), Password: ptr("pw")}, "join u@localhost #r me pw"},
		{"leave", pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: u, Nickname: ptr(""), Room: ptr("#r")}, "leave u@localhost #r"},
		{"subject", pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{UserName: u, BuddyName: ptr("#r"), Message: ptr("topic")}, `subject u@localhost #r "topic"`},
		{"status", pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{UserName: u, Status: pb.StatusType_STATUS_AWAY.Enum(), StatusMessage: ptr("out")}, `status u@localhost STATUS_AWAY "out"`},
		{"buddy add", pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: u, BuddyName: b, Alias: ptr("Bob"), Group: []string{"G"},
			Status: pb.StatusType_STATUS_NONE.Enum()}, `buddy u@localhost bob "Bob" [G] blocked=false`},
		{"block toggle", pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: u, BuddyName: b, Blocked: ptr(true)}, `buddy u@localhost bob "" [] blocked=true`},
		{"buddy removed", pb.WrapperMessage_TYPE_BUDDY_REMOVED, &pb.Buddy{UserName: u, BuddyName: b}, "removed u@localhost bob"},
		{"vcard request", pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: u, BuddyName: b, Id: ptr(int32(7))}, "vcard u@localhost bob 7"},
		{"vcard update", pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: u, BuddyName: ptr(""), Id: ptr(int32(0)),
			Nickname: ptr("me"), Photo: []byte{}}, `vcard-update u@localhost "me" 0`},
		{"buddies", pb.WrapperMessage_TYPE_BUDDIES, &pb.Buddies{Buddy: []*pb.Buddy{{UserName: u, BuddyName: b}, {UserName: u, BuddyName: ptr("c")}}}, "buddies u@localhost 2"},
	}
	r := newRecorder()
	d := backendtest.Start(t, r)
	d.Handshake()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.Send(tc.typ, tc.msg)
			if got := r.next(t); got != tc.want {
				t.Errorf("plugin got %q, want %q", got, tc.want)
			}
		})
	}
	d.SendFrame(protocol.EncodeRawXML([]byte("<message/>")))
	if got := r.next(t); got != "raw <message/>" {
		t.Errorf("raw XML: plugin got %q", got)
	}
}

// TestUnimplementedRequests: a plugin with only the required methods ignores what it
// cannot do, but answers a vCard request with an empty vCard carrying the request's id.
func TestUnimplementedRequests(t *testing.T) {
	d := backendtest.Start(t, minimal{})
	d.Handshake()
	u, b := ptr("u@localhost"), ptr("bob")
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: u, BuddyName: b, Message: ptr("hi")})
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: u, Nickname: ptr("n"), Room: ptr("#r")})
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: u, BuddyName: b, Nickname: ptr(""), Photo: []byte("x"), Id: ptr(int32(0))})
	d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: u, BuddyName: b, Id: ptr(int32(42))})
	v := d.Expect(pb.WrapperMessage_TYPE_VCARD).(*pb.VCard)
	if v.GetId() != 42 || v.GetBuddyName() != "bob" || v.GetFullname() != "" || v.Photo != nil {
		t.Errorf("default vCard answer %v", v)
	}
	d.Handshake()
}

// TestUnknownFramesDoNotStall fixes the spec 1.4 quirk: unknown types, undecodable
// payloads and malformed wrappers are skipped, and the frames behind them are handled.
func TestUnknownFramesDoNotStall(t *testing.T) {
	d := backendtest.Start(t, minimal{})
	d.SendFrame(protocol.Frame{Type: pb.WrapperMessage_Type(99), Payload: []byte{1, 2, 3}, HasPayload: true})
	d.SendFrame(protocol.Frame{Type: pb.WrapperMessage_TYPE_FT_START})
	d.SendFrame(protocol.Frame{Type: pb.WrapperMessage_TYPE_LOGIN, Payload: []byte{0xff, 0xff}, HasPayload: true})
	d.WriteRaw([]byte{0, 0, 0, 2, 0xff, 0xff}) // a WrapperMessage that does not parse
	d.Handshake()
}

func TestRunEnds(t *testing.T) {
	t.Run("connection closed", func(t *testing.T) {
		d := backendtest.Start(t, minimal{})
		d.Close()
		if err := d.Wait(); err != nil {
			t.Errorf("Run after EOF: %v", err)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		ln := listen(t)
		go func() { errc <- backend.Run(ctx, []string{"--host=127.0.0.1", "--port=" + port(ln)}, minimal{}) }()
		conn, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := protocol.NewReader(conn, 0).ReadFrame(); err != nil { // BACKEND_CONFIG: serving
			t.Fatal(err)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	})
	t.Run("no daemon", func(t *testing.T) {
		ln := listen(t)
		p := port(ln)
		ln.Close()
		if err := backend.Run(context.Background(), []string{"--host", "127.0.0.1", "--port", p}, minimal{}); err == nil {
			t.Error("Run without a daemon succeeded")
		}
	})
}
