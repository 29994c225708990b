package router

import (
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// settingsNode is the one ad-hoc command users have (spec 3.14, settingsadhoccommand.h).
const settingsNode = "settings"

// noStorageText is Spectrum 2's answer to the settings command without a storage backend
// (spec 3.14); spectrum2 keeps no per-user storage, so this is always the answer.
const noStorageText = "This server does not support transport settings. There is no storage backend configured"

// commandItems lists the user's ad-hoc commands under the XEP-0050 node.
func (u *user) commandItems(rs *resource, iq *xmpp.Element) {
	q := xmpp.New(xmpp.NSDiscoItems, "query", "node", xmpp.NSCommands).Append(
		xmpp.New(xmpp.NSDiscoItems, "item", "jid", u.r.cfg.Domain, "node", settingsNode, "name", "Transport settings"))
	u.send(rs, iqResult(iq).Append(q))
}

// settingsCommand runs the settings command (spec 3.14): get is feature-not-implemented,
// an unknown node bad-request; execute completes at once with the fixed text, since
// there is no storage backend for the settings.
func (u *user) settingsCommand(rs *resource, iq, p *xmpp.Element) {
	switch {
	case iq.Type() != "set":
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented, ""))
	case p.Attr("node") != settingsNode:
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
	default:
		sid := p.Attr("sessionid")
		if sid == "" {
			sid = newSessionID()
		}
		x := xmpp.New(xmpp.NSDataForms, "x", "type", "result").Append(
			xmpp.New(xmpp.NSDataForms, "field", "type", "fixed").Append(
				xmpp.New(xmpp.NSDataForms, "value").AppendText(noStorageText)))
		cmd := xmpp.New(xmpp.NSCommands, "command", "node", settingsNode, "sessionid", sid, "status", "completed").Append(x)
		u.send(rs, iqResult(iq).Append(cmd))
	}
}
