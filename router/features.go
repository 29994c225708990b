package router

import (
	"slices"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// features are the server features registered at wiring (Config.Features), sorted by
// what they implement (router/feature). Built once in New, read-only afterwards.
type features struct {
	iqs        map[feature.IQ]feature.IQHandler
	inbound    []feature.Inbound
	outbound   []feature.Outbound
	noResource []feature.NoResource
	login      []feature.Login
	disco      []feature.Disco
	stream     []feature.StreamFeatures
	forms      []feature.DiscoForms
	absent     []feature.Absent // messages to logged-out local users (absent.go)
	presence   []feature.InboundPresence
	iq         []feature.InboundIQ
	blocks     []feature.LegacyBlocks
	sessions   []feature.Sessions   // logins without a legacy session (sessions.go)
	items      []feature.DiscoItems // disco#items of server nodes (sessions.go)

	// The account's PEP service (features_account.go).
	identities  []feature.DiscoIdentities
	resPresence []feature.Presence
	iqResponse  []feature.IQResponse
}

// newFeatures sorts fs by interface. A second feature for the same IQ is a wiring bug.
func newFeatures(fs []feature.Feature) (features, error) {
	var f features
	for _, x := range fs {
		if h, ok := x.(feature.IQHandler); ok {
			for _, q := range h.IQs() {
				if _, dup := f.iqs[q]; dup {
					return f, &duplicateIQ{q: q, name: x.Name()}
				}
				setLazy(&f.iqs, q, h)
			}
		}
		if h, ok := x.(feature.Inbound); ok {
			f.inbound = append(f.inbound, h)
		}
		if h, ok := x.(feature.Outbound); ok {
			f.outbound = append(f.outbound, h)
		}
		if h, ok := x.(feature.NoResource); ok {
			f.noResource = append(f.noResource, h)
		}
		if h, ok := x.(feature.Login); ok {
			f.login = append(f.login, h)
		}
		if h, ok := x.(feature.Disco); ok {
			f.disco = append(f.disco, h)
		}
		if h, ok := x.(feature.StreamFeatures); ok {
			f.stream = append(f.stream, h)
		}
		if h, ok := x.(feature.DiscoForms); ok {
			f.forms = append(f.forms, h)
		}
		if h, ok := x.(feature.Absent); ok {
			f.absent = append(f.absent, h)
		}
		if h, ok := x.(feature.InboundPresence); ok {
			f.presence = append(f.presence, h)
		}
		if h, ok := x.(feature.InboundIQ); ok {
			f.iq = append(f.iq, h)
		}
		if h, ok := x.(feature.LegacyBlocks); ok {
			f.blocks = append(f.blocks, h)
		}
		if h, ok := x.(feature.Sessions); ok {
			f.sessions = append(f.sessions, h)
		}
		if h, ok := x.(feature.DiscoItems); ok {
			f.items = append(f.items, h)
		}
		if h, ok := x.(feature.DiscoIdentities); ok {
			f.identities = append(f.identities, h)
		}
		if h, ok := x.(feature.Presence); ok {
			f.resPresence = append(f.resPresence, h)
		}
		if h, ok := x.(feature.IQResponse); ok {
			f.iqResponse = append(f.iqResponse, h)
		}
	}
	return f, nil
}

type duplicateIQ struct {
	q    feature.IQ
	name string
}

func (e *duplicateIQ) Error() string {
	return "router: feature " + e.name + " registers {" + e.q.Space + "}" + e.q.Local + ", which another feature answers"
}

// discoFeatures are the features' disco#info vars for scope s.
func (f *features) discoFeatures(s feature.Scope) []string {
	var out []string
	for _, d := range f.disco {
		out = append(out, d.DiscoFeatures(s)...)
	}
	return out
}

// StreamFeatures are the children the router and the features add to
// <stream:features/>: the server's XEP-0115 <c/> first. Call it for each stream: the
// hash changes when a backend announces MUC.
func (r *Router) StreamFeatures() []*xmpp.Element {
	out := []*xmpp.Element{r.serverCaps()}
	for _, s := range r.feats.stream {
		out = append(out, s.StreamFeatures()...)
	}
	return out
}

// featureIQ hands a request to the feature registered for its payload at t; false if
// none is.
func (u *user) featureIQ(rs *resource, iq, p *xmpp.Element, t target) bool {
	if len(u.r.feats.iqs) == 0 {
		return false
	}
	scope := feature.Server
	switch {
	case t.kind == targetServer:
	case t.kind == targetNone || t.kind == targetSelf && t.jid.Resourcepart() == "":
		scope = feature.Account
	case t.kind == targetRoom && t.jid.Resourcepart() == "":
		scope = feature.Room
	default:
		return false
	}
	h := u.r.feats.iqs[feature.IQ{Space: p.Space, Local: p.Local, Scope: scope}]
	if h == nil {
		return false
	}
	h.HandleIQ(u.handle(), rs.key, iq, p)
	return true
}

// inboundHooks runs the features' Inbound hooks on a message to the user; false means
// one stopped it.
func (u *user) inboundHooks(msg *xmpp.Element, src feature.Source) bool {
	for _, h := range u.r.feats.inbound {
		if h.Inbound(u.handle(), msg, src) == feature.Stop {
			return false
		}
	}
	return true
}

// outboundHooks runs the features' Outbound hooks on a message from rs; false means one
// stopped (and answered) it.
func (u *user) outboundHooks(rs *resource, msg *xmpp.Element) bool {
	for _, h := range u.r.feats.outbound {
		if h.Outbound(u.handle(), rs.key, msg) == feature.Stop {
			return false
		}
	}
	return true
}

// offerNoResource offers a message no resource could take to the features, in order,
// until one keeps or refuses it.
func (u *user) offerNoResource(msg *xmpp.Element, src feature.Source) (kept bool, err error) {
	for _, h := range u.r.feats.noResource {
		if kept, err = h.NoResource(u.handle(), msg, src); kept || err != nil {
			return kept, err
		}
	}
	return false, nil
}

// loginHooks runs the features' Login hooks for a resource's initial presence.
func (u *user) loginHooks(rs *resource) {
	for _, h := range u.r.feats.login {
		h.Login(u.handle(), rs.key)
	}
}

// handle is the feature.User of u.
func (u *user) handle() feature.User { return userHandle{u} }

// userHandle is a feature's handle on a user (feature.User); valid on the actor only.
type userHandle struct{ u *user }

func (h userHandle) JID() jid.JID   { return h.u.jid }
func (h userHandle) Domain() string { return h.u.r.cfg.Domain }

func (h userHandle) Resources() []feature.Resource {
	rs := make([]*resource, 0, len(h.u.resources))
	for _, r := range h.u.resources {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b *resource) int { return a.seq - b.seq })
	out := make([]feature.Resource, len(rs))
	for i, r := range rs {
		out[i] = feature.Resource{JID: r.key, Available: r.available, Priority: r.priority}
	}
	return out
}

func (h userHandle) Send(to string, el *xmpp.Element) bool {
	rs := h.u.resources[to]
	if rs == nil {
		return false
	}
	el.SetAttr("to", rs.key)
	return h.u.trySend(rs, el)
}

func (h userHandle) SendAll(el *xmpp.Element) {
	for i, rs := range h.u.availableResources() {
		c := copyFor(i, el)
		c.SetAttr("to", rs.key)
		h.u.send(rs, c)
	}
}

func (h userHandle) Value(key any) any { return h.u.featValue(key) }

func (h userHandle) SetValue(key, v any) { h.u.setFeatValue(key, v) }

func (h userHandle) InRoster(bare string) bool {
	t := h.u.target(bare)
	return t.kind == targetBuddy && t.jid.Resourcepart() == "" && h.u.roster.get(t.legacy) != nil
}
