package router

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// maxRawPending bounds the bytes of an incomplete RAW_XML stanza kept per backend.
const maxRawPending = xmpp.DefaultMaxStanzaBytes

// rawAssembler reassembles RAW_XML stanzas split across frames, per backend (spec 1.3).
type rawAssembler struct {
	mu   sync.Mutex
	bufs map[string][]byte // backend -> bytes of an incomplete stanza
}

// RawOwner is implemented by *pluginserver.Server: whether a backend serves a user, asked
// for every RAW_XML stanza once its user is known (pluginserver knows no XML). Backends
// without it (tests' fakes) get no such check.
type RawOwner interface {
	Serves(backend, user string) bool
}

var _ RawOwner = (*pluginserver.Server)(nil)

// RawDropCounter is optionally implemented by Ops (*metrics.Metrics): it counts the
// RAW_XML stanzas the router drops, by reason.
type RawDropCounter interface {
	RawXMLDropped(reason string)
}

// Reasons for RawXMLDropped.
const (
	rawDropTo      = "to"           // no valid to, or no such user
	rawDropForeign = "foreign_user" // the backend does not serve the user
	rawDropFrom    = "from"         // from is not of the user's legacy side
)

// HandleRawXML implements pluginserver.Handler: RAW_XML payloads of one backend, in
// order. Complete stanzas are parsed and handed to their users' queues (spec 3.21), only
// for users the backend serves; rawFromBackend checks the from.
func (r *Router) HandleRawXML(backend string, data []byte) {
	owner, _ := r.backends.(RawOwner)
	for _, el := range r.raw.feed(backend, data) {
		to, err := jid.Parse(el.To())
		if err != nil {
			r.rawDropped(backend, rawDropTo, el)
			continue
		}
		u := r.lookup(to.Bare().String())
		if u == nil {
			r.rawDropped(backend, rawDropTo, el)
			continue
		}
		if owner != nil && !owner.Serves(backend, u.key) {
			r.rawDropped(backend, rawDropForeign, el) // pluginserver logged it
			continue
		}
		u.postFrame(func() { u.rawFromBackend(el, to) }, xmpp.WireSize(el, xmpp.NSClient), el.Local == "message")
	}
}

// rawDropped logs (at warn, but for the foreign user pluginserver already warned about)
// and counts a RAW_XML stanza that reaches no one.
func (r *Router) rawDropped(backend, reason string, el *xmpp.Element) {
	if c, ok := r.ops().(RawDropCounter); ok {
		c.RawXMLDropped(reason)
	}
	ev := r.log.Warn()
	if reason == rawDropForeign {
		ev = r.log.Debug()
	}
	ev.Str("backend", backend).Str("reason", reason).Str("stanza", el.Local).
		Msg("RAW_XML stanza from a backend dropped")
}

// feed appends data to the backend's buffer and returns the complete stanzas in it.
func (a *rawAssembler) feed(backend string, data []byte) []*xmpp.Element {
	a.mu.Lock()
	defer a.mu.Unlock()
	buf := append(a.bufs[backend], data...)
	var out []*xmpp.Element
	for {
		n, err := topLevelEnd(buf)
		if err != nil || n == 0 {
			if err != nil || len(buf) > maxRawPending {
				buf = nil // not XML, or too large: start over with the next frame
			}
			break
		}
		if el, err := parseElement(string(buf[:n])); err == nil {
			out = append(out, el)
		}
		buf = buf[n:]
	}
	if len(bytes.TrimSpace(buf)) == 0 {
		delete(a.bufs, backend)
	} else {
		a.bufs[backend] = bytes.Clone(buf)
	}
	return out
}

// topLevelEnd returns the length of the first complete top-level element in b, 0 if it is
// not complete yet.
func topLevelEnd(b []byte) (int, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			// A frame may end anywhere: in a CDATA section, a comment, a name.
			if errors.As(err, &se) && strings.HasPrefix(se.Msg, "unexpected EOF") {
				return 0, nil
			}
			return 0, err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				return int(d.InputOffset()), nil
			}
			if depth < 0 { // RawToken does not match end tags: a stray one would stall
				return 0, errors.New("router: RAW_XML end tag without a start")
			}
		}
	}
}

// rawMode reports whether the backends speak raw XML (spec 3.21).
func (u *user) rawMode() bool { return u.r.backends.Features().RawXML }

