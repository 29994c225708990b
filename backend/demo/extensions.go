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
//   - the user marks echo-X displayed (XEP-0333, or a XEP-0184 receipt: both come as
//     CONV_MESSAGE_ACK): echo marks X displayed;
//   - the commands "react EMOJI", "correct TEXT", "retract", "reply TEXT" and
//     "displayed": echo reacts to that message, sends a message and corrects it to TEXT,
//     sends a message and retracts it, answers it with TEXT as a reply, or marks it
//     displayed.
//
// In a room (#lobby) the network echoes the user's line with its id X (and its
// correction and reply), and the user's reactions and retractions, from the user's own
// nickname; the answering bot (Babbage) is echo there: its answer is echo-X, it mirrors
// what the user does to it and acts on the commands (roomchat.go, roomext.go).
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

// sender is who acts on a command: echo in a one-to-one chat, a bot in a room.
type sender struct {
	buddy, nick string // the contact or room; the bot's nickname in a room
}

func (f sender) msg(user, body, id string) backend.Message {
	return backend.Message{User: user, Buddy: f.buddy, Nickname: f.nick, Body: body, ID: id}
}

func (f sender) event(user string) backend.Event {
	return backend.Event{User: user, Buddy: f.buddy, Nickname: f.nick}
}

// echoCommand handles the commands of the extensions; false when m is none.
func (p *Plugin) echoCommand(s *backend.Sink, m backend.Message) bool {
	sends := p.command(s, m, sender{buddy: Echo}, m.ID)
	for _, f := range sends {
		f()
	}
	return sends != nil
}

// command is what from does on the command m (whose legacy id is id), as sends to run
// outside the plugin's lock; nil when m is none. The commands: "react EMOJI", "correct
// TEXT", "retract", "reply TEXT" and "displayed" (a XEP-0333 marker for m).
func (p *Plugin) command(s *backend.Sink, m backend.Message, from sender, id string) []func() {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(m.Body), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(cmd) {
	case "react":
		if id == "" || arg == "" {
			return nil
		}
		ev := from.event(m.User)
		ev.ReactTo, ev.Reactions = id, []string{arg}
		return []func(){func() { s.Event(ev) }}
	case "correct":
		if arg == "" {
			return nil
		}
		first := from.msg(m.User, CorrectFirst, p.newID())
		fix := from.msg(m.User, arg, p.newID())
		fix.ReplaceID = first.ID
		return []func(){func() { s.Message(first) }, func() { s.Message(fix) }}
	case "retract":
		if arg != "" {
			return nil
		}
		first := from.msg(m.User, RetractFirst, p.newID())
		ev := from.event(m.User)
		ev.Retract = first.ID
		return []func(){func() { s.Message(first) }, func() { s.Event(ev) }}
	case "reply":
		if id == "" || arg == "" {
			return nil
		}
		r := from.msg(m.User, arg, p.newID())
		r.ReplyToID = id
		return []func(){func() { s.Message(r) }}
	case "displayed":
		if id == "" || arg != "" {
			return nil
		}
		ev := from.event(m.User)
		ev.Displayed = id
		return []func(){func() { s.Event(ev) }}
	}
	return nil
}

// Event mirrors the user's reactions to echo's messages and retractions of messages to
// echo; in a room the network reflects them and the bot mirrors them (roomext.go).
func (p *Plugin) Event(_ context.Context, s *backend.Sink, e backend.Event) {
	if strings.HasPrefix(e.Buddy, "#") {
		p.roomEvent(s, e)
		return
	}
	if e.Buddy != Echo {
		return
	}
	for _, ev := range mirror(e, sender{buddy: Echo}) {
		s.Event(ev)
	}
}

// mirror is from's answer to the user's event e: the same reactions to the original of
// its copy, the retraction of its copy of the retracted message.
func mirror(e backend.Event, from sender) []backend.Event {
	ev := from.event(e.User)
	switch {
	case e.ReactTo != "":
		orig, ok := strings.CutPrefix(e.ReactTo, echoPrefix)
		if !ok {
			return nil
		}
		r := e.Reactions
		if len(r) > maxReactions {
			r = r[:maxReactions]
		}
		ev.ReactTo, ev.Reactions = orig, r
	case e.Retract != "":
		ev.Retract = echoPrefix + e.Retract
	default:
		return nil
	}
	return []backend.Event{ev}
}

// Displayed: when the user has read echo's copy of a message (a XEP-0333 displayed or
// XEP-0184 received marker, CONV_MESSAGE_ACK), echo marks the original displayed; in a
// room the answering bot does.
func (p *Plugin) Displayed(_ context.Context, s *backend.Sink, user, buddy, id string) {
	orig, ok := strings.CutPrefix(id, echoPrefix)
	if !ok {
		return
	}
	from := sender{buddy: Echo}
	if strings.HasPrefix(buddy, "#") {
		var found bool
		p.withRoom(user, buddy, func(rm *room) []func() {
			if b, ok := rm.answerer(); ok {
				from, found = sender{buddy: rm.name, nick: b.nick}, true
			}
			return nil
		})
		if !found {
			return
		}
	} else if buddy != Echo {
		return
	}
	ev := from.event(user)
	ev.Displayed = orig
	s.Event(ev)
}
