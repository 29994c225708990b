package router

import (
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// vcardRequest is a client vCard get waiting for the backend (spec 3.11).
type vcardRequest struct {
	rs    *resource
	iq    *xmpp.Element
	timer *time.Timer
}

// vcardFromClient handles vcard-temp get and set (spec 3.11).
func (u *user) vcardFromClient(rs *resource, iq *xmpp.Element, t target) {
	if iq.Type() == "set" {
		u.vcardSet(rs, iq, t)
		return
	}
	if !u.legacyOnline() {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaServiceUnavailable, ""))
		return
	}
	if len(u.vcards) >= u.r.cfg.Limits.PendingIQs {
		u.refuse(rs, iq, "vCard requests awaiting the legacy network", u.r.cfg.Limits.PendingIQs)
		return
	}
	name := u.legacy // own vCard: the login's legacy name
	if t.kind == targetBuddy {
		name = t.legacy
	}
	id := u.r.vcardID.Add(1) // ids start at 1: 0 marks updates (spec 1.3)
	req := &pb.VCard{UserName: proto.String(u.key), BuddyName: proto.String(name), Id: proto.Int32(id)}
	if u.toBackend(pb.WrapperMessage_TYPE_VCARD, req) != nil {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaServiceUnavailable, ""))
		return
	}
	timer := time.AfterFunc(u.r.cfg.VCardTimeout, func() { u.post(func() { u.vcardTimeout(id) }) })
	setLazy(&u.vcards, id, &vcardRequest{rs: rs, iq: iq, timer: timer})
}

// vcardTimeout answers a request the backend left unanswered with an empty vCard.
func (u *user) vcardTimeout(id int32) {
	req := u.vcards[id]
	if req == nil {
		return
	}
	delete(u.vcards, id)
	u.send(req.rs, iqResult(req.iq).Append(xmpp.New(xmpp.NSVCard, "vCard")))
}

// failVCards answers pending requests when the legacy session ends.
func (u *user) failVCards() {
	for id, req := range u.vcards {
		req.timer.Stop()
		delete(u.vcards, id)
		u.send(req.rs, iqResult(req.iq).Append(xmpp.New(xmpp.NSVCard, "vCard")))
	}
}

// vcardFromBackend answers the pending request with the backend's VCARD.
func (u *user) vcardFromBackend(v *pb.VCard) {
	req := u.vcards[v.GetId()]
	if req == nil {
		u.log.Debug().Int32("id", v.GetId()).Msg("VCARD for no pending request")
		return
	}
	req.timer.Stop()
	delete(u.vcards, v.GetId())
	card := xmpp.New(xmpp.NSVCard, "vCard")
	if s := validUTF8(v.GetFullname()); s != "" {
		card.Append(xmpp.New(xmpp.NSVCard, "FN").AppendText(s))
	}
	if s := validUTF8(v.GetNickname()); s != "" {
		card.Append(xmpp.New(xmpp.NSVCard, "NICKNAME").AppendText(s))
	}
	if len(v.GetPhoto()) > 0 {
		bin := xmpp.New(xmpp.NSVCard, "BINVAL").AppendText(base64.StdEncoding.EncodeToString(v.GetPhoto()))
		card.Append(xmpp.New(xmpp.NSVCard, "PHOTO").Append(bin))
	}
	u.send(req.rs, iqResult(req.iq).Append(card))
}

func validUTF8(s string) string { return strings.ToValidUTF8(s, "_") }

// vcardSet publishes the user's own vCard: VCARD update with id 0 (spec 3.11).
func (u *user) vcardSet(rs *resource, iq *xmpp.Element, t target) {
	if t.kind != targetNone && t.kind != targetSelf {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeAuth, xmpp.StanzaForbidden, ""))
		return
	}
	card := iq.Child(xmpp.NSVCard, "vCard")
	if u.sendVCardUpdate(card) != nil {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaServiceUnavailable, ""))
		return
	}
	u.send(rs, iqResult(iq))
	u.ownVCardHooks(card) // features: the photo becomes the PEP avatar (XEP-0398)
}

// sendVCardUpdate sends VCARD{buddyName "", id 0, photo, nickname} from a vCard element.
func (u *user) sendVCardUpdate(card *xmpp.Element) error {
	var photo []byte
	var nick string
	if card != nil {
		nick = card.ChildText(xmpp.NSVCard, "NICKNAME")
		if p := card.Child(xmpp.NSVCard, "PHOTO"); p != nil {
			b64 := strings.Join(strings.Fields(p.ChildText(xmpp.NSVCard, "BINVAL")), "")
			photo, _ = base64.StdEncoding.DecodeString(b64)
		}
	}
	if photo == nil {
		photo = []byte{} // spec 3.11: photo always present
	}
	return u.toBackend(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{
		UserName: proto.String(u.key), BuddyName: proto.String(""), Id: proto.Int32(0),
		Photo: photo, Nickname: proto.String(nick),
	})
}

// checkPhoto starts the own-avatar flow (spec 3.6): a new photo hash in the presence makes
// us fetch the user's vCard from the client and pass it on as a VCARD update.
func (u *user) checkPhoto(rs *resource, p *xmpp.Element) {
	x := p.Child(xmpp.NSVCardUpd, "x")
	if x == nil || x.Child(xmpp.NSVCardUpd, "photo") == nil {
		return
	}
	hash := x.ChildText(xmpp.NSVCardUpd, "photo")
	if hash == "" || hash == u.photoHash || !utf8.ValidString(hash) {
		return
	}
	u.photoHash = hash
	for id, full := range u.ownVCard {
		if full == rs.key {
			delete(u.ownVCard, id) // superseded by this hash: one request per resource
		}
	}
	id := u.r.nextID("vc")
	setLazy(&u.ownVCard, id, rs.key)
	iq := xmpp.New(xmpp.NSClient, "iq", "type", "get", "id", id, "to", rs.key)
	u.send(rs, iq.Append(xmpp.New(xmpp.NSVCard, "vCard")))
}

// ownVCardResult forwards the client's answer to our vCard get.
func (u *user) ownVCardResult(iq *xmpp.Element) {
	if iq.Type() != "result" {
		return
	}
	_ = u.sendVCardUpdate(iq.Child(xmpp.NSVCard, "vCard"))
}
