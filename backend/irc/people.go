package irc

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lrstanley/girc"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// onNick reports a nick change in every channel. Our own change sets the room nickname
// first (ROOM_NICKNAME_CHANGED, then the rename: spec 4.3).
func (n *network) onNick(e girc.Event) {
	if e.Source == nil || len(e.Params) == 0 {
		return
	}
	old, nick := e.Source.Name, e.Params[0]
	oldKey := strings.ToLower(old)
	me := n.isMe(old)
	type renamed struct {
		r *room
		m member
	}
	// One entry per joined room the nick is in: at most len(n.rooms), the rooms the daemon
	// joined on this connection (router.Limits.Rooms, 256 a user; the IRC server refuses
	// channels past its own limit, ERR_TOOMANYCHANNELS). TestNickRenamesPerRoom.
	var list []renamed
	n.mu.Lock()
	if me {
		n.nick = nick
	}
	for _, r := range n.rooms {
		m, ok := r.members.get(oldKey)
		if !ok || !r.joined {
			continue
		}
		list = append(list, renamed{r, m})
		r.members.del(oldKey)
		m.nick = nick
		r.members.put(m)
		if me {
			r.nick = nick
		}
	}
	n.mu.Unlock()
	for _, x := range list {
		if me {
			n.s.sink.RoomNicknameChanged(n.s.user, x.r.name, nick)
		}
		n.participant(x.r, &x.m, x.m.status(), "", nick, 0)
	}
}

// onMode follows op changes: "MODE <channel> <modes> <params...>". Op (and owner, admin,
// halfop) makes a moderator (spec 3.12); voice and bans change no flag.
func (n *network) onMode(e girc.Event) {
	if len(e.Params) < 2 || !girc.IsValidChannel(e.Params[0]) {
		return
	}
	args := e.Params[2:]
	adding := true
	var changed []member
	n.mu.Lock()
	r := n.roomOf(e.Params[0])
	for _, c := range e.Params[1] {
		switch {
		case c == '+' || c == '-':
			adding = c == '+'
		case strings.ContainsRune("qaohv", c) && len(args) > 0:
			if m, ok := n.modeMember(r, args[0]); ok && c != 'v' {
				m.flags = flagIf(adding)
				r.members.put(m)
				changed = append(changed, m)
			}
			args = args[1:]
		case strings.ContainsRune("beIk", c) || c == 'l' && adding:
			if len(args) > 0 {
				args = args[1:]
			}
		}
	}
	n.mu.Unlock()
	for i := range changed {
		n.participant(r, &changed[i], changed[i].status(), "", "", 0)
	}
}

// modeMember finds nick in r; the caller holds n.mu.
func (n *network) modeMember(r *room, nick string) (member, bool) {
	if r == nil || !r.joined {
		return member{}, false
	}
	return r.members.get(strings.ToLower(nick))
}

func flagIf(moderator bool) pb.ParticipantFlag {
	if moderator {
		return pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	return pb.ParticipantFlag_PARTICIPANT_FLAG_NONE
}

// onWho reads the away flag of RPL_WHOREPLY:
// "<me> <channel> <user> <host> <server> <nick> <H|G>[*][@|+] :<hops> <realname>"
// and reports changes (session.cpp:522-543).
func (n *network) onWho(e girc.Event) {
	if len(e.Params) < 7 || n.isMe(e.Params[5]) {
		return
	}
	away := strings.HasPrefix(e.Params[6], "G")
	n.mu.Lock()
	r := n.roomOf(e.Params[1])
	var m member
	found := false
	if r != nil && r.joined {
		m, found = r.members.get(strings.ToLower(e.Params[5]))
	}
	changed := found && m.away != away
	if changed {
		m.away = away
		r.members.put(m)
	}
	n.mu.Unlock()
	if changed {
		n.participant(r, &m, m.status(), "", "", 0)
	}
}

// awayCheckMaxMembers is the largest channel whose away flags are polled. Each WHO
// answers a line per member, and every connection of the gateway in a channel polls it:
// 500 users in each of 10 channels cost the backends and the server 2.5 million lines a
// minute (issue 26). HexChat stops at the same size (its away_size_max, default 300);
// WeeChat at 25 (irc.server.away_check_max_nicks).
const awayCheckMaxMembers = 300

// pollAway sends WHO for every joined channel of at most awayCheckMaxMembers members
// each irc_away_timeout, staggered by the channel's index as libcommuni does
// (session.cpp:84, 522-543). It runs on a timer rather than a goroutine of its own
// (issue 26: memory per IRC user); the timer ends with the connection.
func (n *network) pollAway() {
	period := n.s.p.opts.awayTimeout
	var t atomic.Pointer[time.Timer]
	t.Store(time.AfterFunc(period, func() {
		if n.ctx.Err() != nil {
			return
		}
		for _, ch := range n.channelsToPoll() {
			n.send(girc.WHO, ch)
		}
		t.Load().Reset(period)
	}))
	context.AfterFunc(n.ctx, func() { t.Load().Stop() })
}

// channelsToPoll lists the IRC names of the joined channels of at most
// awayCheckMaxMembers members.
func (n *network) channelsToPoll() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, r := range n.rooms {
		if r.joined && r.members.len() <= awayCheckMaxMembers {
			out = append(out, r.channel)
		}
	}
	return out
}

// joinedChannels lists the IRC names of the joined channels.
func (n *network) joinedChannels() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, r := range n.rooms {
		if r.joined {
			out = append(out, r.channel)
		}
	}
	return out
}

// setAway sends AWAY with text, or AWAY without it to come back.
func (n *network) setAway(text string) {
	if text == "" {
		n.send(girc.AWAY)
		return
	}
	n.send(girc.AWAY, text)
}

// onTopicReply stores RPL_TOPIC ("<me> <channel> :topic"), sent while joining.
func (n *network) onTopicReply(e girc.Event) {
	if len(e.Params) < 2 {
		return
	}
	topic := StripFormatting(e.Last())
	n.mu.Lock()
	r := n.roomOf(e.Params[1])
	joined := r != nil && r.joined
	if r != nil {
		r.topic = topic
	}
	n.mu.Unlock()
	if joined {
		n.s.sink.RoomSubject(backend.Message{User: n.s.user, Buddy: r.name, Body: topic})
	}
}

// onTopic reports a topic change: "TOPIC <channel> :topic".
func (n *network) onTopic(e girc.Event) {
	if e.Source == nil || len(e.Params) < 1 {
		return
	}
	topic := StripFormatting(e.Last())
	n.mu.Lock()
	r := n.roomOf(e.Params[0])
	if r != nil {
		r.topic, r.setter = topic, e.Source.Name
	}
	joined := r != nil && r.joined
	n.mu.Unlock()
	if joined {
		n.s.sink.RoomSubject(backend.Message{User: n.s.user, Buddy: r.name, Nickname: e.Source.Name, Body: topic})
	}
}

// setTopic sets the topic of a joined room (spec 3.12, subject XMPP => backend).
func (n *network) setTopic(name, topic string) {
	n.mu.Lock()
	r := n.rooms[name]
	n.mu.Unlock()
	if r != nil {
		n.send(girc.TOPIC, r.channel, topic)
	}
}
