package xmpp

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// AppendXML appends the serialization of e to buf. parentSpace is the default namespace in
// force where e is written (NSClient for stanzas inside a client stream): an xmlns
// declaration is written only where the namespace changes, which is what XMPP peers expect.
// Prefixed attributes are written with a prefix of their own (xml:lang keeps "xml").
//
// Elements in the streams namespace (<stream:features/>, <stream:error/>) are written with
// the "stream" prefix that the stream header declares, as every XMPP client expects; their
// children keep the default namespace in force. With parentSpace "" (a standalone element,
// as String writes it) the prefix is declared on the element itself.
func (e *Element) AppendXML(buf []byte, parentSpace string) []byte {
	buf = append(buf, '<')
	childSpace := e.Space
	if e.Space == NSStream {
		buf = append(buf, "stream:"...)
		buf = append(buf, e.Local...)
		if parentSpace == "" {
			buf = append(buf, ` xmlns:stream="`+NSStream+`"`...)
		}
		childSpace = parentSpace
	} else {
		buf = append(buf, e.Local...)
		if e.Space != parentSpace {
			buf = append(buf, ` xmlns="`...)
			buf = appendEscaped(buf, e.Space, true)
			buf = append(buf, '"')
		}
	}
	for i, a := range e.Attrs {
		buf = append(buf, ' ')
		switch a.Space {
		case "":
		case NSXML:
			buf = append(buf, "xml:"...)
		default:
			buf = appendPrefix(buf, e.Attrs, i)
		}
		buf = append(buf, a.Local...)
		buf = append(buf, `="`...)
		buf = appendEscaped(buf, a.Value, true)
		buf = append(buf, '"')
	}
	if len(e.Nodes) == 0 {
		return append(buf, "/>"...)
	}
	buf = append(buf, '>')
	for _, c := range e.Nodes {
		if c.Elem != nil {
			buf = c.Elem.AppendXML(buf, childSpace)
		} else {
			buf = appendEscaped(buf, c.Text, false)
		}
	}
	buf = append(buf, "</"...)
	if e.Space == NSStream {
		buf = append(buf, "stream:"...)
	}
	buf = append(buf, e.Local...)
	return append(buf, '>')
}

// appendPrefix writes the prefix of the namespaced attribute attrs[i] and its colon. The
// prefix is "ns" and the index of the first attribute in the same namespace, so that one
// element never declares a prefix twice (which its reader rejects) however many
// attributes it has; the declaration comes with that first attribute.
func appendPrefix(buf []byte, attrs []Attr, i int) []byte {
	first := i
	for j := range i {
		if attrs[j].Space == attrs[i].Space {
			first = j
			break
		}
	}
	if first == i {
		buf = append(buf, "xmlns:ns"...)
		buf = strconv.AppendInt(buf, int64(first+1), 10)
		buf = append(buf, `="`...)
		buf = appendEscaped(buf, attrs[i].Space, true)
		buf = append(buf, `" `...)
	}
	buf = append(buf, "ns"...)
	buf = strconv.AppendInt(buf, int64(first+1), 10)
	return append(buf, ':')
}

// String serializes e with its namespace declared, for logs and tests.
func (e *Element) String() string {
	return string(e.AppendXML(nil, ""))
}

// appendEscaped escapes character data or an attribute value. Invalid UTF-8 and characters
// XML 1.0 forbids are replaced by U+FFFD so that we never emit a document peers reject.
func appendEscaped(buf []byte, s string, attr bool) []byte {
	if !needsEscape(s) {
		return append(buf, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '<':
			buf = append(buf, "&lt;"...)
		case r == '>':
			buf = append(buf, "&gt;"...)
		case r == '&':
			buf = append(buf, "&amp;"...)
		case r == '"' && attr:
			buf = append(buf, "&quot;"...)
		case r == '\'' && attr:
			buf = append(buf, "&apos;"...)
		case (r == '\n' || r == '\r' || r == '\t') && attr:
			buf = append(buf, "&#x"...)
			buf = append(buf, "0123456789ABCDEF"[r>>4], "0123456789ABCDEF"[r&15], ';')
		case r == '\r':
			buf = append(buf, "&#xD;"...)
		case r == utf8.RuneError && size == 1, !isXMLChar(r):
			buf = append(buf, "\uFFFD"...)
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return buf
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || strings.IndexByte(`<>&"'`, c) >= 0 {
			return true
		}
	}
	return false
}

// isXMLChar reports whether r is allowed by the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
