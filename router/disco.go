package router

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router/feature"
)

// capsNode is the XEP-0115 node of buddy caps (spec 3.13).
const capsNode = "spectrum"

// serverFeatures lists exactly what the router implements for the service JID.
func (r *Router) serverFeatures() []string {
	f := []string{xmpp.NSDiscoInfo, xmpp.NSDiscoItems, xmpp.NSVersion, xmpp.NSPing, xmpp.NSCarbons, xmpp.NSCommands}
	if r.backends.Features().MUC {
		f = append(f, xmpp.NSMUC) // spec 3.13: only with features.muc
	}
	f = append(f, r.feats.discoFeatures(feature.Server)...)
	slices.Sort(f)
	return slices.Compact(f)
}

// accountDisco reports whether the user's own bare JID answers disco#info: only when a
// feature adds something there (without one it is service-unavailable, as before).
func (r *Router) accountDisco() bool { return len(r.feats.discoFeatures(feature.Account)) > 0 }

// accountDiscoInfo answers disco#info of the user's own bare JID: account/registered and
// what the features add (XEP-0030; PEP and MAM clients read it).
func (u *user) accountDiscoInfo(rs *resource, iq, p *xmpp.Element) {
	if p.Attr("node") != "" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
		return
	}
	q := xmpp.New(xmpp.NSDiscoInfo, "query").Append(
		xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "account", "type", "registered"))
	for _, id := range u.r.feats.discoIdentities(feature.Account) {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", id.Category, "type", id.Type, "name", id.Name))
	}
	f := append([]string{xmpp.NSDiscoInfo}, u.r.feats.discoFeatures(feature.Account)...)
	slices.Sort(f)
	for _, v := range slices.Compact(f) {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", v))
	}
	u.send(rs, iqResult(iq).Append(q))
}

// buddyFeatures is the buddy disco#info feature list (spec 3.13, plus attention and
// vcard-temp, which the router implements for buddies, and the message extensions the
// backends announced: issue 24, msgext.go).
func (r *Router) buddyFeatures() []string {
	return r.buddyFeaturesWith(buddyMask(r.backends.Features()))
}

// The bits of buddyMask: which announced features change a buddy's disco#info.
const (
	maskReceipts = 1 << iota
	maskCorrections
	maskReplies
	maskReactions
	maskRetractions
	maskMarkers
	maskCount = 1 << iota // the number of masks
)

// buddyMask is the part of the backends' features that a buddy's disco#info shows.
func buddyMask(f pluginserver.Features) int {
	m := 0
	set := func(bit int, on bool) {
		if on {
			m |= bit
		}
	}
	set(maskReceipts, f.Receipts)
	set(maskCorrections, f.Corrections)
	set(maskReplies, f.Replies)
	set(maskReactions, f.Reactions)
	set(maskRetractions, f.Retractions)
	set(maskMarkers, f.Markers)
	return m
}

// buddyFeaturesWith is buddyFeatures for the announced features of mask.
func (r *Router) buddyFeaturesWith(mask int) []string {
	f := []string{xmpp.NSDiscoInfo, xmpp.NSChatStates, xmpp.NSAttention, xmpp.NSVCard}
	if r.cfg.EnableXHTML {
		f = append(f, xmpp.NSXHTMLIM)
	}
	if mask&maskReceipts != 0 {
		f = append(f, xmpp.NSReceipts)
	}
	if mask&maskCorrections != 0 {
		f = append(f, nsCorrect)
	}
	if mask&maskReplies != 0 {
		f = append(f, nsReply)
	}
	if mask&maskReactions != 0 {
		f = append(f, nsReactions)
	}
	if mask&maskRetractions != 0 {
		f = append(f, nsRetract, nsRetract0)
	}
	if mask&maskMarkers != 0 {
		f = append(f, xmpp.NSMarkers)
	}
	slices.Sort(f)
	return f
}

// capsVer is the XEP-0115 verification string of the buddy identity and features.
func (r *Router) capsVer() string {
	return r.capsVers[buddyMask(r.backends.Features())]
}

func (r *Router) computeCapsVer(mask int) string {
	var b strings.Builder
	b.WriteString("client/pc//" + r.cfg.IdentityName + "<")
	for _, f := range r.buddyFeaturesWith(mask) {
		b.WriteString(f + "<")
	}
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// caps is the XEP-0115 <c/> carried by buddy presences (spec 3.8).
func (r *Router) caps() *xmpp.Element {
	return xmpp.New(xmpp.NSCaps, "c", "hash", "sha-1", "node", capsNode, "ver", r.capsVer())
}

// discoInfo answers disco#info for the service or a buddy (spec 3.13).
func (u *user) discoInfo(rs *resource, iq, p *xmpp.Element, t target) {
	r := u.r
	node := p.Attr("node")
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	q.SetAttr("node", node)
	var feats []string
	switch {
	case t.kind == targetServer:
		// The node of the server's own caps (XEP-0115 section 6.3) names the same info.
		sq := r.serverQuery()
		if node != "" && node != capsNode+"#"+capsHash(sq) {
			u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
			return
		}
		sq.SetAttr("node", node)
		u.send(rs, iqResult(iq).Append(sq))
		return
	case t.kind == targetBuddy && (node == "" || node == capsNode+"#"+r.capsVer()):
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "client", "type", "pc",
			"name", r.cfg.IdentityName))
		feats = r.buddyFeatures()
	default:
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
		return
	}
	for _, f := range feats {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	u.send(rs, iqResult(iq).Append(q))
}
