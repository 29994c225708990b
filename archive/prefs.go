package archive

import (
	"slices"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// The values of <prefs default=.../> (XEP-0313 section 6).
const (
	prefAlways = "always"
	prefNever  = "never"
	prefRoster = "roster"
)

// maxPrefJIDs bounds the always and never lists together.
const maxPrefJIDs = 1000

// ValidDefault reports whether s is a value of <prefs default=.../>.
func ValidDefault(s string) bool { return s == prefAlways || s == prefNever || s == prefRoster }

// prefsKey keeps a user's preferences (a *store.ArchivePrefs) between messages.
type prefsKey struct{}

// prefs returns the user's preferences, read once per legacy session; a store failure
// gives the server's default (and is read again next time).
func (a *Archive) prefs(u feature.User) *store.ArchivePrefs {
	if p, ok := u.Value(prefsKey{}).(*store.ArchivePrefs); ok {
		return p
	}
	var (
		p     store.ArchivePrefs
		found bool
		err   error
	)
	if w := warmed(u); w != nil && w.prefsErr == nil {
		p, found = w.prefs, w.prefsFound // warm.go
	} else {
		ctx, cancel := a.ctx()
		defer cancel()
		p, found, err = a.cfg.Store.ArchivePrefs(ctx, u.JID().String())
	}
	if err != nil {
		a.log.Error().Err(err).Str("jid", u.JID().String()).Msg("reading archive preferences failed")
		return &store.ArchivePrefs{Default: a.cfg.Default}
	}
	if !found {
		p = store.ArchivePrefs{Default: a.cfg.Default}
	}
	u.SetValue(prefsKey{}, &p)
	return &p
}

// keeps reports whether the preferences archive messages with bare JID peer; a room is
// in "roster" as the user has joined it.
func (a *Archive) keeps(u feature.User, peer string, room bool) bool {
	p := a.prefs(u)
	switch {
	case slices.Contains(p.Never, peer):
		return false
	case slices.Contains(p.Always, peer):
		return true
	case p.Default == prefNever:
		return false
	case p.Default == prefRoster:
		return room || u.InRoster(peer)
	}
	return true
}

// handlePrefs answers a <prefs/> get with the preferences, a set by storing them first.
func (a *Archive) handlePrefs(u feature.User, from string, iq, payload *xmpp.Element) {
	if iq.Type() == "set" {
		p, ok := parsePrefs(payload)
		if !ok {
			u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "want default always, never or roster and at most 1000 bare JIDs"))
			return
		}
		ctx, cancel := a.ctx()
		defer cancel()
		if err := a.cfg.Store.SetArchivePrefs(ctx, u.JID().String(), p); err != nil {
			a.log.Error().Err(err).Str("jid", u.JID().String()).Msg("storing archive preferences failed")
			u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, "internal-server-error", ""))
			return
		}
		u.SetValue(prefsKey{}, &p)
	}
	p := a.prefs(u)
	el := xmpp.New(NSMAM, "prefs", "default", p.Default)
	for _, l := range []struct {
		name string
		jids []string
	}{{"always", p.Always}, {"never", p.Never}} {
		list := xmpp.New(NSMAM, l.name)
		for _, j := range l.jids {
			list.Append(xmpp.New(NSMAM, "jid").AppendText(j))
		}
		el.Append(list)
	}
	u.Send(from, result(iq).Append(el))
}

// parsePrefs reads a <prefs/> set: the JIDs are kept bare, each once.
func parsePrefs(el *xmpp.Element) (store.ArchivePrefs, bool) {
	p := store.ArchivePrefs{Default: el.Attr("default")}
	if !ValidDefault(p.Default) {
		return p, false
	}
	n := 0
	for _, l := range []struct {
		name string
		out  *[]string
	}{{"always", &p.Always}, {"never", &p.Never}} {
		list := el.Child(NSMAM, l.name)
		if list == nil {
			continue
		}
		for _, c := range list.Children() {
			if !c.Is(NSMAM, "jid") {
				continue
			}
			j, err := jid.Parse(c.Text())
			if err != nil {
				return p, false
			}
			if b := j.Bare().String(); !slices.Contains(*l.out, b) {
				*l.out = append(*l.out, b)
				n++
			}
		}
	}
	return p, n <= maxPrefJIDs
}

// result is the IQ result to iq, from its to.
func result(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("from", iq.To())
	return r
}
