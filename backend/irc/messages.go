package irc

import (
	"strings"

	"github.com/lrstanley/girc"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// onMessage delivers a PRIVMSG or NOTICE: to a channel as a room message, to us as a
// private message (in the room we last wrote to the sender from, else 1:1). CTCP ACTION
// becomes "/me "; other CTCP is left to girc.
func (n *network) onMessage(e girc.Event) {
	if e.Source == nil || len(e.Params) < 2 || !strings.Contains(e.Source.String(), "!") {
		return // server notices
	}
	if e.Echo {
		n.onEcho(e) // echo-message: our own message's msgid (ircv3.go)
		return
	}
	body := e.Last()
	if ctcp := girc.DecodeCTCP(&e); ctcp != nil {
		if ctcp.Command != girc.CTCP_ACTION || e.Command != girc.PRIVMSG {
			return
		}
		body = "/me " + ctcp.Text
	}
	from := e.Source.Name
	msg := backend.Message{User: n.s.user, Body: StripFormatting(body), XHTML: FormattingToXHTML(body)}
	if girc.IsValidChannel(e.Params[0]) {
		n.mu.Lock()
		r := n.roomOf(e.Params[0])
		n.mu.Unlock()
		if r == nil {
			return
		}
		msg.Buddy, msg.Nickname = r.name, from
		n.roomTags(e, &msg) // ircv3.go
		n.s.sink.Message(msg)
		return
	}
	if e.Command == girc.NOTICE && n.checkIdentifyFailure(from, msg.Body) {
		return
	}
	key := strings.ToLower(from) + n.suffix
	if room := n.s.pmRoom(key); room != "" {
		msg.Buddy, msg.Nickname, msg.PM = room, from, true
		msg.ID, _ = e.Tags.Get(tagMsgID)
	} else {
		msg.Buddy = from + n.suffix
		n.incomingTags(e, &msg, msg.Buddy) // ircv3.go
	}
	n.s.sink.Message(msg)
}

// identifyFailures are how services say that the identify password was wrong.
var identifyFailures = []string{"invalid password", "password incorrect", "incorrect password", "wrong password"}

// checkIdentifyFailure recognises the answer of the identify target (NickServ) to a wrong
// password and ends the login with AUTHENTICATION_FAILED.
func (n *network) checkIdentifyFailure(from, text string) bool {
	o := n.s.p.opts
	if n.s.password == "" || o.sendPass {
		return false
	}
	target, _ := identifyMessage(o.identify, "", "")
	if !strings.EqualFold(from, target) {
		return false
	}
	lower := strings.ToLower(text)
	for _, f := range identifyFailures {
		if strings.Contains(lower, f) {
			n.refuse(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, text)
			return true
		}
	}
	return false
}

// message sends the user's message (spec 4.3): to a room, a room participant
// ("<room>/<nick>"), or a contact. Commands typed in a room or to one's own room nick
// (/whois, /topic, /nick) act as in Spectrum 2 (spec 5.3 muc_whois).
func (s *session) message(m backend.Message) {
	target := m.Buddy
	roomName, nick, inRoom := cutLast(target, "/")
	if !inRoom {
		roomName = ""
	}
	lookup := target
	if inRoom {
		lookup = roomName
	}
	n := s.find(strings.ToLower(lookup))
	if n == nil {
		s.logger().Debug().Msg("message for a network we are not connected to")
		return
	}
	n.userMessage(strings.ToLower(roomName), nick, m)
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// userMessage routes one message of the user on this network.
func (n *network) userMessage(roomName, nick string, m backend.Message) {
	n.mu.Lock()
	r := n.rooms[roomName]
	if roomName == "" {
		r = n.rooms[strings.ToLower(m.Buddy)]
	}
	own := n.nick
	n.mu.Unlock()
	switch {
	case r != nil && (nick == "" || strings.EqualFold(nick, own)):
		if n.command(r, m.Body) {
			return
		}
		if n.sayInRoom(r, m) { // ircv3.go
			return // the server's echo, with its msgid, is the echo
		}
		// libcommuni echoes the user's room messages with the own nickname (golden
		// libcommuni.jsonl); IRC servers do not (without echo-message).
		n.s.sink.Message(backend.Message{User: n.s.user, Buddy: r.name, Nickname: own, Body: m.Body, ID: m.ID})
	case nick != "":
		n.s.rememberPM(strings.ToLower(nick)+n.suffix, roomName)
		n.sayTagged(nick, m)
	default:
		ircNick, _ := n.s.splitName(m.Buddy)
		if n.command(nil, m.Body) {
			return
		}
		n.sayTagged(ircNick, m)
	}
}

// say sends body to target: one PRIVMSG per line (girc splits lines longer than the
// server allows), "/me " as CTCP ACTION.
func (n *network) say(target, body string) { n.sayWith(target, body, nil) }

// sayWith is say with client tags kv (key, value, ...) on the first line.
func (n *network) sayWith(target, body string, kv []string) {
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		if text, ok := strings.CutPrefix(line, "/me "); ok {
			line = girc.EncodeCTCPRaw(girc.CTCP_ACTION, text)
		}
		n.queue(tagged(girc.PRIVMSG, []string{target, line}, kv...))
		kv = nil
	}
}

// command runs "/whois nick" (or ".whois"), "/topic text" and "/nick name"; r is nil
// outside a room. It reports whether body was a command.
func (n *network) command(r *room, body string) bool {
	verb, arg, _ := strings.Cut(strings.TrimSpace(body), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "/whois", ".whois":
		if arg == "" {
			return false
		}
		n.startWhois(arg)
	case "/topic":
		if r == nil {
			return false
		}
		n.send(girc.TOPIC, r.channel, arg)
	case "/nick":
		if arg == "" {
			return false
		}
		n.send(girc.NICK, arg)
	default:
		return false
	}
	return true
}
