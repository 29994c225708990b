package admin

import (
	"crypto/rand"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// adhocSession is an ad-hoc command waiting for its form (XEP-0050), keyed by sessionid
// in the admin session (spec 3.14: sessions keyed by sender full JID and sessionid).
type adhocSession struct {
	cmd adminCommand
}

// maxAdhocSessions bounds the forms one admin session may leave unanswered.
const maxAdhocSessions = 32

// adhocNode is the XEP-0050 node of an admin command.
func adhocNode(c adminCommand) string { return c.name }

// discoInfo answers disco#info of the gateway for an administrator: the gateway's
// identity and features plus ad-hoc commands; for a command node, the command's identity.
func (s *session) discoInfo(iq, p *xmpp.Element) {
	cfg := &s.a.cfg
	node := p.Attr("node")
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	q.SetAttr("node", node)
	var feats []string
	switch c, ok := lookupAdmin(node); {
	case node == "":
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", cfg.IdentityCategory,
			"type", cfg.IdentityType, "name", cfg.IdentityName))
		feats = []string{xmpp.NSCommands, xmpp.NSDiscoInfo, xmpp.NSDiscoItems, xmpp.NSPing}
	case node == xmpp.NSCommands:
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "automation", "type", "command-list",
			"name", "Commands"))
	case ok:
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "automation", "type", "command-node",
			"name", c.desc))
		feats = []string{xmpp.NSCommands, xmpp.NSDataForms}
	default:
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
		return
	}
	for _, f := range feats {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	s.send(iqResult(iq).Append(q))
}

// discoItems lists the admin commands under the XEP-0050 node.
func (s *session) discoItems(iq, p *xmpp.Element) {
	node := p.Attr("node")
	q := xmpp.New(xmpp.NSDiscoItems, "query")
	q.SetAttr("node", node)
	if node == xmpp.NSCommands {
		for _, c := range adminCommands() {
			q.Append(xmpp.New(xmpp.NSDiscoItems, "item", "jid", s.a.cfg.Domain, "node", adhocNode(c), "name", c.desc))
		}
	}
	s.send(iqResult(iq).Append(q))
}

// command runs the XEP-0050 protocol for one admin command (spec 3.14 for the session
// rules): a command without arguments completes at once with its result; one with
// arguments answers a form first and completes when the form is submitted. get is
// feature-not-implemented, an unknown node or session bad-request.
func (s *session) command(iq, p *xmpp.Element) {
	if iq.Type() != "set" {
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented, ""))
		return
	}
	node, sid, action := p.Attr("node"), p.Attr("sessionid"), p.Attr("action")
	if sid != "" {
		s.continueCommand(iq, p, node, sid, action)
		return
	}
	c, ok := lookupAdmin(node)
	if !ok {
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "unknown command"))
		return
	}
	if len(c.args) == 0 {
		s.send(iqResult(iq).Append(s.completed(node, newSessionID(), s.a.run(c, nil))))
		return
	}
	if len(s.adhoc) >= maxAdhocSessions {
		clear(s.adhoc) // abandoned forms; quirk 17 (a sweeper that never runs) avoided
	}
	sid = newSessionID()
	s.adhoc[sid] = &adhocSession{cmd: c}
	s.send(iqResult(iq).Append(argsForm(c, sid)))
}

// continueCommand handles the second step of a command with arguments.
func (s *session) continueCommand(iq, p *xmpp.Element, node, sid, action string) {
	as := s.adhoc[sid]
	if as == nil || adhocNode(as.cmd) != node {
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "unknown session"))
		return
	}
	delete(s.adhoc, sid)
	if action == "cancel" {
		s.send(iqResult(iq).Append(xmpp.New(xmpp.NSCommands, "command", "node", node,
			"sessionid", sid, "status", "canceled")))
		return
	}
	args := make([]string, 0, len(as.cmd.args))
	for _, name := range as.cmd.args {
		v := formValue(p.Child(xmpp.NSDataForms, "x"), name)
		if v == "" {
			break // run says which is missing
		}
		args = append(args, v)
	}
	s.send(iqResult(iq).Append(s.completed(node, sid, s.a.run(as.cmd, args))))
}

// completed is a finished command carrying its result as a form of type result, one
// value per line of the answer.
func (*session) completed(node, sid, result string) *xmpp.Element {
	field := xmpp.New(xmpp.NSDataForms, "field", "var", "result", "type", "text-multi", "label", "Result")
	for _, line := range strings.Split(result, "\n") {
		field.Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(line))
	}
	x := xmpp.New(xmpp.NSDataForms, "x", "type", "result").Append(field)
	return xmpp.New(xmpp.NSCommands, "command", "node", node, "sessionid", sid, "status", "completed").Append(x)
}

// argsForm asks for the arguments of c.
func argsForm(c adminCommand, sid string) *xmpp.Element {
	x := xmpp.New(xmpp.NSDataForms, "x", "type", "form").Append(
		xmpp.New(xmpp.NSDataForms, "title").AppendText(c.desc))
	for _, name := range c.args {
		x.Append(xmpp.New(xmpp.NSDataForms, "field", "var", name, "type", "text-single", "label", name).Append(
			xmpp.New(xmpp.NSDataForms, "required")))
	}
	actions := xmpp.New(xmpp.NSCommands, "actions", "execute", "complete").Append(
		xmpp.New(xmpp.NSCommands, "complete"))
	return xmpp.New(xmpp.NSCommands, "command", "node", adhocNode(c), "sessionid", sid, "status", "executing").
		Append(actions, x)
}

// formValue is the first value of field name in a submitted form ("" if absent).
func formValue(x *xmpp.Element, name string) string {
	if x == nil {
		return ""
	}
	for _, f := range x.Children() {
		if f.Is(xmpp.NSDataForms, "field") && f.Attr("var") == name {
			return strings.TrimSpace(f.ChildText(xmpp.NSDataForms, "value"))
		}
	}
	return ""
}

// newSessionID is 32 random lowercase letters, as Spectrum 2's (spec 3.14).
func newSessionID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}
