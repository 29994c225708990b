package demo

import (
	"context"
	"strings"

	"github.com/gospectrum/spectrum2/backend"
)

// The message extensions of issue 24 with echo (docs/protocol-extensions.md). Echo's copy
// of a user's message with id X has the id "echo-X", so that a correction, reaction or
// retraction can name either without the network keeping state:
//   - the user corrects X: echo corrects echo-X the same way;
//   - the user replies to a message: echo's copy replies to the same one;
//   - the user reacts to echo-X: echo reacts to X with the same reactions;
//   - the user retracts X: echo retracts echo-X;
//   - the commands "react EMOJI", "correct TEXT", "retract" and "reply TEXT": echo reacts
//     to that message, sends a message and corrects it to TEXT, sends a message and
//     retracts it, or answers it with TEXT as a reply.
const (
	echoPrefix = "echo-"
	// CorrectFirst is the body echo sends before correcting it on "correct TEXT".
	CorrectFirst = "I will correct this"
	// RetractFirst is the body echo sends before retracting it on "retract".
	RetractFirst = "I will retract this"
	// maxReactions bounds the reactions echo mirrors.
	maxReactions = 16
)

// echoOf is echo's copy of the user's message m.
func (p *Plugin) echoOf(m backend.Message) backend.Message {
	e := backend.Message{User: m.User, Buddy: Echo, Body: m.Body, XHTML: m.XHTML, ID: p.newID()}
	if m.ID != "" {
		e.ID = echoPrefix + m.ID
	}
	if m.ReplaceID != "" {
		e.ReplaceID = echoPrefix + m.ReplaceID
	}
	if m.ReplyToID != "" {
		e.ReplyToID, e.ReplyToSender, e.ReplyFallbackEnd = m.ReplyToID, m.ReplyToSender, m.ReplyFallbackEnd
	}
	return e
}

// echoCommand handles the commands of the extensions; false when m is none.
func (p *Plugin) echoCommand(s *backend.Sink, m backend.Message) bool {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(m.Body), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(cmd) {
	case "react":
		if m.ID == "" || arg == "" {
			return false
		}
		s.Event(backend.Event{User: m.User, Buddy: Echo, ReactTo: m.ID, Reactions: []string{arg}})
	case "correct":
		if arg == "" {
			return false
		}
		id := p.newID()
		s.Message(backend.Message{User: m.User, Buddy: Echo, Body: CorrectFirst, ID: id})
		s.Message(backend.Message{User: m.User, Buddy: Echo, Body: arg, ID: p.newID(), ReplaceID: id})
	case "retract":
		if arg != "" {
			return false
		}
		id := p.newID()
		s.Message(backend.Message{User: m.User, Buddy: Echo, Body: RetractFirst, ID: id})
		s.Event(backend.Event{User: m.User, Buddy: Echo, Retract: id})
	case "reply":
		if m.ID == "" || arg == "" {
			return false
		}
		s.Message(backend.Message{User: m.User, Buddy: Echo, Body: arg, ID: p.newID(), ReplyToID: m.ID})
	default:
		return false
	}
	return true
}

// Event mirrors the user's reactions to echo's messages and retractions of messages to echo.
func (p *Plugin) Event(_ context.Context, s *backend.Sink, e backend.Event) {
	if e.Buddy != Echo {
		return
	}
	switch {
	case e.ReactTo != "":
		if orig, ok := strings.CutPrefix(e.ReactTo, echoPrefix); ok {
			r := e.Reactions
			if len(r) > maxReactions {
				r = r[:maxReactions]
			}
			s.Event(backend.Event{User: e.User, Buddy: Echo, ReactTo: orig, Reactions: r})
		}
	case e.Retract != "":
		s.Event(backend.Event{User: e.User, Buddy: Echo, Retract: echoPrefix + e.Retract})
	}
}
