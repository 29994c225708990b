package pep

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/store"
)

// private answers private XML storage (XEP-0049). Its storage:bookmarks element is the
// Bookmarks 2 node seen the XEP-0048 way (XEP-0402 section 5.3): a get is built from the
// node's items, a set publishes and retracts items on it (with notifications), so a
// client of either kind sees the other's rooms. What else the element holds (<url/>) is
// kept as it was set.
func (r *request) private(q *xmpp.Element) {
	kids := q.Children()
	if len(kids) != 1 || kids[0].Space == "" || kids[0].Space == NSPrivate {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "", "one element of its own namespace expected")
		return
	}
	el := kids[0]
	if strings.HasPrefix(el.Space, "jabber:") {
		// XEP-0049 section 3: the protocol's own namespaces are not storage.
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", "namespaces under jabber: cannot be stored")
		return
	}
	if r.iq.Type() == "get" {
		r.privateGet(el)
		return
	}
	b := el.AppendXML(nil, "")
	if len(b) > r.p.cfg.MaxItemBytes {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", "at most "+strconv.Itoa(r.p.cfg.MaxItemBytes)+" bytes")
		return
	}
	if el.Is(NSBookmarks, "storage") && !r.syncBookmarks(el) {
		return
	}
	ctx, cancel := r.p.ctx()
	defer cancel()
	err := r.p.cfg.Store.SetPrivateXML(ctx, r.user, el.Space, b, r.p.cfg.MaxPrivate)
	switch {
	case errors.Is(err, store.ErrFull):
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaPolicyViolation, "",
			"at most "+strconv.Itoa(r.p.cfg.MaxPrivate)+" namespaces per user")
		return
	case err != nil:
		r.storeFailed(err)
		return
	}
	r.result(nil)
}

// privateGet returns the stored element, or an empty one of the asked name.
func (r *request) privateGet(ask *xmpp.Element) {
	ctx, cancel := r.p.ctx()
	defer cancel()
	b, err := r.p.cfg.Store.PrivateXML(ctx, r.user, ask.Space)
	if err != nil {
		r.storeFailed(err)
		return
	}
	el := xmpp.New(ask.Space, ask.Local)
	if b != nil {
		if el, err = parse(b); err != nil {
			r.storeFailed(err)
			return
		}
	}
	if ask.Is(NSBookmarks, "storage") {
		if el, err = r.bookmarksFromNode(el); err != nil {
			r.storeFailed(err)
			return
		}
	}
	r.result(xmpp.New(NSPrivate, "query").Append(el))
}

// bookmarksFromNode replaces the conferences of a XEP-0048 storage element with the
// Bookmarks 2 node's items.
func (r *request) bookmarksFromNode(el *xmpp.Element) (*xmpp.Element, error) {
	ctx, cancel := r.p.ctx()
	defer cancel()
	its, err := r.p.cfg.Store.PEPItems(ctx, r.user, NSBookmarks2, nil, 0)
	if err != nil {
		return nil, err
	}
	el.RemoveChildren(NSBookmarks, "conference")
	for i := len(its) - 1; i >= 0; i-- {
		pl, err := parse(its[i].Payload)
		if err != nil || !pl.Is(NSBookmarks2, "conference") {
			continue
		}
		c := xmpp.New(NSBookmarks, "conference", "jid", its[i].ID, "name", pl.Attr("name"))
		if a := pl.Attr("autojoin"); a == "1" || a == "true" {
			c.SetAttr("autojoin", "true")
		}
		for _, k := range []string{"nick", "password"} {
			if v := pl.ChildText(NSBookmarks2, k); v != "" {
				c.Append(xmpp.New(NSBookmarks, k).AppendText(v))
			}
		}
		el.Append(c)
	}
	return el, nil
}

// bookmarks2Options are the publish-options of XEP-0402 section 3.
func (p *PEP) bookmarks2Options() options {
	t, w, m := true, AccessWhitelist, p.cfg.MaxItems
	return options{access: &w, persist: &t, max: &m}
}

// syncBookmarks makes the Bookmarks 2 node hold the conferences of a XEP-0048 storage
// element: new or changed ones are published, missing ones retracted; false after an
// answered error.
func (r *request) syncBookmarks(el *xmpp.Element) bool {
	ctx, cancel := r.p.ctx()
	defer cancel()
	old, err := r.p.cfg.Store.PEPItems(ctx, r.user, NSBookmarks2, nil, 0)
	if err != nil {
		r.storeFailed(err)
		return false
	}
	have := map[string]string{}
	for _, it := range old {
		if pl, err := parse(it.Payload); err == nil {
			have[it.ID] = bookmarkKey(pl)
		} else {
			have[it.ID] = ""
		}
	}
	want := map[string]bool{}
	for _, c := range el.Children() {
		j := c.Attr("jid")
		if !c.Is(NSBookmarks, "conference") || j == "" || want[j] {
			continue
		}
		want[j] = true
		pl := bookmark2(c)
		if k, ok := have[j]; ok && k == bookmarkKey(pl) {
			continue
		}
		if !r.p.publishItem(r, NSBookmarks2, j, pl, r.p.bookmarks2Options(), false) {
			return false
		}
	}
	for id := range have {
		if want[id] {
			continue
		}
		if _, err := r.p.cfg.Store.RetractPEPItem(ctx, r.user, NSBookmarks2, id); err != nil {
			r.storeFailed(err)
			return false
		}
		n := store.Node{Name: NSBookmarks2}
		r.p.notify(r.u, n, xmpp.New(NSPubSubEvent, "items", "node", NSBookmarks2).Append(xmpp.New(NSPubSubEvent, "retract", "id", id)))
	}
	return true
}

// bookmark2 is the Bookmarks 2 payload of a XEP-0048 conference.
func bookmark2(c *xmpp.Element) *xmpp.Element {
	autojoin := "false"
	if a := c.Attr("autojoin"); a == "1" || a == "true" {
		autojoin = "true"
	}
	pl := xmpp.New(NSBookmarks2, "conference", "autojoin", autojoin)
	pl.SetAttr("name", c.Attr("name"))
	for _, k := range []string{"nick", "password"} {
		if v := c.ChildText(NSBookmarks, k); v != "" {
			pl.Append(xmpp.New(NSBookmarks2, k).AppendText(v))
		}
	}
	return pl
}

// bookmarkKey is what XEP-0048 can say of a Bookmarks 2 conference, to compare two.
func bookmarkKey(pl *xmpp.Element) string {
	a := pl.Attr("autojoin")
	return pl.Attr("name") + "\x00" + strconv.FormatBool(a == "1" || a == "true") + "\x00" +
		pl.ChildText(NSBookmarks2, "nick") + "\x00" + pl.ChildText(NSBookmarks2, "password")
}
