package pep

import (
	"encoding/base64"
	"strings"

	"github.com/gospectrum/spectrum2/router/feature"
)

// published runs after a node changed: the user's avatar (XEP-0084) and nickname
// (XEP-0172) go to the legacy network as the own-vCard update, when the router offers it.
func (p *PEP) published(u feature.User, node string) {
	if node != NSAvatarMeta && node != NSNick {
		return
	}
	lp, ok := u.(feature.LegacyProfile)
	if !ok {
		return
	}
	nick, photo := p.profile(u.JID().String())
	if !lp.SetLegacyProfile(nick, photo) {
		p.log.Warn().Str("jid", u.JID().String()).Msg("the new avatar or nickname could not be sent to the backend")
		return
	}
	p.log.Info().Str("jid", u.JID().String()).Int("photo_bytes", len(photo)).Msg("avatar and nickname sent to the legacy network")
}

// profile reads the user's nickname and the image of its current avatar: the metadata's
// first <info/> without url, whose data item has the same id.
func (p *PEP) profile(user string) (nick string, photo []byte) {
	ctx, cancel := p.ctx()
	defer cancel()
	if its, err := p.cfg.Store.PEPItems(ctx, user, NSNick, nil, 1); err == nil && len(its) == 1 {
		if el, err := parse(its[0].Payload); err == nil && el.Is(NSNick, "nick") {
			nick = el.Text()
		}
	}
	its, err := p.cfg.Store.PEPItems(ctx, user, NSAvatarMeta, nil, 1)
	if err != nil || len(its) == 0 {
		return nick, nil
	}
	meta, err := parse(its[0].Payload)
	if err != nil {
		return nick, nil
	}
	var id string
	for _, info := range meta.Children() {
		if info.Is(NSAvatarMeta, "info") && info.Attr("url") == "" {
			id = info.Attr("id")
			break
		}
	}
	if id == "" {
		return nick, nil // <metadata/> without info: the avatar was removed
	}
	data, err := p.cfg.Store.PEPItems(ctx, user, NSAvatarData, []string{id}, 0)
	if err != nil || len(data) == 0 {
		return nick, nil
	}
	el, err := parse(data[0].Payload)
	if err != nil || !el.Is(NSAvatarData, "data") {
		return nick, nil
	}
	photo, _ = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
	return nick, photo
}
