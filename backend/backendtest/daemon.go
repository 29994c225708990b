package backendtest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Timeout bounds every wait for a frame. It is generous: CI machines are slow and shared.
const Timeout = 20 * time.Second

// Daemon is the daemon's end of one backend connection.
type Daemon struct {
	t    testing.TB
	conn net.Conn
	r    *protocol.Reader
	w    *protocol.Writer
	done chan error
	// Config is the BACKEND_CONFIG text the backend sent first.
	Config string
}

// Start listens on 127.0.0.1, runs p with backend.Run and the argv Spectrum 2 would give it
// (`--host 127.0.0.1 --port P --service.backend_id=1` then args), accepts its connection
// and reads its BACKEND_CONFIG. The backend is stopped when the test ends.
func Start(t testing.TB, p backend.Plugin, args ...string) *Daemon {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	argv := append([]string{"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--service.backend_id=1"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	d := &Daemon{t: t, done: make(chan error, 1)}
	go func() { d.done <- backend.Run(ctx, argv, p, backend.WithLogger(Logger(t))) }()
	t.Cleanup(func() {
		cancel()
		if d.conn != nil {
			d.conn.Close()
		}
		select {
		case <-d.done:
		case <-time.After(Timeout):
			t.Error("backend did not stop")
		}
	})
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(Timeout))
	d.conn, err = ln.Accept()
	if err != nil {
		t.Fatalf("backend did not connect: %v", err)
	}
	d.r, d.w = protocol.NewReader(d.conn, 0), protocol.NewWriter(d.conn)
	cfg := d.Expect(pb.WrapperMessage_TYPE_BACKEND_CONFIG).(*pb.BackendConfig)
	d.Config = cfg.GetConfig()
	return d
}

// Send writes a request to the backend; m is nil for PING and EXIT.
func (d *Daemon) Send(t pb.WrapperMessage_Type, m proto.Message) {
	d.t.Helper()
	f, err := protocol.Encode(t, m)
	if err != nil {
		d.t.Fatal(err)
	}
	d.SendFrame(f)
}

// SendFrame writes a frame as it is.
func (d *Daemon) SendFrame(f protocol.Frame) {
	d.t.Helper()
	if err := d.w.WriteFrame(f); err != nil {
		d.t.Fatalf("send %v: %v", f.Type, err)
	}
}

// Next reads the next frame and its decoded payload.
func (d *Daemon) Next() (protocol.Frame, proto.Message) {
	d.t.Helper()
	f, m, err := d.next()
	if err != nil {
		d.t.Fatal(err)
	}
	return f, m
}

func (d *Daemon) next() (protocol.Frame, proto.Message, error) { return d.nextWithin(Timeout) }

// NextWithin reads the next frame like Next, but returns an error (and fails nothing) when
// none comes within wait: for draining what a backend still sends.
func (d *Daemon) NextWithin(wait time.Duration) (protocol.Frame, proto.Message, error) {
	return d.nextWithin(wait)
}

func (d *Daemon) nextWithin(wait time.Duration) (protocol.Frame, proto.Message, error) {
	d.conn.SetReadDeadline(time.Now().Add(wait))
	f, err := d.r.ReadFrame()
	if err != nil {
		return f, nil, fmt.Errorf("reading from backend: %w", err)
	}
	m, err := protocol.Decode(f)
	if err != nil {
		return f, nil, fmt.Errorf("decoding %v from backend: %w", f.Type, err)
	}
	return f, m, nil
}

// Expect reads the next frame, fails the test unless it has type t, and returns its payload.
func (d *Daemon) Expect(t pb.WrapperMessage_Type) proto.Message {
	d.t.Helper()
	f, m := d.Next()
	if f.Type != t {
		d.t.Fatalf("got %v %v, want %v", f.Type, m, t)
	}
	return m
}

// Handshake sends PING and expects PONG followed by STATS, which it returns.
func (d *Daemon) Handshake() *pb.Stats {
	d.t.Helper()
	d.Send(pb.WrapperMessage_TYPE_PING, nil)
	d.Expect(pb.WrapperMessage_TYPE_PONG)
	return d.Expect(pb.WrapperMessage_TYPE_STATS).(*pb.Stats)
}

// Login sends LOGIN for user (a bare JID) as legacyName.
func (d *Daemon) Login(user, legacyName, password string) {
	d.t.Helper()
	d.Send(pb.WrapperMessage_TYPE_LOGIN, &pb.Login{User: &user, LegacyName: &legacyName, Password: &password})
}

// Exit sends EXIT and waits for backend.Run to return, which it reports.
func (d *Daemon) Exit() error {
	d.t.Helper()
	d.Send(pb.WrapperMessage_TYPE_EXIT, nil)
	return d.Wait()
}

// Wait waits for backend.Run to return and reports its error.
func (d *Daemon) Wait() error {
	d.t.Helper()
	select {
	case err := <-d.done:
		d.done <- err // Cleanup reads it again
		return err
	case <-time.After(Timeout):
		d.t.Fatal("backend did not stop")
		return nil
	}
}

// Close closes the daemon's end of the connection.
func (d *Daemon) Close() { d.conn.Close() }

// WriteRaw writes bytes to the backend as they are, for malformed-input tests.
func (d *Daemon) WriteRaw(b []byte) {
	d.t.Helper()
	if _, err := d.conn.Write(b); err != nil {
		d.t.Fatal(err)
	}
}
