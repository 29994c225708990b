package pluginserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// prompt is the bound on a call that must not block: generous for CI's shared cores,
// far below what waiting for a stopped backend would take.
const prompt = 5 * time.Second

func TestOutqBounds(t *testing.T) {
	ping := protocol.MustEncode(pb.WrapperMessage_TYPE_PING, nil)
	t.Run("frames", func(t *testing.T) {
		q := newOutq(2, 1<<20)
		for i := range 2 {
			if err := q.push(convFrame(fmt.Sprint(i)), false); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.push(convFrame("x"), false); !errors.Is(err, ErrBackendBusy) {
			t.Fatalf("third frame: %v, want ErrBackendBusy", err)
		}
		if err := q.push(ping, true); err != nil {
			t.Fatalf("a control frame has a reserve: %v", err)
		}
		batch := q.take() // the batch in flight still counts
		if err := q.push(convFrame("y"), false); !errors.Is(err, ErrBackendBusy) {
			t.Fatalf("while written: %v, want ErrBackendBusy", err)
		}
		q.written(batch)
		if q.frames != 0 || q.bytes != 0 {
			t.Fatalf("after the write: %d frames, %d bytes", q.frames, q.bytes)
		}
		if err := q.push(convFrame("z"), false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		big := convFrame(strings.Repeat("a", 1000))
		q := newOutq(100, 2500)
		for range 2 {
			if err := q.push(big, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.push(big, false); !errors.Is(err, ErrBackendBusy) {
			t.Fatalf("past the bytes: %v, want ErrBackendBusy", err)
		}
		if q.bytes != len(q.buf) || q.bytes != 2*frameSize(big) {
			t.Fatalf("%d bytes counted, %d queued, frame of %d", q.bytes, len(q.buf), frameSize(big))
		}
		r := protocol.NewReader(strings.NewReader(string(q.take())), 0)
		for range 2 {
			if f, err := r.ReadFrame(); err != nil || f.Type != pb.WrapperMessage_TYPE_CONV_MESSAGE {
				t.Fatalf("queued bytes do not parse back: %v %v", f.Type, err)
			}
		}
	})
	t.Run("closed", func(t *testing.T) {
		q := newOutq(10, 1000)
		q.close()
		q.close()
		if err := q.push(ping, true); !errors.Is(err, ErrNoBackend) {
			t.Fatalf("after close: %v, want ErrNoBackend", err)
		}
	})
}

// flood sends messages of 32 KiB for user, checking that every call returns promptly,
// until Send refuses one as ErrBackendBusy (untilBusy) or refuses one for another reason.
// Busy refusals are retried after a pause: a backend that reads takes the queue away. It
// returns the texts Send accepted and the error that ended it.
func (h *harness) flood(t *testing.T, user string, untilBusy bool) ([]string, error) {
	t.Helper()
	pad := strings.Repeat("x", 32<<10)
	var accepted []string
	deadline := time.Now().Add(wait)
	for i := 0; time.Now().Before(deadline); i++ {
		text := fmt.Sprint(i)
		m := &pb.ConversationMessage{UserName: &user, Message: proto.String(text + " " + pad)}
		start := time.Now()
		err := h.s.Send(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, m)
		if d := time.Since(start); d > prompt {
			t.Fatalf("Send blocked for %v on a backend that does not read", d)
		}
		switch {
		case err == nil:
			accepted = append(accepted, text)
		case errors.Is(err, ErrBackendBusy) && !untilBusy:
			time.Sleep(10 * time.Millisecond)
		default:
			return accepted, err
		}
	}
	t.Fatal("Send kept accepting frames for a backend that does not read")
	return nil, nil
}

// lostLabels is lostUntilDisconnected with the padding of flood cut off.
func (h *harness) lostLabels(t *testing.T, user string) []string {
	t.Helper()
	var out []string
	for _, text := range h.lostUntilDisconnected(t, user) {
		out = append(out, strings.Fields(text)[0])
	}
	return out
}

func TestDeafBackendIsHungAndReplaced(t *testing.T) {
	// The backend keeps talking (STATS every 100ms), so only its writer can tell that it
	// no longer reads.
	h := start(t, Config{Backend: fakeBin + " --mode=deaf", PingInterval: time.Second,
		QueueFrames: 64, QueueBytes: 256 << 10})
	user := "alice@localhost"
	h.login(t, user, "x")
	pid := h.pids()[0]
	eventually(t, "the backend deaf", func() bool { return strings.Contains(h.logs.String(), "deaf from now on") })

	accepted, err := h.flood(t, user, true)
	if !errors.Is(err, ErrBackendBusy) {
		t.Fatalf("Send to a full queue: %v, want ErrBackendBusy", err)
	}
	if st := h.s.Stats().Backends[0]; st.Queued == 0 || st.QueuedBytes == 0 {
		t.Errorf("Stats while full: %d frames, %d bytes queued", st.Queued, st.QueuedBytes)
	}
	// Once the kernel's buffers are full too, the writer finds the backend hung and Send
	// says there is no backend any more.
	more, err := h.flood(t, user, false)
	if !errors.Is(err, ErrNoBackend) {
		t.Fatalf("Send to a hung backend: %v, want ErrNoBackend", err)
	}
	accepted = append(accepted, more...)
	// It read none of them: each comes back, in order, before DISCONNECTED.
	if lost := h.lostLabels(t, user); !slices.Equal(lost, accepted) {
		t.Errorf("handed back %d frames, want the %d accepted ones in order", len(lost), len(accepted))
	}
	eventually(t, "the deaf backend reaped", func() bool { return !alive(pid) })
	if !strings.Contains(h.logs.String(), "(hung)") {
		t.Error("the log does not say the backend was hung")
	}
	if c := h.s.Stats().Crashes; c != 1 {
		t.Errorf("%d crashes, want 1", c)
	}
	// Replaced: the user logs in again on a new backend.
	h.login(t, user, "x")
	if p := h.pids(); slices.Contains(p, pid) || len(p) == 0 {
		t.Errorf("backends %v after the hung %d", p, pid)
	}
}

func TestStoppedBackendNeverBlocksCallers(t *testing.T) {
	h := start(t, Config{PingInterval: time.Second, QueueFrames: 64, QueueBytes: 256 << 10})
	alice, bob := "alice@localhost", "bob@localhost"
	h.login(t, alice, "x")
	h.login(t, bob, "x")
	h.say(t, alice, "before")
	h.echoed(t, alice, "before")
	h.confirmed(t)
	pid := h.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the backend stopped", func() bool { return procState(pid) == "T" })

	accepted, err := h.flood(t, alice, true)
	if !errors.Is(err, ErrBackendBusy) && !errors.Is(err, ErrNoBackend) {
		t.Fatalf("Send to a stopped backend: %v", err)
	}
	// With the queue full, LOGOUT and LOGIN still do not wait for the backend.
	start := time.Now()
	h.s.Logout(bob, "bob")
	if d := time.Since(start); d > prompt {
		t.Fatalf("Logout blocked for %v", d)
	}
	carol := "carol@localhost"
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start = time.Now()
	if err := h.s.Login(ctx, &pb.Login{User: &carol, LegacyName: proto.String("carol"), Password: proto.String("x")}); err != nil {
		t.Logf("Login to a stopped backend: %v", err) // refused if it is declared hung first
	}
	if d := time.Since(start); d > prompt {
		t.Fatalf("Login blocked for %v", d)
	}
	more, err := h.flood(t, alice, false)
	if !errors.Is(err, ErrNoBackend) {
		t.Fatalf("Send to a hung backend: %v, want ErrNoBackend", err)
	}
	accepted = append(accepted, more...)
	if lost := h.lostLabels(t, alice); !slices.Equal(lost, accepted) {
		t.Errorf("handed back %d frames, want the %d accepted ones in order", len(lost), len(accepted))
	}
	eventually(t, "the stopped backend reaped", func() bool { return !alive(pid) })
	h.login(t, alice, "x")
	h.say(t, alice, "after")
	h.echoed(t, alice, "after")
}
