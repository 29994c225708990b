package matrix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// maxContacts bounds the contacts (and so the rooms and names) kept per user; m.direct
// beyond it is ignored.
const maxContacts = 2000

// maxJoined bounds the joined rooms remembered (to tell direct chats that are joined from
// those that are not); rooms joined past it are not contacts' rooms.
const maxJoined = maxContacts + maxRoomList

// join records a joined room, within maxJoined; r.mu is held.
func (r *roster) join(room id.RoomID) {
	if len(r.joined) < maxJoined {
		r.joined[room] = true
	}
}

// roster is what the session keeps of the account: the m.direct map, the rooms it has
// joined, and the display names of its contacts. No other room state is kept.
type roster struct {
	mu     sync.Mutex
	direct map[id.UserID][]id.RoomID // m.direct, as the homeserver last sent it
	joined map[id.RoomID]bool        // joined rooms that m.direct names
	names  map[id.UserID]string      // display names of contacts
	sent   map[id.UserID]string      // contacts sent to the daemon: alias and presence
	status map[id.UserID]presence    // contacts' presence (m.presence), when the homeserver sent it
	// avatars are the contacts' avatars (mxc URIs, "" for none) as their member events,
	// presences or profiles name them; hashes the SHA-1 of each fetched (avatar.go), want
	// those to fetch.
	avatars map[id.UserID]id.ContentURIString
	hashes  map[id.ContentURIString]string
	want    map[id.ContentURIString]bool
}

// presence is a contact's Matrix presence as the daemon's status.
type presence struct {
	status pb.StatusType
	text   string
}

func newRoster() roster {
	return roster{direct: map[id.UserID][]id.RoomID{}, joined: map[id.RoomID]bool{},
		names: map[id.UserID]string{}, sent: map[id.UserID]string{}, status: map[id.UserID]presence{},
		avatars: map[id.UserID]id.ContentURIString{}, hashes: map[id.ContentURIString]string{},
		want: map[id.ContentURIString]bool{}}
}

// dmRoom is a joined direct-message room with u, "" if none.
func (r *roster) dmRoom(u id.UserID) id.RoomID {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, room := range r.direct[u] {
		if r.joined[room] {
			return room
		}
	}
	return ""
}

// contactOf is the contact whose direct room this is, "" if it is none.
func (r *roster) contactOf(room id.RoomID) id.UserID {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.joined[room] {
		return ""
	}
	for u, rooms := range r.direct {
		if slices.Contains(rooms, room) {
			return u
		}
	}
	return ""
}

// syncFilter keeps /sync small: m.direct; of rooms the state the roster, the room list
// and the occupants need (members, lazily; power levels, topic, name, alias, encryption),
// messages and encrypted events (to say they cannot be shown), typing and receipts;
// presence (of contacts, used), nothing of room account data.
func syncFilter() *mautrix.Filter {
	none := &mautrix.FilterPart{NotTypes: []event.Type{{Type: "*"}}}
	state := []event.Type{event.StateMember, event.StatePowerLevels, event.StateTopic, event.StateRoomName,
		event.StateCanonicalAlias, event.StateEncryption}
	return &mautrix.Filter{
		EventFormat: mautrix.EventFormatClient,
		AccountData: &mautrix.FilterPart{Types: []event.Type{event.AccountDataDirectChats}},
		Presence:    &mautrix.FilterPart{Types: []event.Type{event.EphemeralEventPresence}},
		Room: &mautrix.RoomFilter{
			State: &mautrix.FilterPart{Types: state, LazyLoadMembers: true},
			Timeline: &mautrix.FilterPart{Types: append(state, event.EventMessage, event.EventEncrypted,
				event.EventReaction, event.EventRedaction), Limit: 20},
			Ephemeral:   &mautrix.FilterPart{Types: []event.Type{event.EphemeralEventTyping, event.EphemeralEventReceipt}},
			AccountData: none,
		},
	}
}

// handleSync applies one /sync response: the roster first (so that a message from a new
// contact finds it), then the rooms, then, except in the initial sync (history), the
// messages, typing and receipts of direct chats.
func (s *session) handleSync(resp *mautrix.RespSync, initial bool) {
	for _, ev := range resp.AccountData.Events {
		if ev.Type.Type != event.AccountDataDirectChats.Type {
			continue
		}
		_ = ev.Content.ParseRaw(event.AccountDataDirectChats)
		if dc, ok := ev.Content.Parsed.(*event.DirectChatsEventContent); ok {
			s.r.setDirect(*dc)
		}
	}
	s.r.mu.Lock()
	for room, jr := range resp.Rooms.Join {
		s.r.join(room)
		for _, ev := range append(jr.State.Events, jr.Timeline.Events...) {
			s.r.member(ev)
		}
	}
	for room := range resp.Rooms.Leave {
		delete(s.r.joined, room)
	}
	s.r.mu.Unlock()
	s.directInvites(resp)
	s.presences(resp)
	s.publishRoster()
	for room, jr := range resp.Rooms.Join {
		events := append(jr.State.Events, jr.Timeline.Events...)
		s.roomInfoEvents(room, events)
		s.roomEvents(room, events, initial, false)
	}
	for room, lr := range resp.Rooms.Leave {
		s.roomEvents(room, append(lr.State.Events, lr.Timeline.Events...), initial, true)
		s.forgetRoom(room)
	}
	s.roomInvites(resp)
	s.publishRoomList()
	if initial {
		return
	}
	for room, jr := range resp.Rooms.Join {
		for _, ev := range jr.Timeline.Events {
			switch ev.Type {
			case event.EventMessage, event.EventEncrypted:
				s.incoming(room, ev)
			case event.EventReaction, event.EventRedaction:
				s.reactionOrRedaction(room, ev) // extensions.go
			}
		}
		for _, ev := range jr.Ephemeral.Events {
			s.ephemeral(room, ev)
		}
	}
}

