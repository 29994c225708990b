package irc

import (
	"strings"

	"github.com/lrstanley/girc"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// handle is the one girc handler of a connection: girc runs it for every event in order.
func (n *network) handle(c *girc.Client, e girc.Event) {
	switch e.Command {
	case girc.INITIALIZED:
		n.initialized(c)
	case girc.DISCONNECTED:
		n.disconnected()
	case girc.RPL_WELCOME:
		n.onWelcome(e)
	case girc.RPL_NAMREPLY:
		n.onNames(e)
	case girc.RPL_ENDOFNAMES:
		n.onEndOfNames(e)
	case girc.RPL_TOPIC:
		n.onTopicReply(e)
	case girc.TOPIC:
		n.onTopic(e)
	case girc.JOIN:
		n.onJoin(e)
	case girc.PART:
		n.onPart(e)
	case girc.KICK:
		n.onKick(e)
	case girc.QUIT:
		n.onQuit(e)
	case girc.NICK:
		n.onNick(e)
	case girc.MODE:
		n.onMode(e)
	case girc.RPL_WHOREPLY:
		n.onWho(e)
	case girc.PRIVMSG, girc.NOTICE:
		n.onMessage(e)
	case girc.CAP_TAGMSG:
		n.onTagMsg(e) // ircv3.go
	case girc.ERROR:
		n.onError(e)
	default:
		n.handleReply(e)
	}
}

// handleReply handles numerics about errors and WHOIS.
func (n *network) handleReply(e girc.Event) {
	switch e.Command {
	case girc.ERR_ERRONEUSNICKNAME:
		// session.cpp:460-470.
		n.refuse(pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME, "Erroneous Nickname")
	case girc.ERR_PASSWDMISMATCH, girc.ERR_SASLFAIL:
		// Spec 4.3 says libcommuni reports ERR_PASSWDMISMATCH with error 1 (invalid
		// username); a wrong password is AUTHENTICATION_FAILED, which is what we send.
		n.refuse(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, "Password incorrect")
	case girc.ERR_BANNEDFROMCHAN, girc.ERR_BADCHANNELKEY, girc.ERR_INVITEONLYCHAN, girc.ERR_CHANNELISFULL:
		n.joinRefused(e, pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED)
	case girc.ERR_NOSUCHCHANNEL, girc.ERR_TOOMANYCHANNELS:
		n.joinRefused(e, pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND)
	default:
		n.whoisReply(e)
	}
}

// onWelcome: registered. CONNECTED (in per-room mode again, as libcommuni does: golden
// libcommuni-gateway.jsonl), identify, away, and the channels asked for meanwhile.
func (n *network) onWelcome(e girc.Event) {
	n.registered()
	n.mu.Lock()
	n.welcomed = true
	if len(e.Params) > 0 {
		n.nick = e.Params[0]
	}
	rooms := make([]*room, 0, len(n.rooms))
	for _, r := range n.rooms {
		rooms = append(rooms, r)
	}
	n.mu.Unlock()
	n.s.sink.Connected(n.s.user)
	n.identify()
	if away := n.s.currentAway(); away != "" {
		n.send(girc.AWAY, away)
	}
	for _, r := range rooms {
		n.sendJoin(r)
	}
	n.pollAway()
}

// identify sends irc_identify when a password was given and neither SASL nor PASS took
// it (spec 4.3, session.cpp:172-181).
func (n *network) identify() {
	o := n.s.p.opts
	if n.s.password == "" || o.sendPass || n.client.HasCapability("sasl") {
		return
	}
	target, text := identifyMessage(o.identify, n.s.legacy, n.s.password)
	if target != "" && text != "" {
		n.send(girc.PRIVMSG, target, text)
	}
}

// joinRefused reports a channel that would not let us in: "<me> <channel> :reason".
func (n *network) joinRefused(e girc.Event, flag pb.ParticipantFlag) {
	if len(e.Params) < 2 {
		return
	}
	n.mu.Lock()
	r := n.roomOf(e.Params[1])
	if r != nil && !r.joined {
		delete(n.rooms, r.name)
	} else {
		r = nil
	}
	n.mu.Unlock()
	if r != nil {
		n.selfError(r, flag, e.Last())
	}
}

// isMe tells whether nick is our own nickname.
func (n *network) isMe(nick string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.EqualFold(nick, n.nick)
}

// onJoin reports someone else joining a joined channel.
func (n *network) onJoin(e girc.Event) {
	if e.Source == nil || len(e.Params) == 0 || n.isMe(e.Source.Name) {
		return
	}
	n.mu.Lock()
	r := n.roomOf(e.Params[0])
	if r == nil || !r.joined {
		n.mu.Unlock()
		return
	}
	m := member{nick: e.Source.Name}
	ok, first := r.admit(&r.members, strings.ToLower(m.nick), strings.ToLower(n.nick), n.s.p.opts.roomMembers())
	if ok {
		r.members.put(m)
	}
	n.mu.Unlock()
	switch {
	case ok:
		n.participant(r, &m, pb.StatusType_STATUS_ONLINE, "", "", 0)
	case first:
		n.reportCapped(r)
	}
}

// onPart reports someone leaving: "PART <channels> [:reason]".
func (n *network) onPart(e girc.Event) {
	if e.Source == nil || len(e.Params) == 0 {
		return
	}
	reason := ""
	if len(e.Params) > 1 {
		reason = e.Last()
	}
	for _, ch := range strings.Split(e.Params[0], ",") {
		n.removeMember(ch, e.Source.Name, reason, 0)
	}
}

// onKick reports a kick: "KICK <channel> <nick> :reason". Our own kick ends the room.
func (n *network) onKick(e girc.Event) {
	if len(e.Params) < 2 {
		return
	}
	reason := ""
	if len(e.Params) > 2 {
		reason = e.Last()
	}
	n.removeMember(e.Params[0], e.Params[1], reason, pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED)
}

// removeMember reports nick gone from channel; if nick is ours the room is forgotten.
func (n *network) removeMember(channel, nick, reason string, flag pb.ParticipantFlag) {
	me := n.isMe(nick)
	n.mu.Lock()
	r := n.roomOf(channel)
	var m member
	found, untracked := false, false
	if r != nil && r.joined {
		m, found = r.members.get(strings.ToLower(nick))
		r.members.del(strings.ToLower(nick))
		if me {
			delete(n.rooms, r.name)
		}
		untracked = !found && !me && r.capped // refused at the member limit: never reported
	}
	n.mu.Unlock()
	if r == nil || !r.joined || untracked {
		return
	}
	if !found {
		m = member{nick: nick}
	}
	if me && flag == 0 {
		return // our own PART: the daemon asked for it
	}
	n.participant(r, &m, pb.StatusType_STATUS_NONE, reason, "", flag)
}

// onQuit reports a quit in every channel the nick was in.
func (n *network) onQuit(e girc.Event) {
	if e.Source == nil {
		return
	}
	key := strings.ToLower(e.Source.Name)
	type gone struct {
		r *room
		m member
	}
	var list []gone
	n.mu.Lock()
	for _, r := range n.rooms {
		if m, ok := r.members.get(key); ok && r.joined {
			r.members.del(key)
			list = append(list, gone{r, m})
		}
	}
	n.mu.Unlock()
	for i := range list {
		n.participant(list[i].r, &list[i].m, pb.StatusType_STATUS_NONE, e.Last(), "", 0)
	}
}

// onError reads the server's ERROR before it closes the link: before registration a
// password complaint (ngircd: "Access denied: Bad password?") is a refused login.
func (n *network) onError(e girc.Event) {
	n.mu.Lock()
	welcomed := n.welcomed
	n.mu.Unlock()
	if !welcomed && strings.Contains(strings.ToLower(e.Last()), "password") {
		n.refuse(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, "Password incorrect")
	}
}
