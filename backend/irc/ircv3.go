package irc

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lrstanley/girc"

	"github.com/gospectrum/spectrum2/backend"
)

// IRCv3 message tags (issue 24). girc asks every server for message-tags and
// server-time; echo-message is asked for too (Config.SupportedCaps), so that the user's
// own messages come back with the msgid the server gave them. A network that grants
// message-tags carries, in one-to-one chats (channels: sayInRoom, roomTags,
// roomReaction, roomEvent):
//
//   - msgid: the ConversationMessage id of every message from IRC (features.msgids);
//   - +draft/reply: a reply both ways (features.replies); an id of the user's own message
//     is the client's id towards the daemon and its msgid towards IRC (ownIDs);
//   - +draft/react and +draft/unreact on TAGMSG: reactions both ways (features.reactions),
//     one emoji per TAGMSG on IRC and the sender's full set towards the daemon;
//   - +typing: the contact's chat states.
//
// The features are announced for the whole backend, before any server is known, so on a
// network without message-tags (ngircd) this backend applies the daemon's fallbacks
// itself: a reply goes as its text with the client's quote, a reaction as
// service.reaction_fallback says ("text": a line "reacted 👍"; "drop"; "error": the
// user is told by a headline message that it was not sent, as the backend cannot answer
// the client's stanza). Corrections have no IRCv3 form and are not announced: the
// daemon's fallback (docs/protocol-extensions.md) applies. InspIRCd 3 has no
// draft/message-redaction, so retractions are not announced either.

// The bounds of the per-connection memory of ids and reactions: past them the oldest
// entry goes (an id then travels unmapped, a reaction set starts afresh).
const (
	maxOwnIDs      = 1024
	maxPendingEcho = 256
	maxReactionSet = 1024
)

// Client-only tags of the IRCv3 drafts.
const (
	tagMsgID   = "msgid"
	tagReply   = "+draft/reply"
	tagReact   = "+draft/react"
	tagUnreact = "+draft/unreact"
	tagTyping  = "+typing"
)

// bounded is a map that forgets its oldest key past max.
type bounded[V any] struct {
	max   int
	m     map[string]V
	order []string
}

func newBounded[V any](max int) *bounded[V] { return &bounded[V]{max: max, m: map[string]V{}} }

func (b *bounded[V]) get(k string) (V, bool) { v, ok := b.m[k]; return v, ok }

func (b *bounded[V]) put(k string, v V) {
	if _, ok := b.m[k]; !ok {
		if len(b.order) >= b.max {
			delete(b.m, b.order[0])
			b.order = b.order[1:]
		}
		b.order = append(b.order, k)
	}
	b.m[k] = v
}

func (b *bounded[V]) len() int { return len(b.m) }

// tagState is what one connection remembers for the tags, under network.mu.
type tagState struct {
	// ownIDs maps both ways between the client's id of a message of the user and the
	// msgid the server gave it (learnt from echo-message): "c:"+id -> msgid, "i:"+msgid -> id.
	ownIDs *bounded[string]
	// pending are the user's messages sent with an id, waiting for their echo, in order.
	pending []pendingEcho
	// sent is the set of reactions the user sent to a message, by target and msgid.
	sent *bounded[[]string]
	// got is the set of reactions a contact sent to a message, by sender and msgid.
	got *bounded[[]string]
	// senders is the nick that sent a channel message, by msgid ("" for the user), for the
	// sender of a reply.
	senders *bounded[string]
}

// pendingEcho is a message of the user sent as text to target with the client's id; in
// a channel, room is its legacy name and body the whole message, echoed to the daemon
// once the server's echo of its first line tells its msgid.
type pendingEcho struct{ target, text, id, room, body string }

func newTagState() tagState {
	return tagState{ownIDs: newBounded[string](2 * maxOwnIDs), sent: newBounded[[]string](maxReactionSet),
		got: newBounded[[]string](maxReactionSet), senders: newBounded[string](maxOwnIDs)}
}

// tags reports whether the server granted message-tags on this connection.
func (n *network) tags() bool {
	return n.client.IsConnected() && n.client.HasCapability("message-tags")
}