// presences takes the contacts' m.presence events: online is available, unavailable
// (idle) away, offline unavailable, each with its status message. Others' are ignored.
func (s *session) presences(resp *mautrix.RespSync) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, ev := range resp.Presence.Events {
		if _, contact := s.r.direct[ev.Sender]; !contact {
			continue
		}
		_ = ev.Content.ParseRaw(event.EphemeralEventPresence)
		pc, ok := ev.Content.Parsed.(*event.PresenceEventContent)
		if !ok {
			continue
		}
		p := presence{status: pb.StatusType_STATUS_NONE, text: pc.StatusMessage}
		switch pc.Presence {
		case event.PresenceOnline:
			p.status = pb.StatusType_STATUS_ONLINE
		case event.PresenceUnavailable:
			p.status = pb.StatusType_STATUS_AWAY
		}
		s.r.status[ev.Sender] = p // bounded: contacts only
		if pc.AvatarURL != "" {
			s.r.setAvatar(ev.Sender, pc.AvatarURL)
		}
	}
}

// isDirect reports whether room is a direct chat of m.direct.
func (r *roster) isDirect(room id.RoomID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rooms := range r.direct {
		if slices.Contains(rooms, room) {
			return true
		}
	}
	return false
}

// setDirect takes a new m.direct, bounded to maxContacts.
func (r *roster) setDirect(dc event.DirectChatsEventContent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.direct = make(map[id.UserID][]id.RoomID, min(len(dc), maxContacts))
	for u, rooms := range dc {
		if len(r.direct) >= maxContacts {
			break
		}
		r.direct[u] = rooms
	}
	for u := range r.status {
		if _, contact := r.direct[u]; !contact {
			delete(r.status, u) // no longer a contact
		}
	}
	for u := range r.avatars {
		if _, contact := r.direct[u]; !contact {
			delete(r.avatars, u)
		}
	}
}

// member records a contact's display name from its member event; r.mu is held.
func (r *roster) member(ev *event.Event) {
	if ev.Type != event.StateMember || ev.StateKey == nil {
		return
	}
	u := id.UserID(*ev.StateKey)
	if _, contact := r.direct[u]; !contact {
		return
	}
	_ = ev.Content.ParseRaw(event.StateMember)
	m, ok := ev.Content.Parsed.(*event.MemberEventContent)
	if !ok || (m.Membership != event.MembershipJoin && m.Membership != event.MembershipInvite) {
		return
	}
	if m.Displayname != "" {
		r.names[u] = m.Displayname
	}
	r.setAvatar(u, m.AvatarURL)
}

// publishRoster sends the daemon the contacts that are new or renamed, and removes those
// whose direct rooms are gone. A contact without a known display name gets its profile's.
// pub orders it with the avatar worker's updates.
func (s *session) publishRoster() {
	s.pub.Lock()
	defer s.pub.Unlock()
	s.r.mu.Lock()
	var current []id.UserID
	for u, rooms := range s.r.direct {
		if slices.ContainsFunc(rooms, func(room id.RoomID) bool { return s.r.joined[room] }) {
			current = append(current, u)
		}
	}
	s.r.mu.Unlock()
	for _, u := range current {
		s.publishContact(u)
	}
	s.r.mu.Lock()
	var gone []id.UserID
	for u := range s.r.sent {
		if !slices.Contains(current, u) {
			gone = append(gone, u)
			delete(s.r.sent, u)
		}
	}
	s.r.mu.Unlock()
	for _, u := range gone {
		s.sink.BuddyRemoved(s.user, buddyName(u))
	}
}

// publishContact sends the contact u when its alias, presence or avatar hash changed;
// s.pub is held.
func (s *session) publishContact(u id.UserID) {
	alias := s.displayName(u)
	s.r.mu.Lock()
	p, ok := s.r.status[u]
	if !ok {
		p.status = pb.StatusType_STATUS_NONE
	}
	icon := s.avatarOf(u)
	key := alias + "\x00" + p.status.String() + "\x00" + p.text + "\x00"
	if icon != nil {
		key += "=" + *icon
	}
	old, known := s.r.sent[u]
	s.r.sent[u] = key
	s.r.mu.Unlock()
	if !known || old != key {
		s.sink.Buddy(backend.Buddy{User: s.user, Name: buddyName(u), Alias: alias, Status: p.status,
			StatusMessage: p.text, IconHash: icon})
	}
}

