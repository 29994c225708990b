package archive

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// IQs implements feature.IQHandler: queries, metadata and preferences on the account,
// queries and metadata on a room.
func (*Archive) IQs() []feature.IQ {
	return []feature.IQ{
		{Space: NSMAM, Local: "query", Scope: feature.Account},
		{Space: NSMAM, Local: "metadata", Scope: feature.Account},
		{Space: NSMAM, Local: "prefs", Scope: feature.Account},
		{Space: NSMAM, Local: "query", Scope: feature.Room},
		{Space: NSMAM, Local: "metadata", Scope: feature.Room},
	}
}

// HandleIQ implements feature.IQHandler.
func (a *Archive) HandleIQ(u feature.User, from string, iq, payload *xmpp.Element) {
	room, by := "", u.JID().String()
	if to, err := jid.Parse(iq.To()); err == nil && to.Localpart() != "" && to.Bare().String() != by {
		room = to.Bare().String() // the router passes a room's bare JID only (feature.Room)
		by = room
	}
	get := iq.Type() == "get"
	if payload.Local != "prefs" {
		a.flush() // what the user was just sent is in the answer
	}
	switch {
	case payload.Local == "prefs":
		a.handlePrefs(u, from, iq, payload)
	case payload.Local == "metadata" && get:
		a.metadata(u, from, iq, room)
	case payload.Local == "query" && get:
		u.Send(from, result(iq).Append(xmpp.New(NSMAM, "query").Append(queryForm())))
	case payload.Local == "query":
		a.query(u, from, iq, payload, room, by)
	default:
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaBadRequest, ""))
	}
}

// queryForm is the form of XEP-0313 section 4.1.1, with the #extended fields.
func queryForm() *xmpp.Element {
	x := xmpp.New(xmpp.NSDataForms, "x", "type", "form")
	x.Append(xmpp.New(xmpp.NSDataForms, "field", "var", "FORM_TYPE", "type", "hidden").
		Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(NSMAM)))
	for _, f := range [][2]string{{"with", "jid-single"}, {"start", "text-single"}, {"end", "text-single"},
		{"before-id", "text-single"}, {"after-id", "text-single"}, {"ids", "text-multi"}} {
		x.Append(xmpp.New(xmpp.NSDataForms, "field", "var", f[0], "type", f[1]))
	}
	return x
}

// queryError is a stanza error condition with its text.
type queryError struct{ cond, text string }

func (e *queryError) Error() string { return e.cond + ": " + e.text }

func badRequest(text string) error { return &queryError{xmpp.StanzaBadRequest, text} }

// request is a parsed query: the filters, the form's id bounds and the RSM paging.
type request struct {
	q                   store.ArchiveQuery
	afterID, beforeID   string // the form's after-id and before-id
	rsmAfter, rsmBefore string
	last                bool // RSM <before/>: the last page
	max                 int
	flip                bool
}

