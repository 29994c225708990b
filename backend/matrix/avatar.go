package matrix

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"maunium.net/go/mautrix/id"
)

// Contacts' avatars in presences (XEP-0153): the daemon puts a buddy's iconHash into its
// presences as the vcard-temp:x:update photo hash, and clients that do not have that
// photo ask for the vCard (vcard.go), whose photo is the same avatar. XEP-0153 makes the
// hash the SHA-1 of the image, so each avatar is fetched once (a worker, off the sync
// loop) and its hash kept by mxc URI, which names immutable content.

// avatarOf is the hash of the contact's avatar for BUDDY_CHANGED: "" for none, nil while
// it is unknown or being fetched (the daemon keeps what it has). An avatar not fetched
// yet is queued for the worker. r.mu is held.
func (s *session) avatarOf(u id.UserID) *string {
	mxc, known := s.r.avatars[u]
	if !known {
		return nil
	}
	if mxc == "" {
		none := ""
		return &none
	}
	if h, ok := s.r.hashes[mxc]; ok {
		return &h
	}
	if len(s.r.want) < maxContacts {
		s.r.want[mxc] = true
		select {
		case s.avatarWake <- struct{}{}:
		default: // the worker is awake already
		}
	}
	return nil
}

// setAvatar records the avatar a contact's member or presence event names; r.mu is held.
func (r *roster) setAvatar(u id.UserID, mxc id.ContentURIString) {
	if _, contact := r.direct[u]; contact {
		r.avatars[u] = mxc
	}
}

// avatars fetches the avatars publishRoster queued, hashes them and sends the contacts
// that have them again, until the session ends. An avatar that cannot be fetched counts
// as none: the vCard will have no photo either.
func (s *session) avatars() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.avatarWake:
		}
		for {
			s.r.mu.Lock()
			var mxc id.ContentURIString
			for m := range s.r.want {
				mxc = m
				break
			}
			s.r.mu.Unlock()
			if mxc == "" || s.ctx.Err() != nil {
				break
			}
			hash := ""
			if uri, err := mxc.Parse(); err == nil {
				ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
				data, err := s.fetchMedia(ctx, uri)
				cancel()
				if err == nil {
					sum := sha1.Sum(data)
					hash = hex.EncodeToString(sum[:])
				} else {
					s.log.Debug().Err(err).Str("avatar", string(mxc)).Msg("avatar not fetched")
				}
			}
			s.r.mu.Lock()
			delete(s.r.want, mxc)
			if len(s.r.hashes) >= maxContacts {
				s.r.pruneHashes()
			}
			if len(s.r.hashes) < maxContacts {
				s.r.hashes[mxc] = hash
			}
			var with []id.UserID
			for u, m := range s.r.avatars {
				if _, sent := s.r.sent[u]; sent && m == mxc {
					with = append(with, u)
				}
			}
			s.r.mu.Unlock()
			s.pub.Lock()
			for _, u := range with {
				s.publishContact(u)
			}
			s.pub.Unlock()
		}
	}
}

// pruneHashes forgets the hashes of avatars no contact has any more; r.mu is held.
func (r *roster) pruneHashes() {
	used := make(map[id.ContentURIString]bool, len(r.avatars))
	for _, m := range r.avatars {
		used[m] = true
	}
	for m := range r.hashes {
		if !used[m] {
			delete(r.hashes, m)
		}
	}
}
