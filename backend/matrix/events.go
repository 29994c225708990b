package matrix

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

// encryptedNotice is what an end-to-end encrypted message becomes: the gateway holds no
// keys (it is not a Matrix device with Olm sessions), so it says so rather than showing
// nothing.
const encryptedNotice = "[An end-to-end encrypted message arrived: the gateway does not support encrypted Matrix chats, so it cannot be shown here. Read it in a Matrix client.]"

// convert turns a message event into the body, XHTML and attachments of a CONV_MESSAGE
// (User, Buddy and Nickname are the caller's): text and notices as they are, emotes as
// "/me ", HTML (org.matrix.custom.html) as XHTML-IM, media as their download URL (sent
// as OOB; the body is left empty so the daemon uses the URL, for inline display), an
// encrypted event as encryptedNotice. ok is false for events with nothing to show.
func (s *session) convert(ev *event.Event) (backend.Message, bool) {
	m := backend.Message{ID: string(ev.ID)}
	if ev.Type == event.EventEncrypted {
		m.Body = encryptedNotice
		return m, true
	}
	_ = ev.Content.ParseRaw(event.EventMessage)
	c, ok := ev.Content.Parsed.(*event.MessageEventContent)
	if !ok {
		return m, false
	}
	if c.NewContent != nil {
		c = c.NewContent // an edit: the new text (until edits map to XEP-0308)
	}
	switch c.MsgType {
	case event.MsgImage, event.MsgFile, event.MsgVideo, event.MsgAudio:
		u := s.mediaURL(c.URL)
		if u == "" {
			if c.File != nil {
				m.Body = encryptedNotice
				return m, true
			}
			return m, false
		}
		a := backend.Attachment{URL: u, Description: c.Body}
		if c.FileName != "" {
			a.Description = c.FileName
		}
		if c.Info != nil {
			a.MimeType = c.Info.MimeType
		}
		m.Attachments = []backend.Attachment{a}
		return m, true
	}
	if c.Body == "" {
		return m, false
	}
	m.Body = c.Body
	if c.Format == event.FormatHTML && c.FormattedBody != "" {
		m.XHTML = htmlToXHTML(c.FormattedBody)
	}
	if c.MsgType == event.MsgEmote {
		m.Body = "/me " + m.Body
		if m.XHTML != "" {
			m.XHTML = "/me " + m.XHTML
		}
	}
	return m, true
}

// mediaURL is the homeserver's download URL of an mxc:// URI, "" if it is none.
func (s *session) mediaURL(uri id.ContentURIString) string {
	cu, err := uri.Parse()
	if err != nil || cu.IsEmpty() {
		return ""
	}
	base := *s.cli.HomeserverURL
	base.Path = strings.TrimRight(base.Path, "/") + "/_matrix/media/v3/download/" +
		url.PathEscape(cu.Homeserver) + "/" + url.PathEscape(cu.FileID)
	base.RawQuery = ""
	return base.String()
}

// content is the user's message as a Matrix event: "/me text" an m.emote, XHTML-IM the
// formatted body (XHTML is HTML that Matrix clients read as it is).
func content(m backend.Message) *event.MessageEventContent {
	c := &event.MessageEventContent{MsgType: event.MsgText, Body: m.Body}
	xhtml := m.XHTML
	if rest, ok := strings.CutPrefix(m.Body, "/me "); ok {
		c.MsgType, c.Body = event.MsgEmote, rest
		xhtml = strings.TrimPrefix(xhtml, "/me ")
	}
	if xhtml != "" {
		c.Format, c.FormattedBody = event.FormatHTML, xhtml
	}
	for _, a := range m.Attachments {
		if !strings.Contains(c.Body, a.URL) {
			c.Body = strings.TrimSpace(c.Body + "\n" + a.URL)
		}
	}
	return c
}

// xhtmlTags maps the HTML tags Matrix clients send to the XHTML-IM integration set
// (XEP-0071 section 7); other tags are dropped and their text kept.
var xhtmlTags = map[atom.Atom]string{
	atom.A: "a", atom.Blockquote: "blockquote", atom.Br: "br", atom.Cite: "cite", atom.Code: "code",
	atom.Em: "em", atom.I: "em", atom.Li: "li", atom.Ol: "ol", atom.P: "p", atom.Pre: "pre",
	atom.Q: "q", atom.Span: "span", atom.Strong: "strong", atom.B: "strong", atom.Ul: "ul",
	atom.Del: "span", atom.S: "span", atom.U: "span", atom.H1: "p", atom.H2: "p", atom.H3: "p",
	atom.H4: "p", atom.H5: "p", atom.H6: "p", atom.Div: "p",
}

// xhtmlStyles are the styles of tags that XHTML-IM expresses as a span's style.
var xhtmlStyles = map[atom.Atom]string{
	atom.Del: "text-decoration: line-through", atom.S: "text-decoration: line-through",
	atom.U: "text-decoration: underline", atom.H1: "font-weight: bold", atom.H2: "font-weight: bold",
	atom.H3: "font-weight: bold", atom.H4: "font-weight: bold", atom.H5: "font-weight: bold",
	atom.H6: "font-weight: bold",
}

// maxXHTML bounds the converted XHTML; a longer formatted body goes as plain text only.
const maxXHTML = 64 << 10

// htmlToXHTML converts a formatted body (HTML, maybe not well-formed) into the inner XML
// of an XHTML-IM body; "" when there is nothing to convert. mx-reply fallbacks are dropped
// (the plain body keeps its quote).
func htmlToXHTML(src string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(src), ctx)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, n := range nodes {
		writeXHTML(&b, n)
	}
	if b.Len() > maxXHTML {
		return ""
	}
	return b.String()
}

func writeXHTML(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(escapeXML(n.Data))
		return
	case html.ElementNode:
	default:
		return
	}
	if n.Data == "mx-reply" {
		return
	}
	tag, ok := xhtmlTags[n.DataAtom]
	if !ok {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			writeXHTML(b, c)
		}
		return
	}
	b.WriteString("<" + tag)
	if tag == "a" {
		for _, a := range n.Attr {
			if a.Key == "href" && (strings.HasPrefix(a.Val, "https:") || strings.HasPrefix(a.Val, "http:") ||
				strings.HasPrefix(a.Val, "mailto:") || strings.HasPrefix(a.Val, "xmpp:")) {
				b.WriteString(` href="` + escapeXML(a.Val) + `"`)
			}
		}
	}
	if st := xhtmlStyles[n.DataAtom]; st != "" {
		b.WriteString(` style="` + st + `"`)
	}
	if tag == "br" {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeXHTML(b, c)
	}
	b.WriteString("</" + tag + ">")
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func escapeXML(s string) string { return xmlEscaper.Replace(s) }