// displayName is u's name from its member event or, failing that, its profile (which
// names its avatar too).
func (s *session) displayName(u id.UserID) string {
	s.r.mu.Lock()
	name, ok := s.r.names[u]
	s.r.mu.Unlock()
	if ok {
		return name
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	resp, err := s.cli.GetProfile(ctx, u)
	if err == nil {
		name = resp.DisplayName
	}
	s.r.mu.Lock()
	s.r.names[u] = name
	if _, known := s.r.avatars[u]; err == nil && !known {
		s.r.setAvatar(u, resp.AvatarURL.CUString())
	}
	s.r.mu.Unlock()
	return name
}

// incoming delivers a message event of a contact's direct room (events.go: convert).
func (s *session) incoming(room id.RoomID, ev *event.Event) {
	contact := s.r.contactOf(room)
	if contact == "" || ev.Sender != contact {
		return // not a direct room, or our own message (from this or another client)
	}
	m, ok := s.convert(ev)
	if !ok {
		return
	}
	m.User, m.Buddy = s.user, buddyName(contact)
	s.relationsFromMatrix(room, ev, &m) // edits and replies (extensions.go)
	s.receipts.seen(room, ev.ID)
	s.sink.Message(m)
}

// createDM makes a direct-message room with u as Element does (a private chat with u
// invited as direct) and records it in m.direct, so that the user's other clients and
// the next login find it.
func (s *session) createDM(ctx context.Context, u id.UserID) (id.RoomID, error) {
	resp, err := s.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "trusted_private_chat",
		Invite: []id.UserID{u}, IsDirect: true})
	if err != nil {
		return "", fmt.Errorf("create room: %w", err)
	}
	s.r.mu.Lock()
	s.r.join(resp.RoomID)
	s.r.mu.Unlock()
	if err := s.addDirect(ctx, u, resp.RoomID); err != nil {
		return "", err
	}
	s.log.Info().Str("room", string(resp.RoomID)).Str("with", string(u)).Msg("direct chat created")
	return resp.RoomID, nil
}

// addDirect adds room to the m.direct entry of u: the account data as the homeserver has
// it now (another client may have changed it since the last sync), plus room.
func (s *session) addDirect(ctx context.Context, u id.UserID, room id.RoomID) error {
	dc := event.DirectChatsEventContent{}
	if err := s.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &dc); err != nil &&
		!errors.Is(err, mautrix.MNotFound) {
		return fmt.Errorf("read m.direct: %w", err)
	}
	if !slices.Contains(dc[u], room) {
		dc[u] = append(dc[u], room)
	}
	if err := s.cli.SetAccountData(ctx, event.AccountDataDirectChats.Type, dc); err != nil {
		return fmt.Errorf("write m.direct: %w", err)
	}
	s.r.setDirect(dc)
	return nil
}

// maxInvites bounds the direct-chat invitations handled per sync; the rest wait for the
// next one (the homeserver keeps them).
const maxInvites = 16

// directInvites accepts the invitations to direct chats (the inviter's member event for
// the user says is_direct): the room is joined and recorded in m.direct, so the inviter
// becomes a contact. Other invitations are rooms (rooms.go).
func (s *session) directInvites(resp *mautrix.RespSync) {
	n := 0
	for room, inv := range resp.Rooms.Invite {
		inviter, direct := s.inviteOf(inv)
		if !direct {
			continue
		}
		if n++; n > maxInvites {
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
		_, err := s.cli.JoinRoomByID(ctx, room)
		if err == nil {
			s.r.mu.Lock()
			s.r.join(room)
			s.r.mu.Unlock()
			err = s.addDirect(ctx, inviter, room)
		}
		cancel()
		if err != nil {
			s.log.Info().Err(err).Str("room", string(room)).Msg("direct chat invitation not accepted")
			continue
		}
		s.log.Info().Str("room", string(room)).Str("from", string(inviter)).Msg("direct chat invitation accepted")
	}
}

// inviteOf reads an invitation's stripped state: who invited the user, and whether as a
// direct chat.
func (s *session) inviteOf(inv *mautrix.SyncInvitedRoom) (inviter id.UserID, direct bool) {
	me := s.cli.UserID
	for _, ev := range inv.State.Events {
		if ev.Type != event.StateMember || ev.StateKey == nil || id.UserID(*ev.StateKey) != me {
			continue
		}
		_ = ev.Content.ParseRaw(event.StateMember)
		if m, ok := ev.Content.Parsed.(*event.MemberEventContent); ok && m.Membership == event.MembershipInvite {
			return ev.Sender, m.IsDirect && ev.Sender != "" && ev.Sender != me
		}
	}
	return "", false
}
