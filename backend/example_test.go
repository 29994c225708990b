package backend_test

import (
	"context"
	"os"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// echoNet is a complete legacy "network" with one contact who repeats what it is told.
type echoNet struct{}

// Features: no rooms, but receipts (Message acknowledges ids).
func (echoNet) Features() backend.Features { return backend.Features{Receipts: true} }

func (echoNet) Login(ctx context.Context, s *backend.Sink, l backend.Login) {
	if l.Password == "" {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, "password required")
		return
	}
	s.Connected(l.User)
	s.Buddy(backend.Buddy{User: l.User, Name: "parrot", Alias: "Parrot", Groups: []string{"Birds"},
		Status: pb.StatusType_STATUS_ONLINE})
}

func (echoNet) Logout(context.Context, *backend.Sink, backend.Logout) {}

// Message makes echoNet a backend.Messenger.
func (echoNet) Message(ctx context.Context, s *backend.Sink, m backend.Message) {
	if m.ID != "" {
		s.Ack(m.User, m.Buddy, m.ID)
	}
	s.Message(backend.Message{User: m.User, Buddy: m.Buddy, Body: m.Body})
}

// A whole backend: the daemon starts it as
// `echonet --host H --port P --service.backend_id=N CONFIG`.
func Example() {
	if err := backend.Run(context.Background(), os.Args[1:], echoNet{}); err != nil {
		os.Exit(1)
	}
}
