package backend_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/backendtest"
)

// minimal implements only the required interface.
type minimal struct{}

func (minimal) Features() backend.Features { return backend.Features{NeedPassword: true} }
func (minimal) Login(_ context.Context, s *backend.Sink, l backend.Login) {
	s.Connected(l.User)
}
func (minimal) Logout(context.Context, *backend.Sink, backend.Logout) {}

// recorder implements every capability and reports each call as a line of text.
type recorder struct {
	calls chan string
}

func newRecorder() *recorder { return &recorder{calls: make(chan string, 1000)} }

func (r *recorder) add(format string, a ...any) { r.calls <- fmt.Sprintf(format, a...) }

// next returns the next recorded call.
func (r *recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(backendtest.Timeout):
		t.Fatal("no plugin call")
		return ""
	}
}

func (r *recorder) Features() backend.Features {
	return backend.Features{MUC: true, Receipts: true, ExtraFields: []string{"server"}}
}
func (r *recorder) Login(_ context.Context, s *backend.Sink, l backend.Login) {
	r.add("login %s %s %s %v", l.User, l.LegacyName, l.Password, l.Settings)
	s.Connected(l.User)
}
func (r *recorder) Logout(_ context.Context, _ *backend.Sink, l backend.Logout) {
	r.add("logout %s %s", l.User, l.LegacyName)
}
func (r *recorder) Message(_ context.Context, _ *backend.Sink, m backend.Message) {
	r.add("message %s %s %q %q id=%s", m.User, m.Buddy, m.Body, m.XHTML, m.ID)
}
func (r *recorder) Typing(_ context.Context, _ *backend.Sink, user, buddy string, st backend.TypingState) {
	r.add("typing %s %s %d", user, buddy, st)
}
func (r *recorder) Attention(_ context.Context, _ *backend.Sink, m backend.Message) {
	r.add("attention %s %s %q", m.User, m.Buddy, m.Body)
}
func (r *recorder) JoinRoom(_ context.Context, _ *backend.Sink, room backend.Room) {
	r.add("join %s %s %s %s", room.User, room.Room, room.Nickname, room.Password)
}
func (r *recorder) LeaveRoom(_ context.Context, _ *backend.Sink, room backend.Room) {
	r.add("leave %s %s", room.User, room.Room)
}
func (r *recorder) SetSubject(_ context.Context, _ *backend.Sink, m backend.Message) {
	r.add("subject %s %s %q", m.User, m.Buddy, m.Body)
}
func (r *recorder) SetStatus(_ context.Context, _ *backend.Sink, st backend.Status) {
	r.add("status %s %v %q", st.User, st.Status, st.Message)
}
func (r *recorder) BuddyChanged(_ context.Context, _ *backend.Sink, b backend.Buddy) {
	r.add("buddy %s %s %q %v blocked=%v", b.User, b.Name, b.Alias, b.Groups, b.Blocked != nil)
}
func (r *recorder) BuddyRemoved(_ context.Context, _ *backend.Sink, b backend.Buddy) {
	r.add("removed %s %s", b.User, b.Name)
}
func (r *recorder) VCard(_ context.Context, s *backend.Sink, v backend.VCardRequest) {
	r.add("vcard %s %s %d", v.User, v.Buddy, v.ID)
}
func (r *recorder) UpdateVCard(_ context.Context, _ *backend.Sink, u backend.VCardUpdate) {
	r.add("vcard-update %s %q %d", u.User, u.Nickname, len(u.Photo))
}
func (r *recorder) RawXML(_ context.Context, _ *backend.Sink, data []byte) {
	r.add("raw %s", data)
}
func (r *recorder) Buddies(_ context.Context, _ *backend.Sink, user string, b []backend.Buddy) {
	r.add("buddies %s %d", user, len(b))
}
