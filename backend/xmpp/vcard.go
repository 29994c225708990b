package xmpp

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

// VCard fetches a vCard (XEP-0054): the user's own for an empty name or the user's own
// legacy name, a room participant's for "room/nick", else the contact's. Every request
// is answered, with an empty card when the server fails or is slow (spec 3.11).
func (p *Plugin) VCard(_ context.Context, s *backend.Sink, r backend.VCardRequest) {
	empty := backend.VCard{User: r.User, Buddy: r.Buddy, ID: r.ID}
	sess, c := p.live(r.User)
	if c == nil {
		s.VCard(empty)
		return
	}
	get := stanza.New(stanza.NSClient, "iq", "type", "get").Append(stanza.New(stanza.NSVCard, "vCard"))
	if r.Buddy != "" && !sess.self(r.Buddy) {
		get.SetAttr("to", r.Buddy)
	}
	c.request(get, p.cfg.VCardTimeout, func(reply *stanza.Element) {
		v := empty
		if vc := child(reply, stanza.NSVCard, "vCard"); vc != nil && reply.Type() == "result" {
			v.FullName = vc.ChildText(stanza.NSVCard, "FN")
			v.Nickname = vc.ChildText(stanza.NSVCard, "NICKNAME")
			v.Photo = photoOf(vc)
		}
		s.VCard(v)
	})
}

// photoOf decodes PHOTO/BINVAL; nil if there is none.
func photoOf(vc *stanza.Element) []byte {
	bin := child(child(vc, stanza.NSVCard, "PHOTO"), stanza.NSVCard, "BINVAL")
	if bin == nil {
		return nil
	}
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, bin.Text())
	b, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil
	}
	return b
}

// UpdateVCard publishes the user's new avatar and nickname: the stored vCard is fetched,
// its PHOTO and NICKNAME replaced and stored again, so that the other fields stay. Then
// the presence carries the new hash (XEP-0153), which is how contacts learn of it (spec
// 5.3 "avatar").
func (p *Plugin) UpdateVCard(_ context.Context, _ *backend.Sink, u backend.VCardUpdate) {
	sess, c := p.live(u.User)
	if c == nil {
		return
	}
	get := stanza.New(stanza.NSClient, "iq", "type", "get").Append(stanza.New(stanza.NSVCard, "vCard"))
	c.request(get, p.cfg.VCardTimeout, func(reply *stanza.Element) {
		vc := child(reply, stanza.NSVCard, "vCard")
		if vc == nil || reply.Type() != "result" {
			vc = stanza.New(stanza.NSVCard, "vCard")
		}
		vc.RemoveChildren(stanza.NSVCard, "PHOTO")
		if len(u.Photo) > 0 {
			vc.Append(stanza.New(stanza.NSVCard, "PHOTO").Append(
				stanza.New(stanza.NSVCard, "TYPE").AppendText(http.DetectContentType(u.Photo)),
				stanza.New(stanza.NSVCard, "BINVAL").AppendText(base64.StdEncoding.EncodeToString(u.Photo))))
		}
		if u.Nickname != "" {
			vc.RemoveChildren(stanza.NSVCard, "NICKNAME")
			vc.Append(stanza.New(stanza.NSVCard, "NICKNAME").AppendText(u.Nickname))
		}
		set := stanza.New(stanza.NSClient, "iq", "type", "set").Append(vc)
		c.request(set, p.cfg.VCardTimeout, func(reply *stanza.Element) {
			if reply == nil || reply.Type() != "result" {
				sess.log.Warn().Msg("storing the vCard failed")
				return
			}
			sess.setPhotoHash(u.Photo)
			sess.sendPresence(c)
		})
	})
}

// setPhotoHash records the SHA-1 of the user's avatar ("" for none, XEP-0153).
func (s *session) setPhotoHash(photo []byte) {
	h := ""
	if len(photo) > 0 {
		sum := sha1.Sum(photo)
		h = hex.EncodeToString(sum[:])
	}
	s.mu.Lock()
	s.photoHash = &h
	s.mu.Unlock()
}