// rawOut sends a client stanza to the backend as RAW_XML: from = the user's full JID,
// to = the legacy name as a JID with the resource kept (spec 3.21).
func (u *user) rawOut(rs *resource, el *xmpp.Element, t target) {
	if !u.rawMode() {
		return
	}
	out := el.Clone()
	out.SetAttr("from", rs.key)
	to := t.legacy
	if res := t.jid.Resourcepart(); res != "" {
		to += "/" + res
	}
	out.SetAttr("to", to)
	if el.Local == "iq" && el.Type() == "get" {
		if _, ok := u.rawIQ[el.ID()]; !ok && len(u.rawIQ) >= u.r.cfg.Limits.PendingIQs {
			u.refuse(rs, el, "IQs awaiting the legacy network", u.r.cfg.Limits.PendingIQs)
			return
		}
		setLazy(&u.rawIQ, el.ID(), rs.key)
	}
	u.sendRaw(rs, el, out)
}

// rawStatus sends the highest-priority presence, without to, in raw mode (spec 3.21).
func (u *user) rawStatus(p *xmpp.Element) {
	top := u.best()
	if !u.rawMode() || top == nil {
		return
	}
	out := p.Clone()
	out.SetAttr("from", top.key)
	out.SetAttr("to", "")
	u.sendRaw(top, nil, out)
}

func (u *user) sendRaw(rs *resource, orig, out *xmpp.Element) {
	rsnd, ok := u.r.backends.(RawSender)
	err := errors.New("router: backends cannot send RAW_XML")
	if ok {
		err = rsnd.SendRawXML(u.key, out.AppendXML(nil, xmpp.NSClient))
	}
	if err != nil && orig != nil {
		u.log.Debug().Err(err).Msg("RAW_XML not sent")
		if orig.Local != "presence" {
			u.send(rs, xmpp.ErrorReply(orig, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
		}
	}
}

// rawFromBackend delivers a stanza from the backend with from rewritten to the buddy JID
// (spec 3.21). The from must be of the user's legacy side (rawFromAllowed); Spectrum 2
// takes any from, and maps one that does not parse to the gateway itself, so a backend
// could speak as our domain, or (without JID escaping, where "carol@host" becomes
// carol%host@domain) as another of our users.
func (u *user) rawFromBackend(el *xmpp.Element, to jid.JID) {
	from, err := jid.Parse(el.From())
	if err != nil || el.From() == "" || !u.rawFromAllowed(el, from) {
		u.r.rawDropped("user "+u.key, rawDropFrom, el)
		return
	}
	orig := el.From()
	name := from.Bare().String()
	node := jidmap.LegacyNode(name, u.r.escaping())
	if b := u.roster.get(name); b != nil {
		node = b.node
	}
	f := node + "@" + u.r.cfg.Domain
	if res := from.Resourcepart(); res != "" {
		f += "/" + res
	}
	el.SetAttr("from", f)
	if !u.rawHooks(el, orig) {
		return
	}
	switch {
	case el.Local == "iq" && u.rawIQ[el.ID()] != "":
		el.SetAttr("to", u.rawIQ[el.ID()])
		delete(u.rawIQ, el.ID())
	case el.Local == "iq" && to.Resourcepart() == "":
		if top := u.best(); top != nil {
			el.SetAttr("to", top.key)
		}
	}
	if rs := u.resources[el.To()]; rs != nil {
		u.send(rs, el)
		return
	}
	if el.Local == "message" {
		u.deliverMessage(el, "")
		return
	}
	u.sendAvailable(el)
}

// rawFromAllowed reports whether from is a JID of the user's legacy side: a roster
// buddy, a room or conversation of the user, a JID of the legacy domain (the domain of
// the user's legacy name), or the answer to an IQ the client sent through the backend.
func (u *user) rawFromAllowed(el *xmpp.Element, from jid.JID) bool {
	name := from.Bare().String()
	key := jidmap.Key(name)
	if _, ok := u.convs[key]; ok || u.roster.get(name) != nil || u.muc().Has(name) {
		return true
	}
	if _, dom, ok := strings.Cut(u.legacy, "@"); ok && strings.EqualFold(from.Domainpart(), dom) {
		return true
	}
	t := el.Type()
	return el.Local == "iq" && (t == "result" || t == "error") && u.rawIQ[el.ID()] != ""
}
