package demo

import (
	"context"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend"
)

// Message routes a message: to a room, to a room participant in private, or to a contact.
func (p *Plugin) Message(ctx context.Context, s *backend.Sink, m backend.Message) {
	if room, nick, ok := strings.Cut(m.Buddy, "/"); ok && strings.HasPrefix(room, "#") {
		p.privateMessage(s, m, room, nick)
		return
	}
	if strings.HasPrefix(m.Buddy, "#") {
		p.roomMessage(s, m)
		return
	}
	// Spec 3.9/3.10: the daemon sets an id only when the client asked for a receipt; the
	// network acknowledges delivery with CONV_MESSAGE_ACK.
	if m.ID != "" {
		s.Ack(m.User, m.Buddy, m.ID)
	}
	switch m.Buddy {
	case Echo:
		if strings.EqualFold(strings.TrimSpace(m.Body), PictureRequest) {
			sendPicture(s, m.User) // picture.go
			return
		}
		if p.echoCommand(s, m) { // extensions.go
			return
		}
		s.Message(p.echoOf(m))
	case Later:
		p.answerLater(s, m)
	}
}

// Later answers a message after LaterDelay, as someone who is slow to reply; what a
// user who logged in as a client that has since gone gets is the gateway's business
// (offline messages).
const (
	Later      = "later"
	LaterDelay = 2 * time.Second
	// maxLater bounds the answers one user may have pending.
	maxLater = 16
)

// answerLater answers m with "later: BODY" once LaterDelay has passed, if the user is
// still logged in to the demo network then.
func (p *Plugin) answerLater(s *backend.Sink, m backend.Message) {
	p.mu.Lock()
	u := p.users[m.User]
	busy := u == nil || u.later >= maxLater
	if !busy {
		u.later++
	}
	p.mu.Unlock()
	if busy {
		s.Message(backend.Message{User: m.User, Buddy: Later, Body: "busy, ask again later", ID: p.newID()})
		return
	}
	time.AfterFunc(LaterDelay, func() {
		p.mu.Lock()
		still := p.users[m.User] == u
		u.later--
		p.mu.Unlock()
		if still {
			s.Message(backend.Message{User: m.User, Buddy: Later, Body: "later: " + m.Body, ID: p.newID()})
		}
	})
}

// Typing: echo mirrors the user's chat states.
func (p *Plugin) Typing(_ context.Context, s *backend.Sink, user, buddy string, st backend.TypingState) {
	if buddy == Echo {
		s.Typing(user, Echo, st)
	}
}

// Attention: echo buzzes back.
func (p *Plugin) Attention(_ context.Context, s *backend.Sink, m backend.Message) {
	if m.Buddy == Echo {
		s.Attention(m.User, Echo, m.Body)
	}
}
