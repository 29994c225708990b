package pep

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// stateKey is the per-user feature value: *userState.
type stateKey struct{}

// userState is what the feature follows of one user's resources, on the user's actor.
type userState struct {
	res     map[string]*resState // by full JID
	pending map[string]string    // id of our disco#info request -> the resource asked
	seq     int
}

// resState is one resource's interest (XEP-0163 section 4: filtered notifications).
type resState struct {
	ver      string
	notify   map[string]bool // nodes with +notify; nil while its caps are asked
	loggedIn bool            // sent its initial presence: owed the last items once notify is known
	verified bool
}

func state(u feature.User) *userState {
	s, _ := u.Value(stateKey{}).(*userState)
	if s == nil {
		s = &userState{res: map[string]*resState{}, pending: map[string]string{}}
		u.SetValue(stateKey{}, s)
	}
	// Forget resources whose streams ended (no unavailable presence then).
	live := map[string]bool{}
	for _, r := range u.Resources() {
		live[r.JID] = true
	}
	for k := range s.res {
		if !live[k] {
			delete(s.res, k)
		}
	}
	for id, k := range s.pending {
		if !live[k] {
			delete(s.pending, id)
		}
	}
	return s
}

// Presence implements feature.Presence: it follows the resource's caps and asks for the
// features of a verification string it does not know.
func (p *PEP) Presence(u feature.User, resource string, pres *xmpp.Element) {
	s := state(u)
	if pres.Type() == "unavailable" {
		delete(s.res, resource)
		return
	}
	rs := s.res[resource]
	if rs == nil {
		rs = &resState{}
		s.res[resource] = rs
	}
	c := pres.Child(xmpp.NSCaps, "c")
	if c == nil {
		rs.ver, rs.notify = "", map[string]bool{}
		return
	}
	ver := c.Attr("ver")
	if ver == rs.ver && rs.notify != nil {
		return
	}
	rs.ver = ver
	if nodes, ok := p.caps.get(ver); ok && c.Attr("hash") == "sha-1" {
		rs.notify, rs.verified = nodes, true
		return
	}
	rs.notify = nil
	s.seq++
	id := "pep-caps-" + strconv.Itoa(s.seq)
	for old, k := range s.pending {
		if k == resource {
			delete(s.pending, old) // one question per resource at a time
		}
	}
	s.pending[id] = resource
	q := xmpp.New(xmpp.NSDiscoInfo, "query", "node", c.Attr("node")+"#"+ver)
	iq := xmpp.New(xmpp.NSClient, "iq", "type", "get", "id", id, "from", u.JID().String())
	u.Send(resource, iq.Append(q))
}

// IQResponse implements feature.IQResponse: the answer to a caps question.
func (p *PEP) IQResponse(u feature.User, from string, iq *xmpp.Element) bool {
	s := state(u)
	res, ok := s.pending[iq.ID()]
	if !ok || res != from {
		return false
	}
	delete(s.pending, iq.ID())
	rs := s.res[from]
	if rs == nil {
		return true
	}
	q := iq.Child(xmpp.NSDiscoInfo, "query")
	nodes := map[string]bool{}
	if iq.Type() == "result" && q != nil {
		for _, f := range q.Children() {
			if v := f.Attr("var"); f.Is(xmpp.NSDiscoInfo, "feature") && strings.HasSuffix(v, "+notify") {
				nodes[strings.TrimSuffix(v, "+notify")] = true
			}
		}
		if capsVer(q) == rs.ver {
			p.caps.put(rs.ver, nodes) // only a verified string is shared with other users
			rs.verified = true
		}
	}
	rs.notify = nodes
	if rs.loggedIn {
		rs.loggedIn = false
		p.sendLast(u, from, rs)
	}
	return true
}

// Login implements feature.Login: the last item of every node the resource wants
// (XEP-0163 section 4.3.4), now or once its caps are known.
func (p *PEP) Login(u feature.User, resource string) {
	s := state(u)
	rs := s.res[resource]
	if rs == nil {
		return
	}
	if rs.notify == nil {
		rs.loggedIn = true
		return
	}
	p.sendLast(u, resource, rs)
}