// parseRequest reads a query's form and <set/>; an unknown field or a bad value is
// bad-request (XEP-0313 section 4.1.1, XEP-0059 section 2.5).
func (a *Archive) parseRequest(payload *xmpp.Element) (*request, error) {
	r := &request{max: a.cfg.MaxPage, flip: payload.Child(NSMAM, "flip-page") != nil}
	if x := payload.Child(xmpp.NSDataForms, "x"); x != nil {
		if err := r.form(x); err != nil {
			return nil, err
		}
	}
	if set := payload.Child(NSRSM, "set"); set != nil {
		if err := r.rsm(set, a.cfg.MaxPage); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *request) form(x *xmpp.Element) error {
	for _, f := range x.Children() {
		if !f.Is(xmpp.NSDataForms, "field") {
			continue
		}
		var values []string
		for _, v := range f.Children() {
			if v.Is(xmpp.NSDataForms, "value") {
				values = append(values, v.Text())
			}
		}
		one := ""
		if len(values) > 0 {
			one = values[0]
		}
		if err := r.field(f.Attr("var"), one, values); err != nil {
			return err
		}
	}
	return nil
}

// maxIDs bounds the ids field.
const maxIDs = 250

func (r *request) field(name, v string, values []string) error {
	var err error
	switch name {
	case "FORM_TYPE":
		if v != NSMAM {
			return badRequest("FORM_TYPE is not " + NSMAM)
		}
	case "with":
		j, perr := jid.Parse(v)
		if perr != nil {
			return badRequest("with is not a JID")
		}
		r.q.With = j.Bare().String()
		if j.Resourcepart() != "" {
			r.q.WithFull = j.String()
		}
	case "start":
		r.q.Start, err = parseTime(v)
	case "end":
		r.q.End, err = parseTime(v)
	case "after-id":
		r.afterID = v
	case "before-id":
		r.beforeID = v
	case "ids":
		if len(values) > maxIDs {
			return badRequest("more than 250 ids")
		}
		r.q.StanzaIDs = values
		if len(values) == 0 {
			r.q.StanzaIDs = []string{""} // no id selects nothing
		}
	default:
		return badRequest("unknown field " + name)
	}
	return err
}

func parseTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, badRequest("not an XEP-0082 date and time: " + v)
	}
	return t, nil
}

func (r *request) rsm(set *xmpp.Element, maxPage int) error {
	if m := set.Child(NSRSM, "max"); m != nil {
		n, err := strconv.Atoi(strings.TrimSpace(m.Text()))
		if err != nil || n < 0 {
			return badRequest("max is not a number")
		}
		r.max = min(n, maxPage)
	}
	if set.Child(NSRSM, "index") != nil {
		return &queryError{xmpp.StanzaFeatureNotImplemented, "paging by index is not supported"}
	}
	if e := set.Child(NSRSM, "after"); e != nil {
		if r.rsmAfter = e.Text(); r.rsmAfter == "" {
			return badRequest("empty after")
		}
	}
	if e := set.Child(NSRSM, "before"); e != nil {
		r.rsmBefore, r.last = e.Text(), true
	}
	return nil
}

// query answers a MAM query: the results, then the <fin/>.
func (a *Archive) query(u feature.User, from string, iq, payload *xmpp.Element, room, by string) {
	r, err := a.parseRequest(payload)
	var page store.ArchivePage
	count := 0
	if err == nil {
		page, count, err = a.run(u.JID().String(), room, r)
	}
	if err != nil {
		qe := &queryError{xmpp.StanzaInternalServerError, ""}
		if !errors.As(err, &qe) {
			a.log.Error().Err(err).Str("jid", u.JID().String()).Msg("archive query failed")
		}
		typ := xmpp.ErrTypeModify
		if qe.cond == xmpp.StanzaItemNotFound || qe.cond == xmpp.StanzaInternalServerError || qe.cond == xmpp.StanzaFeatureNotImplemented {
			typ = xmpp.ErrTypeCancel
		}
		u.Send(from, xmpp.ErrorReply(iq, typ, qe.cond, qe.text))
		return
	}
	entries := page.Entries
	if r.flip {
		entries = reversed(entries)
	}
	qid := payload.Attr("queryid")
	for _, e := range entries {
		if msg := resultMessage(e, by, qid); msg != nil && !u.Send(from, msg) {
			return // the session is closing: no <fin/> either
		}
	}
	u.Send(from, result(iq).Append(fin(page, entries, count, r.max)))
}