// escapeTag escapes a tag value (IRCv3 message-tags); girc's Tags.Set refuses anything
// but printable ASCII, so emoji are written here.
var escapeTag = strings.NewReplacer(`\`, `\\`, ";", `\:`, " ", `\s`, "\r", `\r`, "\n", `\n`)

// tagged is an event with client tags kv (key, raw value, ...), values escaped.
func tagged(cmd string, params []string, kv ...string) *girc.Event {
	e := &girc.Event{Command: cmd, Params: params, Tags: girc.Tags{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Tags[kv[i]] = escapeTag.Replace(kv[i+1])
	}
	return e
}

// queue queues an event; a full queue drops it (the network is not keeping up).
func (n *network) queue(e *girc.Event) {
	n.outMu.Lock()
	defer n.outMu.Unlock()
	if len(n.out) >= outQueue {
		n.s.logger().Warn().Str("command", e.Command).Msg("IRC send queue full, dropping")
		return
	}
	n.out = append(n.out, e)
	n.startWriter()
}

// toIRCID is the msgid to name towards IRC for an id the daemon gave: the server's msgid
// of the user's own message, else the id itself (a contact's msgid).
func (n *network) toIRCID(id string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.tagState.ownIDs.get("c:" + id); ok {
		return v
	}
	return id
}

// fromIRCID is the id to give the daemon for a msgid from IRC, and whether it names a
// message of the user.
func (n *network) fromIRCID(msgid string) (id string, own bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.tagState.ownIDs.get("i:" + msgid); ok {
		return v, true
	}
	return msgid, false
}

// sayTagged sends the user's message m to target: with +draft/reply (and without the
// client's quote) when m replies and the server carries tags, otherwise as say does; the
// client's id is remembered to learn the server's msgid from the echo.
func (n *network) sayTagged(target string, m backend.Message) {
	body := m.Body
	var kv []string
	if m.ReplyToID != "" && n.tags() {
		kv = append(kv, tagReply, n.toIRCID(m.ReplyToID))
		if end := m.ReplyFallbackEnd; end > 0 && end <= utf8.RuneCountInString(body) {
			body = strings.TrimLeft(string([]rune(body)[end:]), "\r\n")
		}
	}
	if m.ID != "" && n.tags() && n.client.HasCapability("echo-message") {
		if first := firstLine(body); first != "" {
			n.notePending(target, first, m.ID)
		}
	}
	n.sayWith(target, body, kv)
}

// notePending remembers that the user's message id went to target as text, until its
// echo; past maxPendingEcho the oldest is forgotten (its msgid is then not learnt).
func (n *network) notePending(target, text, id string) {
	n.addPending(pendingEcho{target: strings.ToLower(target), text: text, id: id})
}

func (n *network) addPending(p pendingEcho) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ts := &n.tagState
	if len(ts.pending) >= maxPendingEcho {
		ts.pending = ts.pending[1:]
	}
	ts.pending = append(ts.pending, p)
}

// sayInRoom sends the user's message m to the channel of r, with +draft/reply when it
// replies. With echo-message it reports true: the server's echo of the first line is
// what goes to the daemon as the user's message, the whole body with the line's msgid as
// its id, so that the room's archive keeps the id the channel's members name it by.
func (n *network) sayInRoom(r *room, m backend.Message) bool {
	body := m.Body
	var kv []string
	tags := n.tags()
	if m.ReplyToID != "" && tags {
		kv = append(kv, tagReply, m.ReplyToID) // a room's ids are the msgids themselves
		if end := m.ReplyFallbackEnd; end > 0 && end <= utf8.RuneCountInString(body) {
			body = strings.TrimLeft(string([]rune(body)[end:]), "\r\n")
		}
	}
	first := firstLine(body)
	echo := tags && n.client.HasCapability("echo-message") && first != ""
	if echo {
		n.addPending(pendingEcho{target: strings.ToLower(r.channel), text: first, id: m.ID, room: r.name, body: m.Body})
	}
	n.sayWith(r.channel, body, kv)
	return echo
}

// firstLine is the first non-empty line of body as say sends it.
func firstLine(body string) string {
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if line != "" {
			if text, ok := strings.CutPrefix(line, "/me "); ok {
				return girc.EncodeCTCPRaw(girc.CTCP_ACTION, text)
			}
			return line
		}
	}
	return ""
}

// onEcho learns the msgid of the user's own message from the server's echo
// (echo-message); the echo itself is not delivered (room messages are echoed by the
// backend already, as libcommuni did).
func (n *network) onEcho(e girc.Event) {
	msgid, ok := e.Tags.Get(tagMsgID)
	if !ok || msgid == "" || len(e.Params) < 2 {
		return
	}
	target, text := strings.ToLower(e.Params[0]), e.Last()
	n.mu.Lock()
	defer n.mu.Unlock()
	ts := &n.tagState
	for i, p := range ts.pending {
		if p.target == target && p.text == text {
			ts.pending = append(ts.pending[:i:i], ts.pending[i+1:]...)
			if p.room != "" {
				// In a room the msgid is the message's id for everyone, the user included.
				ts.senders.put(msgid, "")
				own := n.nick
				n.mu.Unlock()
				n.s.sink.Message(backend.Message{User: n.s.user, Buddy: p.room, Nickname: own, Body: p.body, ID: msgid})
				n.mu.Lock()
				return
			}
			if p.id != "" {
				ts.ownIDs.put("c:"+p.id, msgid)
				ts.ownIDs.put("i:"+msgid, p.id)
			}
			return
		}
	}
}

// roomTags fills in a channel message's id and reply from e's tags. The reply names its
// message's sender by nick, which the backend knows for the messages it saw; a reply to
// one it did not see travels as its text only.
func (n *network) roomTags(e girc.Event, msg *backend.Message) {
	id, ok := e.Tags.Get(tagMsgID)
	if !ok || id == "" {
		return
	}
	msg.ID = id
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tagState.senders.put(id, msg.Nickname)
	if to, ok := e.Tags.Get(tagReply); ok && to != "" {
		if sender, known := n.tagState.senders.get(to); known {
			msg.ReplyToID, msg.ReplyToSender = to, sender
		}
	}
}

// incomingTags fills in msg's id, reply and time from e's tags (one-to-one: the contact
// is buddy).
func (n *network) incomingTags(e girc.Event, msg *backend.Message, buddy string) {
	if id, ok := e.Tags.Get(tagMsgID); ok {
		msg.ID = id
	}
	if to, ok := e.Tags.Get(tagReply); ok && to != "" && buddy != "" {
		id, own := n.fromIRCID(to)
		msg.ReplyToID, msg.ReplyToSender = id, buddy
		if own {
			msg.ReplyToSender = ""
		}
	}
	// server-time: a message older than a minute is a replay (a bouncer's playback), which
	// the client should see with its time; live ones carry none (no <delay/>).
	if _, ok := e.Tags.Get("time"); ok && time.Since(e.Timestamp) > time.Minute {
		msg.Timestamp = e.Timestamp.UTC().Format("20060102T150405")
	}
}

// onTagMsg handles a TAGMSG: a contact's or channel member's reaction (+draft/react,
// +draft/unreact on the message +draft/reply names) or a contact's typing state.
func (n *network) onTagMsg(e girc.Event) {
	if e.Source == nil || len(e.Params) < 1 || e.Echo {
		return
	}
	from := e.Source.Name
	n.mu.Lock()
	own := strings.EqualFold(from, n.nick)
	var r *room
	if girc.IsValidChannel(e.Params[0]) {
		r = n.roomOf(e.Params[0])
	}
	n.mu.Unlock()
	if own {
		return // echo-message of our own reaction
	}
	if girc.IsValidChannel(e.Params[0]) {
		if r != nil {
			n.roomReaction(e, r, from)
		}
		return
	}
	buddy := from + n.suffix
	if st, ok := e.Tags.Get(tagTyping); ok {
		state := map[string]backend.TypingState{"active": backend.Typing, "paused": backend.Paused, "done": backend.StoppedTyping}
		if s, known := state[st]; known {
			n.s.sink.Typing(n.s.user, buddy, s)
		}
	}
	react, isReact := e.Tags.Get(tagReact)
	unreact, isUnreact := e.Tags.Get(tagUnreact)
	to, _ := e.Tags.Get(tagReply)
	if (!isReact && !isUnreact) || to == "" {
		return
	}
	id, _ := n.fromIRCID(to)
	key := strings.ToLower(buddy) + "\x00" + to
	n.mu.Lock()
	set, _ := n.tagState.got.get(key)
	if isReact && react != "" {
		set = addReaction(set, react)
	}
	if isUnreact {
		set = removeReaction(set, unreact)
	}
	n.tagState.got.put(key, set)
	n.mu.Unlock()
	ev := backend.Event{User: n.s.user, Buddy: buddy, ReactTo: id, Reactions: set}
	ev.ID, _ = e.Tags.Get(tagMsgID)
	n.s.sink.Event(ev)
}

// roomReaction delivers a channel member's reaction: the member's set for the message,
// which the room names by its msgid.
func (n *network) roomReaction(e girc.Event, r *room, from string) {
	react, isReact := e.Tags.Get(tagReact)
	unreact, isUnreact := e.Tags.Get(tagUnreact)
	to, _ := e.Tags.Get(tagReply)
	if (!isReact && !isUnreact) || to == "" {
		return
	}
	key := r.name + "\x00" + strings.ToLower(from) + "\x00" + to
	n.mu.Lock()
	set, _ := n.tagState.got.get(key)
	if isReact && react != "" {
		set = addReaction(set, react)
	}
	if isUnreact {
		set = removeReaction(set, unreact)
	}
	n.tagState.got.put(key, set)
	n.mu.Unlock()
	ev := backend.Event{User: n.s.user, Buddy: r.name, Nickname: from, ReactTo: to, Reactions: set}
	ev.ID, _ = e.Tags.Get(tagMsgID)
	n.s.sink.Event(ev)
}

// maxReactions bounds one message's set of reactions from one sender.
const maxReactions = 32

func addReaction(set []string, r string) []string {
	for _, x := range set {
		if x == r {
			return set
		}
	}
	if len(set) >= maxReactions {
		return set
	}
	return append(append([]string(nil), set...), r)
}

func removeReaction(set []string, r string) []string {
	out := make([]string, 0, len(set))
	for _, x := range set {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}

// event sends the user's reactions to a contact's message: the difference between the
// set e carries and the one sent before, one TAGMSG per emoji. Without message-tags the
// reaction_fallback applies (see above).
func (n *network) event(target string, e backend.Event) {
	if e.ReactTo == "" {
		n.s.logger().Debug().Msg("CONV_EVENT without a reaction dropped (retractions are not announced)")
		return
	}
	if !n.tags() {
		n.reactionFallback(target, e)
		return
	}
	msgid := n.toIRCID(e.ReactTo)
	key := strings.ToLower(target) + "\x00" + msgid
	n.mu.Lock()
	before, _ := n.tagState.sent.get(key)
	var now []string
	for _, r := range e.Reactions {
		now = addReaction(now, r)
	}
	n.tagState.sent.put(key, now)
	n.mu.Unlock()
	for _, r := range now {
		if !contains(before, r) {
			n.queue(tagged(girc.CAP_TAGMSG, []string{target}, tagReply, msgid, tagReact, r))
		}
	}
	for _, r := range before {
		if !contains(now, r) {
			n.queue(tagged(girc.CAP_TAGMSG, []string{target}, tagReply, msgid, tagUnreact, r))
		}
	}
}

func contains(set []string, r string) bool {
	for _, x := range set {
		if x == r {
			return true
		}
	}
	return false
}

// reactionFallback is service.reaction_fallback on a network without message tags.
func (n *network) reactionFallback(target string, e backend.Event) {
	switch n.s.p.opts.reactionFallback {
	case "drop":
	case "text":
		if len(e.Reactions) > 0 {
			n.say(target, "reacted "+strings.Join(e.Reactions, " "))
		}
	default: // "error"
		n.s.sink.Message(backend.Message{User: n.s.user, Buddy: e.Buddy, Headline: true,
			Body: "Your reaction was not sent: this IRC server does not carry message tags (IRCv3)."})
	}
}

// roomEvent sends the user's reactions in the channel of r, as event does, and echoes
// them to the daemon from the user's nick (as room messages are echoed). Without message
// tags: "text" sends the line (echoed too), "drop" nothing, "error" tells the user by a
// message from the room itself.
func (n *network) roomEvent(r *room, e backend.Event) {
	if e.ReactTo == "" {
		return
	}
	n.mu.Lock()
	own := n.nick
	n.mu.Unlock()
	if n.tags() {
		n.event(r.channel, e)
		n.s.sink.Event(backend.Event{User: n.s.user, Buddy: r.name, Nickname: own, ID: e.ID,
			ReactTo: e.ReactTo, Reactions: e.Reactions})
		return
	}
	switch n.s.p.opts.reactionFallback {
	case "drop":
	case "text":
		if len(e.Reactions) > 0 {
			line := "reacted " + strings.Join(e.Reactions, " ")
			n.say(r.channel, line)
			n.s.sink.Message(backend.Message{User: n.s.user, Buddy: r.name, Nickname: own, Body: line})
		}
	default:
		n.s.sink.Message(backend.Message{User: n.s.user, Buddy: r.name,
			Body: "Your reaction was not sent: this IRC server does not carry message tags (IRCv3)."})
	}
}
