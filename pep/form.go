package pep

import (
	"strconv"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/store"
)

// Access models (XEP-0060 section 4.5) the service implements.
const (
	AccessPresence  = "presence"
	AccessOpen      = "open"
	AccessWhitelist = "whitelist"
)

// options are the node configuration fields a form sets; nil fields were not given.
type options struct {
	access  *string
	persist *bool
	max     *int
}

// formError is a form the service cannot accept, with its text for the client.
type formError string

func (e formError) Error() string { return string(e) }

// parseOptions reads the fields this service knows from a data form (publish-options or
// node_config); other fields are ignored (XEP-0223 lets a service skip what it does not
// support, and clients send pubsub#send_last_published_item and the like).
func (p *PEP) parseOptions(x *xmpp.Element) (options, error) {
	var o options
	if x == nil {
		return o, nil
	}
	for _, f := range x.Children() {
		if !f.Is(xmpp.NSDataForms, "field") {
			continue
		}
		v := f.ChildText(xmpp.NSDataForms, "value")
		switch f.Attr("var") {
		case "pubsub#access_model":
			if v != AccessPresence && v != AccessOpen && v != AccessWhitelist {
				return o, formError("access model " + strconv.Quote(v) + " is not supported (presence, open, whitelist)")
			}
			o.access = &v
		case "pubsub#persist_items":
			b, err := parseBool(v)
			if err != nil {
				return o, err
			}
			o.persist = &b
		case "pubsub#max_items":
			n := p.cfg.MaxItems
			if v != "max" {
				var err error
				if n, err = strconv.Atoi(v); err != nil || n < 1 {
					return o, formError("pubsub#max_items must be a positive number or max")
				}
				if n > p.cfg.MaxItems {
					return o, formError("pubsub#max_items is at most " + strconv.Itoa(p.cfg.MaxItems) + " on this service")
				}
			}
			o.max = &n
		}
	}
	return o, nil
}

func parseBool(v string) (bool, error) {
	switch v {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, formError("not a boolean: " + strconv.Quote(v))
}

// apply sets the given fields on c.
func (o options) apply(c store.NodeConfig) store.NodeConfig {
	if o.access != nil {
		c.AccessModel = *o.access
	}
	if o.persist != nil {
		c.PersistItems = *o.persist
	}
	if o.max != nil {
		c.MaxItems = *o.max
	}
	return c
}

// matches reports whether c meets the given fields as preconditions (XEP-0223).
func (o options) matches(c store.NodeConfig) bool {
	return (o.access == nil || *o.access == c.AccessModel) &&
		(o.persist == nil || *o.persist == c.PersistItems) &&
		(o.max == nil || *o.max == c.MaxItems)
}

// defaultConfig is a new node's configuration (XEP-0163 section 4.3: presence access;
// one item unless the publisher asks for more).
func defaultConfig() store.NodeConfig {
	return store.NodeConfig{AccessModel: AccessPresence, PersistItems: true, MaxItems: 1}
}

// configForm is the node_config form of c (XEP-0060 section 8.2).
func configForm(c store.NodeConfig) *xmpp.Element {
	x := xmpp.New(xmpp.NSDataForms, "x", "type", "form")
	x.Append(field("FORM_TYPE", "hidden", NSNodeConfig))
	am := field("pubsub#access_model", "list-single", c.AccessModel)
	for _, m := range []string{AccessOpen, AccessPresence, AccessWhitelist} {
		am.Append(xmpp.New(xmpp.NSDataForms, "option").Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(m)))
	}
	x.Append(am)
	persist := "0"
	if c.PersistItems {
		persist = "1"
	}
	x.Append(field("pubsub#persist_items", "boolean", persist))
	x.Append(field("pubsub#max_items", "text-single", strconv.Itoa(c.MaxItems)))
	return x
}

func field(name, typ, value string) *xmpp.Element {
	return xmpp.New(xmpp.NSDataForms, "field", "var", name, "type", typ).
		Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(value))
}

// formIn is the data form inside el (publish-options, configure), or nil.
func formIn(el *xmpp.Element) *xmpp.Element {
	if el == nil {
		return nil
	}
	return el.Child(xmpp.NSDataForms, "x")
}
