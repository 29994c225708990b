package archive

import (
	"errors"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// The archive keeps the legacy network's id of each entry beside its stanza-id, so that
// a reference from either side names the right message on the other (feature.MessageIDs,
// issue 24): a client reacts to a room message by the stanza-id the room gave it, the
// backend reacts by the network's id. The entries of the user's last recentIDs messages
// are remembered on the user's actor, since the writer may not have stored them yet;
// older ones are looked up in the store.

// recentIDs bounds the entries remembered per user.
const recentIDs = 256

// The lengths of our stanza-ids: those the store derives from row ids (22), and the
// random ones of newID (12 bytes, base64 unpadded), given before migration 8 of the
// store or when it could not reserve ids.
const (
	derivedIDLen = 22
	stanzaIDLen  = 16
)

var _ feature.MessageIDs = (*Archive)(nil)

// idEntry is one remembered entry.
type idEntry struct{ room, stanzaID, legacyID string }

// idRing holds a user's last recentIDs entries with a legacy id, oldest overwritten.
type idRing struct {
	e    [recentIDs]idEntry
	next int
}

type idsKey struct{}

// remember notes an entry just archived for u.
func remember(u feature.User, room, stanzaID, legacyID string) {
	if legacyID == "" {
		return
	}
	r, _ := u.Value(idsKey{}).(*idRing)
	if r == nil {
		r = &idRing{}
		u.SetValue(idsKey{}, r)
	}
	r.e[r.next%recentIDs] = idEntry{room: room, stanzaID: stanzaID, legacyID: legacyID}
	r.next++
}

// recent finds the newest remembered entry that match selects.
func recent(u feature.User, match func(idEntry) bool) (idEntry, bool) {
	r, _ := u.Value(idsKey{}).(*idRing)
	if r == nil {
		return idEntry{}, false
	}
	for i := 1; i <= recentIDs && i <= r.next; i++ {
		if e := r.e[(r.next-i)%recentIDs]; match(e) {
			return e, true
		}
	}
	return idEntry{}, false
}

// roomKey is room as the archive files it: the bare JID, "" for the user's own.
func roomKey(room string) string {
	if room == "" {
		return ""
	}
	if j, err := jid.Parse(room); err == nil {
		return j.Bare().String()
	}
	return room
}

// LegacyID implements feature.MessageIDs.
func (a *Archive) LegacyID(u feature.User, room, stanzaID string) (string, bool) {
	room = roomKey(room)
	if stanzaID == "" {
		return "", false
	}
	if e, ok := recent(u, func(e idEntry) bool { return e.room == room && e.stanzaID == stanzaID }); ok {
		return e.legacyID, true
	}
	if len(stanzaID) != stanzaIDLen && len(stanzaID) != derivedIDLen {
		return "", false // not one of ours (newID): most references name a client's own id
	}
	return a.lookup(u, func(db store.ArchiveStore) (store.ArchiveEntry, error) {
		ctx, cancel := a.ctx()
		defer cancel()
		return db.ArchiveByStanzaID(ctx, u.JID().String(), room, stanzaID)
	}, func(e store.ArchiveEntry) string { return e.LegacyID })
}

// StanzaID implements feature.MessageIDs.
func (a *Archive) StanzaID(u feature.User, room, legacyID string) (string, bool) {
	room = roomKey(room)
	if legacyID == "" {
		return "", false
	}
	if e, ok := recent(u, func(e idEntry) bool { return e.room == room && e.legacyID == legacyID }); ok {
		return e.stanzaID, true
	}
	return a.lookup(u, func(db store.ArchiveStore) (store.ArchiveEntry, error) {
		ctx, cancel := a.ctx()
		defer cancel()
		return db.ArchiveByLegacyID(ctx, u.JID().String(), room, legacyID)
	}, func(e store.ArchiveEntry) string { return e.StanzaID })
}

// lookup asks the store; an entry without the id wanted, or a store failure (logged),
// is not known.
func (a *Archive) lookup(u feature.User, get func(store.ArchiveStore) (store.ArchiveEntry, error), id func(store.ArchiveEntry) string) (string, bool) {
	e, err := get(a.cfg.Store)
	switch {
	case errors.Is(err, store.ErrUnknownID):
		return "", false
	case err != nil:
		a.log.Warn().Err(err).Str("jid", u.JID().String()).Msg("looking up a message id in the archive failed")
		return "", false
	}
	if v := id(e); v != "" {
		return v, true
	}
	return "", false
}
