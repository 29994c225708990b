package serverinfo

import (
	"strconv"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// Namespaces.
const (
	NSTime       = "urn:xmpp:time"
	NSLast       = "jabber:iq:last"
	NSData       = "jabber:x:data"
	FormContacts = "http://jabber.org/network/serverinfo" // XEP-0157's FORM_TYPE
)

// Contacts are the addresses of XEP-0157 (URIs: mailto:, xmpp:, https:), by kind.
type Contacts struct {
	Abuse, Admin, Support []string
}

// Config configures the feature.
type Config struct {
	Contacts Contacts
	Started  time.Time // the server's start, for the uptime; zero: New's call
}

// Info is the feature. It keeps no state but its configuration.
type Info struct {
	cfg Config
	now func() time.Time
}

var (
	_ feature.IQHandler  = (*Info)(nil)
	_ feature.Disco      = (*Info)(nil)
	_ feature.DiscoForms = (*Info)(nil)
)

// New returns the feature.
func New(cfg Config) *Info {
	if cfg.Started.IsZero() {
		cfg.Started = time.Now()
	}
	return &Info{cfg: cfg, now: time.Now}
}

// Name implements feature.Feature.
func (*Info) Name() string { return "serverinfo" }

// IQs implements feature.IQHandler: time and last activity of the server.
func (*Info) IQs() []feature.IQ {
	return []feature.IQ{
		{Space: NSTime, Local: "time", Scope: feature.Server},
		{Space: NSLast, Local: "query", Scope: feature.Server},
	}
}

// DiscoFeatures implements feature.Disco.
func (*Info) DiscoFeatures(s feature.Scope) []string {
	if s == feature.Server {
		return []string{NSTime, NSLast}
	}
	return nil
}

// HandleIQ implements feature.IQHandler. Both are gets; a set is bad-request.
func (i *Info) HandleIQ(u feature.User, from string, iq, p *xmpp.Element) {
	if iq.Type() != "get" {
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
		return
	}
	now := i.now()
	var q *xmpp.Element
	switch p.Space {
	case NSTime: // XEP-0202 section 4: the offset of the server's zone, and UTC
		q = xmpp.New(NSTime, "time").Append(
			xmpp.New(NSTime, "tzo").AppendText(now.Format("-07:00")),
			xmpp.New(NSTime, "utc").AppendText(now.UTC().Format("2006-01-02T15:04:05Z")))
	default: // XEP-0012 section 5: a server's last activity is its uptime
		up := int64(now.Sub(i.cfg.Started) / time.Second)
		q = xmpp.New(NSLast, "query", "seconds", strconv.FormatInt(max(up, 0), 10))
	}
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("from", iq.To())
	u.Send(from, r.Append(q))
}

// DiscoForms implements feature.DiscoForms: the contact addresses, when any is set.
func (i *Info) DiscoForms(s feature.Scope) []*xmpp.Element {
	c := i.cfg.Contacts
	if s != feature.Server || len(c.Abuse)+len(c.Admin)+len(c.Support) == 0 {
		return nil
	}
	x := xmpp.New(NSData, "x", "type", "result").Append(
		xmpp.New(NSData, "field", "var", "FORM_TYPE", "type", "hidden").Append(
			xmpp.New(NSData, "value").AppendText(FormContacts)))
	for _, f := range []struct {
		name string
		uris []string
	}{{"abuse-addresses", c.Abuse}, {"admin-addresses", c.Admin}, {"support-addresses", c.Support}} {
		if len(f.uris) == 0 {
			continue
		}
		field := xmpp.New(NSData, "field", "var", f.name, "type", "list-multi")
		for _, v := range f.uris {
			field.Append(xmpp.New(NSData, "value").AppendText(v))
		}
		x.Append(field)
	}
	return []*xmpp.Element{x}
}
