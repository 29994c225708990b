// Command fakebackend is a test backend speaking Spectrum 2's protocol with package
// protocol. Its behaviour is chosen by --mode=NAME before the standard arguments:
//
//	normal        PONG+STATS, BACKEND_CONFIG, LOGIN -> CONNECTED (DISCONNECTED for password
//	              "wrong"), CONV_MESSAGE echoed, RAW_XML echoed in two halves, EXIT -> exit 0
//	unknownframe  like normal, but every CONNECTED is preceded by a frame of unknown type
//	ignoreexit    like normal, but EXIT is ignored
//	nostats       never sends STATS (so it is never identified)
//	slowstart     like normal, but connects only after 500ms
//	stall         like normal, but a CONV_MESSAGE with the text "stall" makes it stop
//	              reading and writing for good (a backend stuck in a legacy call)
//	crashlogin    like normal, but a LOGIN for a user whose name starts with "crash"
//	              makes it exit with status 3 (an account that trips a backend bug)
//	rawxml        like normal, but announces features.rawxml=1
//	gated         like normal, but connects only once the file $FAKEBACKEND_GATE exists
//	flood         sends 1000 BACKEND_CONFIG frames before answering the first PING
//	bigframe      sends one BACKEND_CONFIG of 1 MiB before answering the first PING
//	deaf          like normal, but after its first CONNECTED it never reads its socket
//	              again while it keeps sending STATS every 100ms, so the keepalive
//	              (any frame answers it) never finds it hung: only its full socket can
//
// It prints "got TYPE user" on stderr for every LOGIN and LOGOUT, for the tests to read
// from the daemon's log.
package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func main() {
	mode, host, port := "normal", "127.0.0.1", ""
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case strings.HasPrefix(a, "--mode="):
			mode = strings.TrimPrefix(a, "--mode=")
		case a == "--host" && i+1 < len(args):
			i++
			host = args[i]
		case a == "--port" && i+1 < len(args):
			i++
			port = args[i]
		}
	}
	if err := run(mode, net.JoinHostPort(host, port)); err != nil {
		fmt.Fprintln(os.Stderr, "fakebackend:", err)
		os.Exit(2)
	}
}

func run(mode, addr string) error {
	if mode == "slowstart" {
		time.Sleep(500 * time.Millisecond)
	}
	if mode == "gated" {
		for _, err := os.Stat(os.Getenv("FAKEBACKEND_GATE")); err != nil; _, err = os.Stat(os.Getenv("FAKEBACKEND_GATE")) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r, w := protocol.NewReader(c, 0), protocol.NewWriter(c)
	cfg := "[features]\nmuc=1\nreceipts=1\n[registration]\nneedRegistration=0\n"
	if mode == "rawxml" {
		cfg = "[features]\nrawxml=1\n"
	}
	if err := w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_BACKEND_CONFIG, &pb.BackendConfig{Config: &cfg})); err != nil {
		return err
	}
	if err := flood(mode, w); err != nil {
		return err
	}
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return nil // the daemon went away
		}
		if err := handle(mode, w, f); err != nil {
			return err
		}
		if mode == "deaf" && f.Type == pb.WrapperMessage_TYPE_LOGIN {
			chatter(w) // never returns: the daemon kills us
		}
	}
}

// chatter sends STATS every 100ms and reads nothing, for mode deaf.
func chatter(w *protocol.Writer) {
	fmt.Fprintln(os.Stderr, "deaf from now on")
	id := fmt.Sprint(os.Getpid())
	var res int32 = 1000
	stats := protocol.MustEncode(pb.WrapperMessage_TYPE_STATS, &pb.Stats{Res: &res, InitRes: &res, Shared: &res, Id: &id})
	for {
		if err := w.WriteFrame(stats); err != nil {
			fmt.Fprintln(os.Stderr, "fakebackend:", err)
			os.Exit(2)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func handle(mode string, w *protocol.Writer, f protocol.Frame) error {
	m, _ := protocol.Decode(f)
	switch f.Type {
	case pb.WrapperMessage_TYPE_PING:
		if err := w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_PONG, nil)); err != nil || mode == "nostats" {
			return err
		}
		id := fmt.Sprint(os.Getpid())
		var res int32 = 1000
		return w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_STATS, &pb.Stats{Res: &res, InitRes: &res, Shared: &res, Id: &id}))
	case pb.WrapperMessage_TYPE_LOGIN:
		l := m.(*pb.Login)
		fmt.Fprintln(os.Stderr, "got LOGIN", l.GetUser())
		if mode == "crashlogin" && strings.HasPrefix(l.GetUser(), "crash") {
			os.Exit(3)
		}
		return login(mode, w, l)
	case pb.WrapperMessage_TYPE_LOGOUT:
		fmt.Fprintln(os.Stderr, "got LOGOUT", m.(*pb.Logout).GetUser())
	case pb.WrapperMessage_TYPE_CONV_MESSAGE:
		if mode == "stall" && m.(*pb.ConversationMessage).GetMessage() == "stall" {
			time.Sleep(time.Hour) // killed long before
		}
		return w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_CONV_MESSAGE, m))
	case pb.WrapperMessage_TYPE_RAW_XML:
		// Echoed in two frames: the daemon must pass the pieces on in order (spec 3.21).
		half := len(f.Payload) / 2
		if err := w.WriteFrame(protocol.EncodeRawXML(f.Payload[:half])); err != nil {
			return err
		}
		return w.WriteFrame(protocol.EncodeRawXML(f.Payload[half:]))
	case pb.WrapperMessage_TYPE_EXIT:
		if mode != "ignoreexit" {
			os.Exit(0)
		}
	}
	return nil
}

func login(mode string, w *protocol.Writer, l *pb.Login) error {
	user := l.GetUser()
	if l.GetPassword() == "wrong" {
		code, msg := int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED), "bad password"
		return w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_DISCONNECTED, &pb.Disconnected{User: &user, Error: &code, Message: &msg}))
	}
	if mode == "unknownframe" {
		// An unknown type straight before CONNECTED: it must not stall CONNECTED (spec 1.4).
		if err := w.WriteFrame(protocol.Frame{Type: 99, Payload: []byte("x"), HasPayload: true}); err != nil {
			return err
		}
	}
	return w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: &user}))
}

// flood sends what the modes flood and bigframe send before the handshake.
func flood(mode string, w *protocol.Writer) error {
	switch mode {
	case "flood":
		for i := range 1000 {
			text := fmt.Sprintf("[x]\nk%d=1\n", i)
			if err := w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_BACKEND_CONFIG, &pb.BackendConfig{Config: &text})); err != nil {
				return nil // cut off: what the test expects
			}
		}
	case "bigframe":
		text := "[x]\nk=" + strings.Repeat("a", 1<<20) + "\n"
		if err := w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_BACKEND_CONFIG, &pb.BackendConfig{Config: &text})); err != nil {
			return nil
		}
	}
	return nil
}
