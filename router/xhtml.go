package router

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// streamHead primes the XML reader for fragments: the default namespace is jabber:client
// as in a client stream.
const streamHead = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// parseElement parses one top-level element with the hardened reader's limits.
func parseElement(s string) (*xmpp.Element, error) {
	rd := xmpp.NewReader(strings.NewReader(streamHead+s), xmpp.Limits{})
	if _, err := rd.StreamHeader(); err != nil {
		return nil, err
	}
	return rd.Next()
}

// xhtmlOf is the inner XML of the XHTML-IM <body/> of m, "" without one (spec 3.9 step 5).
func xhtmlOf(m *xmpp.Element) string {
	html := m.Child(xmpp.NSXHTMLIM, "html")
	if html == nil {
		return ""
	}
	body := html.Child(xmpp.NSXHTML, "body")
	if body == nil {
		return ""
	}
	bare := &xmpp.Element{Space: body.Space, Local: body.Local, Nodes: body.Nodes}
	s := string(bare.AppendXML(nil, xmpp.NSXHTML))
	if strings.HasSuffix(s, "/>") {
		return ""
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "<body>"), "</body>")
}

// parseXHTML turns the backend's XHTML (the inner XML of <body/>, or a whole <body/>) into
// an XHTML <body/> element; nil if it does not parse.
func parseXHTML(s string) *xmpp.Element {
	if !strings.HasPrefix(strings.TrimSpace(s), "<body") {
		s = "<body xmlns='" + xmpp.NSXHTML + "'>" + s + "</body>"
	}
	el, err := parseElement(s)
	if err != nil {
		return nil
	}
	if el.Space != xmpp.NSXHTML {
		retag(el, el.Space, xmpp.NSXHTML)
	}
	return el
}

// retag moves el and its descendants from namespace from to to (a backend's <body> without
// xmlns parses as jabber:client).
func retag(el *xmpp.Element, from, to string) {
	if el.Space == from {
		el.Space = to
	}
	for _, c := range el.Children() {
		retag(c, from, to)
	}
}

// oobX is a jabber:x:oob <x/> (XEP-0066).
func oobX(url, desc string) *xmpp.Element {
	x := xmpp.New(xmpp.NSOOB, "x").Append(xmpp.New(xmpp.NSOOB, "url").AppendText(url))
	if desc != "" {
		x.Append(xmpp.New(xmpp.NSOOB, "desc").AppendText(desc))
	}
	return x
}

// oobAttachments maps a client's OOB <x/> elements to attachments.
func oobAttachments(m *xmpp.Element) []*pb.Attachment {
	var out []*pb.Attachment
	for _, x := range m.Children() {
		if x.Is(xmpp.NSOOB, "x") && x.ChildText(xmpp.NSOOB, "url") != "" {
			a := &pb.Attachment{Url: proto.String(x.ChildText(xmpp.NSOOB, "url"))}
			if d := x.ChildText(xmpp.NSOOB, "desc"); d != "" {
				a.Description = proto.String(d)
			}
			out = append(out, a)
		}
	}
	return out
}

// segment is a run of text or one image of an XHTML body, in document order.
type segment struct {
	text, img string
}

// segments flattens an XHTML body into text runs and <img src/> (spec 3.10 OOB).
func segments(el *xmpp.Element, out []segment) []segment {
	for _, n := range el.Nodes {
		switch {
		case n.Elem == nil:
			if len(out) > 0 && out[len(out)-1].img == "" {
				out[len(out)-1].text += n.Text
			} else {
				out = append(out, segment{text: n.Text})
			}
		case n.Elem.Local == "img" && n.Elem.Attr("src") != "":
			out = append(out, segment{img: n.Elem.Attr("src")})
		default:
			out = segments(n.Elem, out)
		}
	}
	return out
}

// wrapMedia applies the OOB modes of spec 3.10 to a message whose XHTML has images:
// exclusive (oob_replace_body), split (oob_split) or wrap-all (neither).
func (r *Router) wrapMedia(msg, html *xmpp.Element) []*xmpp.Element {
	if html == nil {
		return []*xmpp.Element{msg}
	}
	segs := segments(html, nil)
	var imgs []string
	for _, s := range segs {
		if s.img != "" {
			imgs = append(imgs, s.img)
		}
	}
	switch {
	case len(imgs) == 0:
		return []*xmpp.Element{msg}
	case r.cfg.OOBReplaceBody:
		msg.RemoveChildren(xmpp.NSClient, "body")
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(imgs[0]), oobX(imgs[0], ""))
		return []*xmpp.Element{msg}
	case r.cfg.OOBSplit:
		return splitMedia(msg, segs)
	}
	for _, src := range imgs {
		msg.Append(oobX(src, ""))
	}
	return []*xmpp.Element{msg}
}

// splitMedia makes alternating text-only and single-image messages (spec 3.10 split).
func splitMedia(msg *xmpp.Element, segs []segment) []*xmpp.Element {
	var out []*xmpp.Element
	for _, s := range segs {
		m := xmpp.New(xmpp.NSClient, "message", "from", msg.From(), "type", msg.Type())
		switch {
		case s.img != "":
			m.Append(xmpp.New(xmpp.NSClient, "body").AppendText(s.img), oobX(s.img, ""))
		case strings.TrimSpace(s.text) != "":
			m.Append(xmpp.New(xmpp.NSClient, "body").AppendText(strings.TrimSpace(s.text)))
		default:
			continue
		}
		if d := msg.Child(xmpp.NSDelay, "delay"); d != nil {
			m.Append(d.Clone())
		}
		out = append(out, m)
	}
	if len(out) > 0 {
		out[0].SetAttr("id", msg.ID())
	}
	return out
}

// idSet remembers a bounded number of message ids (oldest dropped first).
type idSet struct {
	order []string
	set   map[string]struct{}
}

const maxReceipts = 1024

func (s *idSet) add(id string) {
	if s.set == nil {
		s.set = make(map[string]struct{})
	}
	if _, ok := s.set[id]; ok {
		return
	}
	if len(s.order) >= maxReceipts {
		delete(s.set, s.order[0])
		s.order = s.order[1:]
	}
	s.order = append(s.order, id)
	s.set[id] = struct{}{}
}

// take reports whether id was in the set and removes it.
func (s *idSet) take(id string) bool {
	if _, ok := s.set[id]; !ok {
		return false
	}
	delete(s.set, id)
	for i, v := range s.order {
		if v == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	return true
}

// attachmentsFor is what of m's OOB URLs goes to the backend as attachments: all of them
// when the backends announced features.attachments, else none. A message that is only
// an OOB URL (no body) then carries the URL as its text, so that the legacy contact gets
// the link; Conversations and Dino send the URL as the body too, which then goes as is.
func (u *user) attachmentsFor(m *xmpp.Element, conv *pb.ConversationMessage) []*pb.Attachment {
	as := oobAttachments(m)
	if u.r.backends.Features().Attachments || len(as) == 0 {
		return as
	}
	if conv.GetMessage() == "" {
		urls := make([]string, len(as))
		for i, a := range as {
			urls[i] = a.GetUrl()
		}
		conv.Message = proto.String(strings.Join(urls, "\n"))
	}
	return nil
}