// run resolves the ids to sequence numbers and reads the page and the count.
func (a *Archive) run(user, room string, r *request) (store.ArchivePage, int, error) {
	ctx, cancel := a.ctx()
	defer cancel()
	seq := func(id string) (int64, error) {
		s, err := a.cfg.Store.ArchiveSeq(ctx, user, room, id)
		if errors.Is(err, store.ErrUnknownID) {
			return 0, &queryError{xmpp.StanzaItemNotFound, "no message with id " + id + " in the archive"}
		}
		return s, err
	}
	q := r.q
	q.Room = room
	var err error
	if r.afterID != "" {
		if q.AfterSeq, err = seq(r.afterID); err != nil {
			return store.ArchivePage{}, 0, err
		}
	}
	if r.beforeID != "" {
		if q.BeforeSeq, err = seq(r.beforeID); err != nil {
			return store.ArchivePage{}, 0, err
		}
	}
	count, err := a.cfg.Store.CountArchive(ctx, user, q)
	if err != nil {
		return store.ArchivePage{}, 0, err
	}
	if r.rsmAfter != "" {
		s, err := seq(r.rsmAfter)
		if err != nil {
			return store.ArchivePage{}, 0, err
		}
		q.AfterSeq = max(q.AfterSeq, s)
	}
	if r.rsmBefore != "" {
		s, err := seq(r.rsmBefore)
		if err != nil {
			return store.ArchivePage{}, 0, err
		}
		if q.BeforeSeq == 0 || s < q.BeforeSeq {
			q.BeforeSeq = s
		}
	}
	q.Max, q.Last = r.max, r.last
	if q.Max == 0 {
		return store.ArchivePage{Complete: count == 0}, count, nil // XEP-0059 2.6: the count only
	}
	page, err := a.cfg.Store.QueryArchive(ctx, user, q)
	return page, count, err
}

// resultMessage wraps an entry as a result (XEP-0313 section 4.2); nil if the stored
// stanza cannot be read back.
func resultMessage(e store.ArchiveEntry, by, queryID string) *xmpp.Element {
	stored, err := parse(e.Stanza)
	if err != nil {
		return nil
	}
	res := xmpp.New(NSMAM, "result", "id", e.StanzaID)
	if queryID != "" {
		res.SetAttr("queryid", queryID)
	}
	res.Append(xmpp.New(xmpp.NSForward, "forwarded").Append(
		xmpp.New(xmpp.NSDelay, "delay", "stamp", e.At.UTC().Format("2006-01-02T15:04:05.000000Z")), stored))
	return xmpp.New(xmpp.NSClient, "message", "from", by, "id", newID()).Append(res)
}

// fin is the <fin/> of a query: complete, and the RSM <set/> with first, last and count.
func fin(page store.ArchivePage, shown []store.ArchiveEntry, count, max int) *xmpp.Element {
	f := xmpp.New(NSMAM, "fin")
	if page.Complete {
		f.SetAttr("complete", "true")
	}
	set := xmpp.New(NSRSM, "set")
	if len(shown) > 0 {
		set.Append(xmpp.New(NSRSM, "first").AppendText(shown[0].StanzaID),
			xmpp.New(NSRSM, "last").AppendText(shown[len(shown)-1].StanzaID))
	}
	set.Append(xmpp.New(NSRSM, "count").AppendText(strconv.Itoa(count)))
	return f.Append(set)
}

// metadata answers the metadata query (XEP-0313 section 6.2): the first and the last
// entry's id and time, nothing for an empty archive.
func (a *Archive) metadata(u feature.User, from string, iq *xmpp.Element, room string) {
	ctx, cancel := a.ctx()
	defer cancel()
	md := xmpp.New(NSMAM, "metadata")
	for _, end := range []struct {
		name string
		last bool
	}{{"start", false}, {"end", true}} {
		p, err := a.cfg.Store.QueryArchive(ctx, u.JID().String(), store.ArchiveQuery{Room: room, Max: 1, Last: end.last, WithoutText: true})
		if err != nil {
			a.log.Error().Err(err).Str("jid", u.JID().String()).Msg("archive metadata failed")
			u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaInternalServerError, ""))
			return
		}
		if len(p.Entries) == 1 {
			e := p.Entries[0]
			md.Append(xmpp.New(NSMAM, end.name, "id", e.StanzaID, "timestamp", e.At.UTC().Format("2006-01-02T15:04:05.000000Z")))
		}
	}
	u.Send(from, result(iq).Append(md))
}

func reversed(es []store.ArchiveEntry) []store.ArchiveEntry {
	out := make([]store.ArchiveEntry, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}
