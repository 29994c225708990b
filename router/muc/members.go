package muc

import "unique"

// DefaultMaxMembers bounds the other participants a user's view of one room keeps
// (Config.MaxMembers): a backend's room can be as large as its network allows (builtin:irc
// keeps at most service.irc_max_room_members, 5,000 by default; a third-party backend or a
// Matrix room may send more).
const DefaultMaxMembers = 10000

// members is the other participants of one room as one user sees them, in arrival order.
//
// Every user in a legacy room holds its own view of the members (each sees the room
// through its own legacy session), and those views are nearly always alike: 1,000 IRC
// users in channels of 100 held 100,000 participant records, some 200 bytes each with
// their strings and map entries. The records are interned (unique.Make, which also copies
// their strings), so that a member in one state exists once for every user who sees it so,
// and a user's view costs a map slot and a handle per member; a record that no view
// holds any more is collected. A change makes a new record: records are never modified.
type members struct {
	byKey map[unique.Handle[string]]member // jidmap.Key(nick) -> member
	// order is the keys in arrival order, with holes where members left: an entry counts
	// only where its member's pos points at it. Removing in place cost a copy of the rest
	// per leave, quadratic in a netsplit that takes thousands at once.
	order []unique.Handle[string]
	holes int
}

type member struct {
	p   unique.Handle[participant]
	pos int // its key's index in order
}

// get is the member with key (jidmap.Key of its nick).
func (m *members) get(key string) (participant, bool) {
	e, ok := m.byKey[unique.Make(key)]
	if !ok {
		return participant{}, false
	}
	return e.p.Value(), true
}

// put adds or replaces the member with key; false when it is new and the view holds max
// members already (max <= 0: no bound).
func (m *members) put(key string, p participant, max int) bool {
	k := unique.Make(key)
	if e, ok := m.byKey[k]; ok {
		e.p = unique.Make(p)
		m.byKey[k] = e
		return true
	}
	if max > 0 && len(m.byKey) >= max {
		return false
	}
	if m.byKey == nil {
		m.byKey = make(map[unique.Handle[string]]member)
	}
	m.byKey[k] = member{p: unique.Make(p), pos: len(m.order)}
	m.order = append(m.order, k)
	return true
}

// remove forgets the member with key; false when there was none.
func (m *members) remove(key string) bool {
	k := unique.Make(key)
	if _, ok := m.byKey[k]; !ok {
		return false
	}
	delete(m.byKey, k)
	if m.holes++; m.holes > len(m.order)/2 {
		m.compact()
	}
	return true
}

// compact drops the holes of order, keeping the arrival order.
func (m *members) compact() {
	live := m.order[:0]
	for i, k := range m.order {
		if e, ok := m.byKey[k]; ok && e.pos == i {
			e.pos = len(live)
			m.byKey[k] = e
			live = append(live, k)
		}
	}
	clear(m.order[len(live):])
	m.order, m.holes = live, 0
}

// len is the number of members.
func (m *members) len() int { return len(m.byKey) }

// all calls f for each member in arrival order until f returns false.
func (m *members) all(f func(participant) bool) {
	for i, k := range m.order {
		if e, ok := m.byKey[k]; ok && e.pos == i && !f(e.p.Value()) {
			return
		}
	}
}
