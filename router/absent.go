package router

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// messageToAbsent offers a message to a user the router does not know to the Absent
// features (feature.Absent: the offline store keeps it for an account that logged in
// before); false means none knows the JID, which is then a legacy contact. It runs on
// the sender's actor, which waits for the features' bounded store calls.
func (u *user) messageToAbsent(rs *resource, m *xmpp.Element, to jid.JID) bool {
	for _, f := range u.r.feats.absent {
		el := m.Clone()
		handled, err := f.MessageAbsent(to, el)
		if err != nil {
			u.bounceLocal(rs, m, err) // the recipient's storage is full
			return true
		}
		if handled {
			return true
		}
	}
	return false
}
