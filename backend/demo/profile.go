package demo

import (
	"context"

	"github.com/gospectrum/spectrum2/backend"
)

var _ backend.VCardUpdater = (*Plugin)(nil)

// UpdateVCard records the user's own nickname and avatar (Spectrum 2's own-vCard update)
// as a legacy network would: the user's own vCard then answers with them, which is how a
// test sees what arrived.
func (p *Plugin) UpdateVCard(_ context.Context, _ *backend.Sink, v backend.VCardUpdate) {
	p.mu.Lock()
	u := p.users[v.User]
	if u != nil {
		u.nick, u.photo = v.Nickname, append([]byte(nil), v.Photo...)
	}
	p.mu.Unlock()
}
