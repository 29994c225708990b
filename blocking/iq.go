package blocking

import (
	"errors"
	"strconv"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// HandleIQ implements feature.IQHandler: blocklist get, block and unblock (XEP-0191
// section 3).
func (b *Blocking) HandleIQ(u feature.User, from string, iq, p *xmpp.Element) {
	l, err := b.load(u)
	if err != nil {
		b.log.Error().Err(err).Str("jid", u.JID().String()).Msg("reading the blocklist failed")
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaInternalServerError, ""))
		return
	}
	get := iq.Type() == "get"
	switch {
	case p.Local == "blocklist" && get:
		b.blocklist(u, l, from, iq)
	case p.Local == "block" && !get:
		b.block(u, l, from, iq, p)
	case p.Local == "unblock" && !get:
		b.unblock(u, l, from, iq, p)
	default:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
	}
}

// blocklist answers the list and makes from a resource that gets the pushes. The set
// holds bound resources only, so it is bounded by the user's resources.
func (b *Blocking) blocklist(u feature.User, l *list, from string, iq *xmpp.Element) {
	l.prune(u)
	l.interested[from] = true
	q := xmpp.New(NS, "blocklist")
	for _, j := range l.jids {
		q.Append(xmpp.New(NS, "item", "jid", j))
	}
	u.Send(from, result(iq).Append(q))
}

// items reads the JIDs of a block or unblock, normalised; a malformed one is an error.
func items(p *xmpp.Element) ([]string, bool) {
	var out []string
	for _, it := range p.Children() {
		if !it.Is(NS, "item") {
			continue
		}
		j, err := jid.Parse(it.Attr("jid"))
		if err != nil || it.Attr("jid") == "" {
			return nil, false
		}
		out = append(out, j.String())
	}
	return out, true
}

func (b *Blocking) block(u feature.User, l *list, from string, iq, p *xmpp.Element) {
	jids, ok := items(p)
	switch {
	case !ok:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, ""))
		return
	case len(jids) == 0: // section 3.3: at least one item
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "no item to block"))
		return
	}
	if err := b.store(u, jids, true); err != nil {
		u.Send(from, storeError(iq, err, b.cfg.MaxItems))
		return
	}
	var added []string
	for _, j := range jids {
		if l.add(j) {
			added = append(added, j)
		}
	}
	u.Send(from, result(iq))
	b.push(u, l, "block", jids)
	b.blocked2legacy(u, added, true)
}

func (b *Blocking) unblock(u feature.User, l *list, from string, iq, p *xmpp.Element) {
	jids, ok := items(p)
	if !ok {
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, ""))
		return
	}
	all := len(jids) == 0 // section 3.4: unblock everything
	if err := b.store(u, jids, false); err != nil {
		u.Send(from, storeError(iq, err, b.cfg.MaxItems))
		return
	}
	if all {
		jids = append([]string(nil), l.jids...)
	}
	var removed []string
	for _, j := range jids {
		if l.remove(j) {
			removed = append(removed, j)
		}
	}
	u.Send(from, result(iq))
	if all {
		b.push(u, l, "unblock", nil)
	} else {
		b.push(u, l, "unblock", jids)
	}
	b.blocked2legacy(u, removed, false)
}

// store writes a block (add) or an unblock; an empty unblock is unblock-all.
func (b *Blocking) store(u feature.User, jids []string, add bool) error {
	if add && len(jids) > b.cfg.MaxItems {
		return store.ErrFull
	}
	ctx, cancel := b.ctx()
	defer cancel()
	var err error
	if add {
		err = b.cfg.Store.Block(ctx, u.JID().String(), jids, b.cfg.MaxItems)
	} else {
		err = b.cfg.Store.Unblock(ctx, u.JID().String(), jids)
	}
	switch {
	case errors.Is(err, store.ErrFull):
		b.log.Warn().Str("jid", u.JID().String()).Int("max_items", b.cfg.MaxItems).Msg("blocklist full; block refused")
		return err
	case err != nil:
		b.log.Error().Err(err).Str("jid", u.JID().String()).Msg("writing the blocklist failed")
		return errStore
	}
	return nil
}

// storeError answers a block or unblock the store refused.
func storeError(iq *xmpp.Element, err error, max int) *xmpp.Element {
	if errors.Is(err, store.ErrFull) {
		return xmpp.ErrorReply(iq, xmpp.ErrTypeWait, "resource-constraint",
			"The blocklist would hold more than "+strconv.Itoa(max)+" JIDs.")
	}
	return xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaInternalServerError, "")
}

// push sends the change to every resource that asked for the blocklist (section 3.3);
// an empty jids is unblock-all. Resources that are gone are forgotten.
func (b *Blocking) push(u feature.User, l *list, op string, jids []string) {
	l.prune(u)
	for r := range l.interested {
		q := xmpp.New(NS, op)
		for _, j := range jids {
			q.Append(xmpp.New(NS, "item", "jid", j))
		}
		iq := xmpp.New(xmpp.NSClient, "iq", "type", "set", "id", "block-push-"+strconv.FormatUint(b.pushes.Add(1), 10), "from", u.JID().String())
		u.Send(r, iq.Append(q))
	}
}

// prune forgets the interested resources that are no longer bound.
func (l *list) prune(u feature.User) {
	bound := make(map[string]bool)
	for _, r := range u.Resources() {
		bound[r.JID] = true
	}
	for r := range l.interested {
		if !bound[r] {
			delete(l.interested, r)
		}
	}
}

// blocked2legacy mirrors a change on the legacy network for the JIDs that are legacy
// contacts, and for a new block tells the user's resources the contact is unavailable
// (its presences stop here, so the last one would stay shown).
func (b *Blocking) blocked2legacy(u feature.User, jids []string, blocked bool) {
	for _, j := range jids {
		pj, err := jid.Parse(j)
		if err != nil || pj.Localpart() == "" {
			continue
		}
		if blocked {
			u.SendAll(xmpp.New(xmpp.NSClient, "presence", "type", "unavailable", "from", j))
		}
		if pj.Resourcepart() == "" && u.BlockLegacy(j, blocked) {
			b.log.Debug().Str("jid", u.JID().String()).Bool("blocked", blocked).Msg("block sent to the legacy network")
		}
	}
}

// LegacyBlocked implements feature.LegacyBlocks: a contact the legacy network reports
// blocked joins the blocklist, one it reports unblocked leaves it, with pushes.
func (b *Blocking) LegacyBlocked(u feature.User, contact string, blocked bool) {
	l, err := b.load(u)
	if err != nil {
		b.log.Error().Err(err).Str("jid", u.JID().String()).Msg("reading the blocklist failed")
		return
	}
	if blocked == l.set[contact] {
		return
	}
	if err := b.store(u, []string{contact}, blocked); err != nil {
		return // logged
	}
	if blocked {
		l.add(contact)
		b.push(u, l, "block", []string{contact})
		return
	}
	l.remove(contact)
	b.push(u, l, "unblock", []string{contact})
}

// result is the empty result to iq.
func result(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("to", iq.From())
	return r
}
