package demo

import (
	"context"
	"strings"

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
	if m.Buddy == Echo {
		s.Message(backend.Message{User: m.User, Buddy: Echo, Body: m.Body, XHTML: m.XHTML, ID: p.newID()})
	}
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