// sendLast sends resource the newest item of each node it is interested in: the user's
// own and its contacts' on this server (peer.go).
func (p *PEP) sendLast(u feature.User, resource string, rs *resState) {
	if len(rs.notify) == 0 {
		return
	}
	all := func(store.Node) bool { return true }
	for _, m := range p.lastItems(u.JID().String(), rs.notify, all) {
		u.Send(resource, m)
	}
	p.sendPeersLast(u, resource, rs.notify)
}

// notify sends an event about node n to the owner's available resources that want it
// (every access model allows the owner), and to its contacts on this server (peer.go).
func (p *PEP) notify(u feature.User, n store.Node, payload *xmpp.Element) {
	p.sendWanted(u, n.Name, eventMessage(u.JID().String(), payload))
	p.notifyPeers(u, n, payload)
}

func eventMessage(from string, payload *xmpp.Element) *xmpp.Element {
	return xmpp.New(xmpp.NSClient, "message", "from", from, "type", "headline").
		Append(xmpp.New(NSPubSubEvent, "event").Append(payload))
}

// capsVer is the XEP-0115 section 5 verification string of a disco#info answer.
func capsVer(q *xmpp.Element) string {
	var ids, feats []string
	var forms []string
	for _, c := range q.Children() {
		switch {
		case c.Is(xmpp.NSDiscoInfo, "identity"):
			ids = append(ids, c.Attr("category")+"/"+c.Attr("type")+"/"+langOf(c)+"/"+c.Attr("name"))
		case c.Is(xmpp.NSDiscoInfo, "feature"):
			feats = append(feats, c.Attr("var"))
		case c.Is(xmpp.NSDataForms, "x"):
			forms = append(forms, formString(c))
		}
	}
	slices.Sort(ids)
	slices.Sort(feats)
	slices.Sort(forms)
	var b strings.Builder
	for _, s := range ids {
		b.WriteString(s + "<")
	}
	for _, s := range feats {
		b.WriteString(s + "<")
	}
	for _, s := range forms {
		b.WriteString(s)
	}
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func langOf(e *xmpp.Element) string {
	for _, a := range e.Attrs {
		if a.Space == xmpp.NSXML && a.Local == "lang" {
			return a.Value
		}
	}
	return ""
}

// formString is one extended form's part of the verification string: FORM_TYPE first,
// then the other fields by var, each with its values sorted.
func formString(x *xmpp.Element) string {
	var typ string
	var fields []string
	for _, f := range x.Children() {
		if !f.Is(xmpp.NSDataForms, "field") {
			continue
		}
		var vals []string
		for _, v := range f.Children() {
			if v.Is(xmpp.NSDataForms, "value") {
				vals = append(vals, v.Text())
			}
		}
		if f.Attr("var") == "FORM_TYPE" {
			if len(vals) > 0 {
				typ = vals[0]
			}
			continue
		}
		slices.Sort(vals)
		s := f.Attr("var") + "<"
		for _, v := range vals {
			s += v + "<"
		}
		fields = append(fields, s)
	}
	slices.Sort(fields)
	return typ + "<" + strings.Join(fields, "")
}

// streamHeader opens the stream a stored payload is parsed in.
const streamHeader = "<stream:stream xmlns='" + xmpp.NSClient + "' xmlns:stream='" + xmpp.NSStream + "'>"

// parse reads back a payload stored as XML.
func parse(b []byte) (*xmpp.Element, error) {
	src := io.MultiReader(strings.NewReader(streamHeader), bytes.NewReader(b))
	rd := xmpp.NewReader(src, xmpp.Limits{MaxStanzaBytes: int64(len(b)) + int64(len(streamHeader)) + 1024, MaxDepth: 1 << 10})
	if _, err := rd.StreamHeader(); err != nil {
		return nil, err
	}
	return rd.Next()
}
