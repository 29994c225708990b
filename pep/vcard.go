package pep

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// OwnVCard implements feature.OwnVCard: the PHOTO of a vCard the user sets becomes its
// avatar (XEP-0398 section 4, vCard to PEP): the image on the data node and its
// metadata, under the SHA-1 of the image as XEP-0084 asks; an empty PHOTO removes the
// avatar (<metadata/>), a vCard without PHOTO leaves it. The router already passed the
// vCard to the legacy network, so this is not sent there again.
func (p *PEP) OwnVCard(u feature.User, card *xmpp.Element) {
	ph := card.Child(xmpp.NSVCard, "PHOTO")
	if ph == nil {
		return
	}
	user := u.JID().String()
	r := &request{p: p, u: u, iq: xmpp.New(xmpp.NSClient, "iq", "type", "set"), user: user}
	r.out = func(el *xmpp.Element) {
		if el.Type() == "error" {
			p.log.Warn().Str("jid", user).Str("error", el.String()).
				Msg("the vCard's photo could not be published as the avatar")
		}
	}
	img, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(ph.ChildText(xmpp.NSVCard, "BINVAL")), ""))
	if err != nil {
		p.log.Warn().Err(err).Str("jid", user).Msg("a vCard PHOTO that is no base64")
		return
	}
	meta := xmpp.New(NSAvatarMeta, "metadata")
	if len(img) == 0 {
		p.publishItem(r, NSAvatarMeta, "current", meta, options{}, false)
		return
	}
	sum := sha1.Sum(img)
	id := hex.EncodeToString(sum[:])
	typ := ph.ChildText(xmpp.NSVCard, "TYPE")
	if typ == "" {
		typ = "image/png"
	}
	data := xmpp.New(NSAvatarData, "data").AppendText(base64.StdEncoding.EncodeToString(img))
	if !p.publishItem(r, NSAvatarData, id, data, options{}, false) {
		return
	}
	meta.Append(xmpp.New(NSAvatarMeta, "info", "id", id, "bytes", strconv.Itoa(len(img)), "type", typ))
	p.publishItem(r, NSAvatarMeta, id, meta, options{}, false)
}
