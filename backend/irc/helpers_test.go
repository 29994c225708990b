package irc_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/backend/irc"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestMain(m *testing.M) {
	// girc runs its RPL_WELCOME handler in a goroutine that sleeps for two seconds
	// before it looks at the (by then closed) client.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/lrstanley/girc.handleConnect"))
}

const user = "alice@localhost"

func ptr[T any](v T) *T { return &v }

// startBackend runs the IRC backend with service keys kv (key, value, ...).
func startBackend(t testing.TB, kv ...string) *backendtest.Daemon {
	t.Helper()
	return startBackendLog(t, backendtest.Logger(t), kv...)
}

// startBackendLog is startBackend with the backend logging to log.
func startBackendLog(t testing.TB, log zerolog.Logger, kv ...string) *backendtest.Daemon {
	t.Helper()
	cfg := &ini.File{}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg.Add("service", kv[i], kv[i+1])
	}
	d := backendtest.Start(t, irc.NewPlugin(cfg, log))
	d.Handshake()
	return d
}

// single starts ngircd and the backend in single-network mode against it.
func single(t *testing.T, kv ...string) (*ircd, *backendtest.Daemon) {
	t.Helper()
	s := startIRCd(t, ircdOptions{})
	kv = append([]string{"irc_server", "127.0.0.1:" + strconv.Itoa(s.Port), "irc_away_timeout", "1"}, kv...)
	return s, startBackend(t, kv...)
}

// waitFor reads frames until one of type typ satisfies ok (nil: any), skipping others.
func waitFor[M proto.Message](t *testing.T, d *backendtest.Daemon, typ pb.WrapperMessage_Type, ok func(M) bool) M {
	t.Helper()
	for range 200 {
		f, m := d.Next()
		if f.Type == typ {
			if v, is := m.(M); is && (ok == nil || ok(v)) {
				return v
			}
		}
		t.Logf("skipping %v %v", f.Type, m)
	}
	t.Fatalf("no %v came", typ)
	var zero M
	return zero
}

// login logs alice in as nick and waits for CONNECTED.
func login(t *testing.T, d *backendtest.Daemon, nick, password string) {
	t.Helper()
	d.Login(user, nick, password)
	waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
}

// join sends JOIN_ROOM and returns the participants reported up to the user's own one
// (flag ME), by nickname.
func join(t *testing.T, d *backendtest.Daemon, room, nick string) map[string]*pb.Participant {
	t.Helper()
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(room), Nickname: ptr(nick)})
	got := map[string]*pb.Participant{}
	for {
		p := waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
			return p.GetRoom() == room
		})
		got[p.GetNickname()] = p
		if p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) != 0 {
			return got
		}
	}
}

// send sends a CONV_MESSAGE from alice to buddy.
func send(d *backendtest.Daemon, buddy, body string) {
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(buddy), Message: ptr(body)})
}

// message waits for a CONV_MESSAGE whose body contains want.
func message(t *testing.T, d *backendtest.Daemon, want string) *pb.ConversationMessage {
	t.Helper()
	return waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m *pb.ConversationMessage) bool {
		return strings.Contains(m.GetMessage(), want)
	})
}
