package matrix

import (
	"context"
	"slices"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Room history on a join: the last backfillCount messages of the room (/messages,
// backwards from now) go to the daemon after the occupants, oldest first, each with its
// time (Message.Timestamp: a XEP-0203 delay), as MUC history. The join's first sync
// carries some of the same events in its timeline: those before the user's own join
// event are history (the backfill's), and the event IDs delivered either way are kept
// (bounded, per room) so that none comes twice.
const (
	backfillCount = 20
	// backfillPages bounds the /messages requests of one backfill.
	backfillPages = 3
	// maxDelivered bounds the event IDs remembered per room against duplicates.
	maxDelivered = 2 * backfillCount
)

// fetchHistory reads the room's last messages, oldest first: up to backfillPages pages
// backwards, as a homeserver may count the events its filter drops (Dendrite counts the
// user's own join). Errors leave what was read: the join goes on without the rest.
func (s *session) fetchHistory(ctx context.Context, room id.RoomID) []*event.Event {
	filter := &mautrix.FilterPart{Types: []event.Type{event.EventMessage, event.EventEncrypted}, LazyLoadMembers: true}
	var evs []*event.Event
	from := ""
	for range backfillPages {
		resp, err := s.cli.Messages(ctx, room, from, "", mautrix.DirectionBackward, filter, backfillCount)
		if err != nil {
			s.log.Info().Err(err).Str("room", string(room)).Msg("room history not read")
			break
		}
		for _, ev := range resp.Chunk {
			if len(evs) < backfillCount && (ev.Type == event.EventMessage || ev.Type == event.EventEncrypted) {
				evs = append(evs, ev)
			}
		}
		if len(evs) >= backfillCount || len(resp.Chunk) == 0 || resp.End == "" || resp.End == from {
			break
		}
		from = resp.End
	}
	slices.Reverse(evs) // newest first from a backwards read
	return evs
}

// deliverHistory sends the history events not delivered yet as delayed room messages.
func (s *session) deliverHistory(rm *mucRoom, evs []*event.Event) {
	for _, ev := range evs {
		if ev.Type != event.EventMessage && ev.Type != event.EventEncrypted {
			continue
		}
		m, ok := s.convert(ev)
		if !ok {
			continue
		}
		s.rooms.mu.Lock()
		fresh := rm.deliver(ev.ID)
		m.Nickname = rm.nickOf(ev.Sender)
		s.rooms.mu.Unlock()
		if !fresh {
			continue // the sync delivered it already
		}
		m.User, m.Buddy = s.user, rm.name
		m.Timestamp = time.UnixMilli(ev.Timestamp).UTC().Format("20060102T150405")
		s.sink.Message(m)
	}
}

// deliver records that the event goes to the daemon; false if it went already.
// rooms.mu is held.
func (rm *mucRoom) deliver(ev id.EventID) bool {
	if slices.Contains(rm.delivered, ev) {
		return false
	}
	if len(rm.delivered) >= maxDelivered {
		rm.delivered = append(rm.delivered[:0], rm.delivered[1:]...)
	}
	rm.delivered = append(rm.delivered, ev)
	return true
}

// historyEnd is the index in events (a sync's state and timeline of the room) after the
// user's own join, while the room's first sync since the join is awaited: the messages
// before it are history, which the backfill delivers. 0 otherwise.
func (rm *mucRoom) historyEnd(events []*event.Event, me id.UserID) int {
	if !rm.fresh {
		return 0
	}
	rm.fresh = false
	end := 0
	for i, ev := range events {
		if ev.Type == event.StateMember && ev.StateKey != nil && id.UserID(*ev.StateKey) == me {
			_ = ev.Content.ParseRaw(event.StateMember)
			if mc, ok := ev.Content.Parsed.(*event.MemberEventContent); ok && mc.Membership == event.MembershipJoin {
				end = i + 1
			}
		}
	}
	return end
}
