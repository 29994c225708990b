package router

import (
	"errors"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// subdomains are the services that features own at label.domain (feature.Subdomain) and
// the feature that takes legacy file transfers (feature.Files). Built once in New.
type subdomains struct {
	byHost map[string]feature.Subdomain
	items  []*xmpp.Element // the server's disco#items entries, in registration order
	files  feature.Files
}

func newSubdomains(fs []feature.Feature, domain string) subdomains {
	var s subdomains
	for _, f := range fs {
		if sd, ok := f.(feature.Subdomain); ok {
			label, name := sd.Subdomain()
			host := label + "." + domain
			if _, dup := s.byHost[host]; dup {
				panic("router: two features own " + host) // a wiring bug
			}
			setLazy(&s.byHost, host, sd)
			s.items = append(s.items, xmpp.New(xmpp.NSDiscoItems, "item", "jid", host, "name", name))
		}
		if fl, ok := f.(feature.Files); ok && s.files == nil {
			s.files = fl
		}
	}
	return s
}

// subdomainItems appends the services to the server's disco#items answer q.
func (r *Router) subdomainItems(q *xmpp.Element) {
	for _, it := range r.subs.items {
		q.Append(it.Clone())
	}
}

// subdomainIQ hands a get or set to the feature owning its address.
func (u *user) subdomainIQ(rs *resource, iq *xmpp.Element, t target) {
	u.r.subs.byHost[t.jid.Domainpart()].HandleSubdomainIQ(u.handle(), rs.key, iq)
}

// transfersKey keeps the ids of a user's legacy file transfers under way (featVals).
type transfersKey struct{}

func (u *user) transfers() map[int32]bool {
	m, _ := u.featValue(transfersKey{}).(map[int32]bool)
	if m == nil {
		m = make(map[int32]bool)
		u.setFeatValue(transfersKey{}, m)
	}
	return m
}

// fileFrame handles FT_START and FT_FINISH of a backend (pbnetwork.proto, "File
// transfers"): an offered file is accepted (FT_CONTINUE) or refused (FT_FINISH) by the
// Files feature; a finished one reaches the user as its URL with OOB.
func (u *user) fileFrame(t pb.WrapperMessage_Type, m *pb.File) {
	fs, id := u.r.subs.files, m.GetFtID()
	switch {
	case t == pb.WrapperMessage_TYPE_FT_START && fs == nil:
		_ = u.toBackend(pb.WrapperMessage_TYPE_FT_FINISH, m)
		u.fileNotice(m.GetBuddyName(), "The file "+m.GetFileName()+" was refused: this server takes no files (no [upload] service).")
	case t == pb.WrapperMessage_TYPE_FT_START:
		f := feature.File{ID: id, From: u.buddyFrom(m.GetBuddyName()), Name: m.GetFileName(),
			MimeType: m.GetMimeType(), Size: int64(m.GetSize())}
		if err := fs.FileStart(u.handle(), f); err != nil {
			_ = u.toBackend(pb.WrapperMessage_TYPE_FT_FINISH, m)
			u.fileRefused(m.GetBuddyName(), err)
			return
		}
		u.transfers()[id] = true
		if u.toBackend(pb.WrapperMessage_TYPE_FT_CONTINUE, m) != nil {
			u.endTransfer(id)
		}
	case t == pb.WrapperMessage_TYPE_FT_FINISH && fs != nil && u.transfers()[id]:
		delete(u.transfers(), id)
		url, err := fs.FileEnd(u.handle(), id, true)
		if err != nil {
			u.fileRefused(m.GetBuddyName(), err)
			return
		}
		msg := u.newMessage(m.GetBuddyName(), "chat")
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(url), oobX(url, m.GetFileName()))
		u.deliverMessage(msg, jidmap.Key(m.GetBuddyName()))
	default:
		u.log.Debug().Stringer("type", t).Int32("ft_id", id).Msg("file frame for no transfer ignored")
	}
}

// fileData hands an FT_DATA chunk to its transfer; an error cancels it.
func (u *user) fileData(m *pb.FileTransferData) {
	id := m.GetFtID()
	if u.r.subs.files == nil || !u.transfers()[id] {
		u.log.Debug().Int32("ft_id", id).Msg("file data for no transfer ignored")
		return
	}
	if err := u.r.subs.files.FileData(u.handle(), id, m.GetData()); err != nil {
		delete(u.transfers(), id)
		_ = u.toBackend(pb.WrapperMessage_TYPE_FT_FINISH, &pb.File{FtID: &id})
		u.fileRefused("", err)
	}
}

// endTransfer gives up a transfer under way.
func (u *user) endTransfer(id int32) {
	delete(u.transfers(), id)
	_, _ = u.r.subs.files.FileEnd(u.handle(), id, false)
}

// endTransfers gives up every transfer under way (the legacy session ended).
func (u *user) endTransfers() {
	if u.r.subs.files == nil {
		return
	}
	for id := range u.transfers() {
		u.endTransfer(id)
	}
}

// fileRefused tells the user why a file did not arrive.
func (u *user) fileRefused(buddy string, err error) {
	var fe *feature.Error
	text := "A file could not be received."
	if errors.As(err, &fe) && fe.Text != "" {
		text = fe.Text
	}
	u.log.Info().Str("buddy", buddy).Str("reason", text).Msg("legacy file refused")
	u.fileNotice(buddy, text)
}

// fileNotice is a message from the service about a file from buddy.
func (u *user) fileNotice(buddy, text string) {
	if buddy != "" {
		text = "File from " + buddy + ": " + text
	}
	msg := xmpp.New(xmpp.NSClient, "message", "from", u.r.cfg.Domain, "type", "chat").
		Append(xmpp.New(xmpp.NSClient, "body").AppendText(text))
	u.deliverMessage(msg, "")
}
