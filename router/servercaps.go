package router

import (
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// nsData is XEP-0004's namespace, of the XEP-0128 forms in disco#info.
const nsData = "jabber:x:data"

// serverQuery is the server's disco#info <query/>: the gateway identity and server/im,
// what the router implements, and what the features add (identities, vars and XEP-0128
// forms).
func (r *Router) serverQuery() *xmpp.Element {
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	// The domain is the users' own server as well as the gateway: server/im after the
	// gateway identity (Spectrum 2, a component, lists only the gateway; what reads the
	// first identity still finds it).
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", r.cfg.IdentityCategory,
		"type", r.cfg.IdentityType, "name", r.cfg.IdentityName))
	if r.cfg.IdentityCategory != "server" || r.cfg.IdentityType != "im" {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "server", "type", "im",
			"name", r.cfg.IdentityName))
	}
	for _, id := range r.feats.discoIdentities(feature.Server) {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", id.Category, "type", id.Type, "name", id.Name))
	}
	for _, f := range r.serverFeatures() {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	for _, d := range r.feats.forms {
		for _, x := range d.DiscoForms(feature.Server) {
			q.Append(x.Clone())
		}
	}
	return q
}

// serverCaps is the server's XEP-0115 <c/> for the stream features (section 6.3): the
// hash of serverQuery, which changes when a backend announces MUC.
func (r *Router) serverCaps() *xmpp.Element {
	return xmpp.New(xmpp.NSCaps, "c", "hash", "sha-1", "node", capsNode, "ver", capsHash(r.serverQuery()))
}

// capsHash is XEP-0115 section 5.1's verification string of a disco#info <query/>:
// identities, features and extended forms (section 5.4), each sorted.
func capsHash(q *xmpp.Element) string {
	var ids, feats []string
	type form struct {
		typ    string
		fields [][]string // var, then its sorted values
	}
	var forms []form
	for _, c := range q.Children() {
		switch {
		case c.Is(xmpp.NSDiscoInfo, "identity"):
			ids = append(ids, c.Attr("category")+"/"+c.Attr("type")+"/"+c.Attr("xml:lang")+"/"+c.Attr("name"))
		case c.Is(xmpp.NSDiscoInfo, "feature"):
			feats = append(feats, c.Attr("var"))
		case c.Is(nsData, "x"):
			var f form
			for _, fl := range c.Children() {
				var vals []string
				for _, v := range fl.Children() {
					if v.Is(nsData, "value") {
						vals = append(vals, v.Text())
					}
				}
				if fl.Attr("var") == "FORM_TYPE" {
					f.typ = strings.Join(vals, "")
					continue
				}
				slices.Sort(vals)
				f.fields = append(f.fields, append([]string{fl.Attr("var")}, vals...))
			}
			slices.SortFunc(f.fields, func(a, b []string) int { return cmp.Compare(a[0], b[0]) })
			forms = append(forms, f)
		}
	}
	slices.Sort(ids) // category/type/lang/name: sorting the strings sorts by each in turn
	slices.Sort(feats)
	slices.SortFunc(forms, func(a, b form) int { return cmp.Compare(a.typ, b.typ) })
	var b strings.Builder
	for _, s := range append(ids, feats...) {
		b.WriteString(s + "<")
	}
	for _, f := range forms {
		b.WriteString(f.typ + "<")
		for _, fl := range f.fields {
			for _, s := range fl {
				b.WriteString(s + "<")
			}
		}
	}
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}
