package pep

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/store"
)

// maxNameBytes bounds node names and item ids.
const maxNameBytes = 1024

// pubsub answers a request in the pubsub namespace.
func (r *request) pubsub(ps *xmpp.Element) {
	kids := ps.Children()
	if len(kids) == 0 {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "", "empty pubsub request")
		return
	}
	op, set := kids[0], r.iq.Type() == "set"
	switch {
	case set && op.Local == "publish":
		r.publish(op, formIn(ps.Child(NSPubSub, "publish-options")))
	case set && op.Local == "retract":
		r.retract(op)
	case set && op.Local == "create":
		r.create(op, formIn(ps.Child(NSPubSub, "configure")))
	case !set && op.Local == "items":
		r.items(op)
	default:
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented, "unsupported", op.Local+" is not supported on a PEP service")
	}
}

// owner answers a request in the pubsub#owner namespace.
func (r *request) owner(ps *xmpp.Element) {
	kids := ps.Children()
	if len(kids) == 0 {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "", "empty pubsub request")
		return
	}
	op, set := kids[0], r.iq.Type() == "set"
	switch {
	case set && op.Local == "delete":
		r.deleteNode(op)
	case op.Local == "configure":
		r.configure(op, set)
	case !set && op.Local == "default":
		r.result(xmpp.New(NSPubSubOwner, "pubsub").Append(
			xmpp.New(NSPubSubOwner, "default").Append(configForm(defaultConfig()))))
	default:
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented, "unsupported", op.Local+" is not supported on a PEP service")
	}
}

// nodeName checks the node attribute of op; "" after an answered error.
func (r *request) nodeName(op *xmpp.Element) string {
	n := op.Attr("node")
	switch {
	case n == "":
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "nodeid-required", "")
	case len(n) > maxNameBytes:
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", "node name too long")
		n = ""
	}
	return n
}

// node loads a node; ok false after an answered error (item-not-found unless create).
func (r *request) node(name string) (store.Node, bool) {
	ctx, cancel := r.p.ctx()
	defer cancel()
	n, err := r.p.cfg.Store.PEPNode(ctx, r.user, name)
	switch {
	case errors.Is(err, store.ErrNoNode):
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, "", "")
	case err != nil:
		r.storeFailed(err)
	default:
		return n, true
	}
	return n, false
}

// publish stores one item, creating the node with the publish-options if it is new, and
// notifies (XEP-0163 section 4.3, XEP-0223).
func (r *request) publish(op, form *xmpp.Element) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	items := op.Children()
	if len(items) != 1 || !items[0].Is(NSPubSub, "item") {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "item-required", "publish one item")
		return
	}
	el := items[0]
	if len(el.Children()) > 1 {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "invalid-payload", "an item holds one payload")
		return
	}
	opts, err := r.p.parseOptions(form)
	if err != nil {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", err.Error())
		return
	}
	id := el.Attr("id")
	if id == "" {
		id = newID()
	} else if len(id) > maxNameBytes {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", "item id too long")
		return
	}
	var payload *xmpp.Element
	if kids := el.Children(); len(kids) == 1 {
		payload = kids[0]
	}
	if !r.p.publishItem(r, name, id, payload, opts, true) {
		return
	}
	r.result(xmpp.New(NSPubSub, "pubsub").Append(
		xmpp.New(NSPubSub, "publish", "node", name).Append(xmpp.New(NSPubSub, "item", "id", id))))
	r.p.published(r.u, name)
}

// publishItem stores and notifies one item; false after an answered error. With
// precondition the options must match an existing node (XEP-0223), else they only
// configure a new one.
func (p *PEP) publishItem(r *request, name, id string, payload *xmpp.Element, opts options, precondition bool) bool {
	var b []byte
	if payload != nil {
		b = payload.AppendXML(nil, "")
	}
	if len(b) > p.cfg.MaxItemBytes {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "payload-too-big",
			"an item holds at most "+strconv.Itoa(p.cfg.MaxItemBytes)+" bytes")
		return false
	}
	ctx, cancel := p.ctx()
	defer cancel()
	n, err := p.cfg.Store.PEPNode(ctx, r.user, name)
	switch {
	case errors.Is(err, store.ErrNoNode):
		n = store.Node{Name: name, Config: opts.apply(defaultConfig())}
		if err := p.cfg.Store.CreatePEPNode(ctx, r.user, n, p.cfg.MaxNodes); err != nil {
			r.createFailed(err)
			return false
		}
	case err != nil:
		r.storeFailed(err)
		return false
	case precondition && !opts.matches(n.Config):
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaConflict, "precondition-not-met",
			"the node's configuration differs from the publish-options")
		return false
	}
	if err := p.cfg.Store.PublishPEPItem(ctx, r.user, name, store.Item{ID: id, At: p.now(), Payload: b}); err != nil {
		r.storeFailed(err)
		return false
	}
	item := xmpp.New(NSPubSubEvent, "item", "id", id)
	if payload != nil {
		item.Append(payload.Clone())
	}
	p.notify(r.u, n, xmpp.New(NSPubSubEvent, "items", "node", name).Append(item))
	return true
}

