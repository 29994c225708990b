package admin

import (
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// settingsNode is the one ad-hoc command users have (spec 3.14, settingsadhoccommand.h).
const settingsNode = "settings"

// noStorageText is Spectrum 2's answer to the settings command without a storage backend
// (spec 3.14); spectrum2 keeps no per-user transport settings, so this is always the answer.
const noStorageText = "This server does not support transport settings. There is no storage backend configured"

// DiscoItems implements feature.DiscoItems: the users' ad-hoc commands (XEP-0050).
func (a *Admin) DiscoItems(node string) []feature.DiscoItem {
	if node != xmpp.NSCommands {
		return nil
	}
	return []feature.DiscoItem{{JID: a.cfg.Domain, Node: settingsNode, Name: "Transport settings"}}
}

// IQs implements feature.IQHandler: users' ad-hoc commands to the server.
func (*Admin) IQs() []feature.IQ {
	return []feature.IQ{{Space: xmpp.NSCommands, Local: "command", Scope: feature.Server}}
}

// HandleIQ implements feature.IQHandler: the settings command (spec 3.14). get is
// feature-not-implemented, an unknown node bad-request; execute completes at once with
// the fixed text, since there is no storage for the settings.
func (*Admin) HandleIQ(u feature.User, from string, iq, p *xmpp.Element) {
	switch {
	case iq.Type() != "set":
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented, ""))
	case p.Attr("node") != settingsNode:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
	default:
		sid := p.Attr("sessionid")
		if sid == "" {
			sid = newSessionID()
		}
		x := xmpp.New(xmpp.NSDataForms, "x", "type", "result").Append(
			xmpp.New(xmpp.NSDataForms, "field", "type", "fixed").Append(
				xmpp.New(xmpp.NSDataForms, "value").AppendText(noStorageText)))
		cmd := xmpp.New(xmpp.NSCommands, "command", "node", settingsNode, "sessionid", sid, "status", "completed").Append(x)
		u.Send(from, iqResult(iq).Append(cmd))
	}
}