// createFailed answers a node that could not be created.
func (r *request) createFailed(err error) {
	if errors.Is(err, store.ErrFull) {
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaPolicyViolation, "",
			"at most "+strconv.Itoa(r.p.cfg.MaxNodes)+" nodes per user")
		return
	}
	r.storeFailed(err)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// create creates a node with an optional configuration (XEP-0060 section 8.1).
func (r *request) create(op, form *xmpp.Element) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	opts, err := r.p.parseOptions(form)
	if err != nil {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", err.Error())
		return
	}
	ctx, cancel := r.p.ctx()
	defer cancel()
	if _, err := r.p.cfg.Store.PEPNode(ctx, r.user, name); err == nil {
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaConflict, "", "the node exists")
		return
	} else if !errors.Is(err, store.ErrNoNode) {
		r.storeFailed(err)
		return
	}
	n := store.Node{Name: name, Config: opts.apply(defaultConfig())}
	if err := r.p.cfg.Store.CreatePEPNode(ctx, r.user, n, r.p.cfg.MaxNodes); err != nil {
		r.createFailed(err)
		return
	}
	r.result(nil)
}

// items returns a node's items: all, the ones named, or the newest max_items, oldest
// first (XEP-0060 section 6.5).
func (r *request) items(op *xmpp.Element) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	if _, ok := r.node(name); !ok {
		return
	}
	var ids []string
	for _, it := range op.Children() {
		if it.Is(NSPubSub, "item") && it.Attr("id") != "" {
			ids = append(ids, it.Attr("id"))
		}
	}
	max := 0
	if v := op.Attr("max_items"); v != "" {
		var err error
		if max, err = strconv.Atoi(v); err != nil || max < 1 {
			r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "", "max_items must be a positive number")
			return
		}
	}
	ctx, cancel := r.p.ctx()
	defer cancel()
	its, err := r.p.cfg.Store.PEPItems(ctx, r.user, name, ids, max)
	if err != nil {
		r.storeFailed(err)
		return
	}
	out := xmpp.New(NSPubSub, "items", "node", name)
	for i := len(its) - 1; i >= 0; i-- {
		out.Append(r.p.itemElement(NSPubSub, its[i]))
	}
	r.result(xmpp.New(NSPubSub, "pubsub").Append(out))
}

// itemElement is a stored item as <item/> in namespace space.
func (p *PEP) itemElement(space string, it store.Item) *xmpp.Element {
	el := xmpp.New(space, "item", "id", it.ID)
	if len(it.Payload) == 0 {
		return el
	}
	pl, err := parse(it.Payload)
	if err != nil {
		p.log.Error().Err(err).Str("item", it.ID).Msg("stored PEP item unreadable")
		return el
	}
	return el.Append(pl)
}

// retract deletes one item and notifies when asked to (XEP-0060 section 7.2).
func (r *request) retract(op *xmpp.Element) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	items := op.Children()
	if len(items) != 1 || items[0].Attr("id") == "" {
		r.fail(xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "item-required", "retract one item by id")
		return
	}
	n, ok := r.node(name)
	if !ok {
		return
	}
	id := items[0].Attr("id")
	ctx, cancel := r.p.ctx()
	defer cancel()
	found, err := r.p.cfg.Store.RetractPEPItem(ctx, r.user, name, id)
	switch {
	case err != nil:
		r.storeFailed(err)
		return
	case !found:
		r.fail(xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, "", "")
		return
	}
	r.result(nil)
	if v := op.Attr("notify"); v == "1" || v == "true" {
		r.p.notify(r.u, n, xmpp.New(NSPubSubEvent, "items", "node", name).Append(xmpp.New(NSPubSubEvent, "retract", "id", id)))
	}
	r.p.published(r.u, name)
}

// deleteNode deletes a node with its items and notifies (XEP-0060 section 8.4).
func (r *request) deleteNode(op *xmpp.Element) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	n, ok := r.node(name)
	if !ok {
		return
	}
	ctx, cancel := r.p.ctx()
	defer cancel()
	if _, err := r.p.cfg.Store.DeletePEPNode(ctx, r.user, name); err != nil {
		r.storeFailed(err)
		return
	}
	r.result(nil)
	r.p.notify(r.u, n, xmpp.New(NSPubSubEvent, "delete", "node", name))
	r.p.published(r.u, name)
}

// configure gets or sets a node's configuration (XEP-0060 section 8.2).
func (r *request) configure(op *xmpp.Element, set bool) {
	name := r.nodeName(op)
	if name == "" {
		return
	}
	n, ok := r.node(name)
	if !ok {
		return
	}
	if !set {
		r.result(xmpp.New(NSPubSubOwner, "pubsub").Append(
			xmpp.New(NSPubSubOwner, "configure", "node", name).Append(configForm(n.Config))))
		return
	}
	form := formIn(op)
	if form == nil || form.Attr("type") == "cancel" {
		r.result(nil)
		return
	}
	opts, err := r.p.parseOptions(form)
	if err != nil {
		r.fail(xmpp.ErrTypeModify, notAcceptable, "", err.Error())
		return
	}
	n.Config = opts.apply(n.Config)
	ctx, cancel := r.p.ctx()
	defer cancel()
	if err := r.p.cfg.Store.ConfigurePEPNode(ctx, r.user, n); err != nil {
		r.storeFailed(err)
		return
	}
	r.result(nil)
}

// notAcceptable is RFC 6120's not-acceptable condition.
const notAcceptable = "not-acceptable"
