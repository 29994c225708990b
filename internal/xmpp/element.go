package xmpp

import "strings"

// Attr is one attribute. Space is the namespace URI of a prefixed attribute
// (NSXML for xml:lang) and empty for ordinary attributes.
type Attr struct {
	Space, Local, Value string
}

// Node is one child of an Element: either an element or character data.
type Node struct {
	Elem *Element // nil for a text node
	Text string   // character data, unescaped
}

// Element is an XML element with its namespace resolved. Namespace declarations are not
// kept as attributes: the serializer writes them where they are needed.
type Element struct {
	Space, Local string
	Attrs        []Attr
	Nodes        []Node
}

// New returns an element in namespace space with the given attributes as name/value pairs.
func New(space, local string, attrs ...string) *Element {
	e := &Element{Space: space, Local: local}
	if len(attrs) > 1 {
		e.Attrs = make([]Attr, 0, len(attrs)/2) // one allocation, not one per doubling
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attrs = append(e.Attrs, Attr{Local: attrs[i], Value: attrs[i+1]})
	}
	return e
}

// Attr returns the value of the unprefixed attribute local, or "".
func (e *Element) Attr(local string) string {
	for _, a := range e.Attrs {
		if a.Space == "" && a.Local == local {
			return a.Value
		}
	}
	return ""
}

// HasAttr reports whether the unprefixed attribute local is present.
func (e *Element) HasAttr(local string) bool {
	for _, a := range e.Attrs {
		if a.Space == "" && a.Local == local {
			return true
		}
	}
	return false
}

// SetAttr sets the unprefixed attribute local; an empty value removes it.
func (e *Element) SetAttr(local, value string) *Element {
	for i, a := range e.Attrs {
		if a.Space == "" && a.Local == local {
			if value == "" {
				e.Attrs = append(e.Attrs[:i], e.Attrs[i+1:]...)
			} else {
				e.Attrs[i].Value = value
			}
			return e
		}
	}
	if value != "" {
		e.Attrs = append(e.Attrs, Attr{Local: local, Value: value})
	}
	return e
}

// Lang returns xml:lang, or "".
func (e *Element) Lang() string {
	for _, a := range e.Attrs {
		if a.Space == NSXML && a.Local == "lang" {
			return a.Value
		}
	}
	return ""
}

// Append adds child elements and returns e.
func (e *Element) Append(children ...*Element) *Element {
	for _, c := range children {
		if c != nil {
			e.Nodes = append(e.Nodes, Node{Elem: c})
		}
	}
	return e
}

// AppendText adds character data and returns e.
func (e *Element) AppendText(s string) *Element {
	if s != "" {
		e.Nodes = append(e.Nodes, Node{Text: s})
	}
	return e
}

// Child returns the first child element with the given namespace and local name
// (space "" matches any namespace), or nil.
func (e *Element) Child(space, local string) *Element {
	for _, n := range e.Nodes {
		if n.Elem != nil && n.Elem.Local == local && (space == "" || n.Elem.Space == space) {
			return n.Elem
		}
	}
	return nil
}

// ChildText returns the text of the first matching child, or "".
func (e *Element) ChildText(space, local string) string {
	if c := e.Child(space, local); c != nil {
		return c.Text()
	}
	return ""
}

// Children returns the child elements in document order.
func (e *Element) Children() []*Element {
	var out []*Element
	for _, n := range e.Nodes {
		if n.Elem != nil {
			out = append(out, n.Elem)
		}
	}
	return out
}

// RemoveChildren removes every child element with the given namespace and local name
// (local "" matches any name in the namespace).
func (e *Element) RemoveChildren(space, local string) {
	kept := e.Nodes[:0]
	for _, n := range e.Nodes {
		if n.Elem != nil && n.Elem.Space == space && (local == "" || n.Elem.Local == local) {
			continue
		}
		kept = append(kept, n)
	}
	for i := len(kept); i < len(e.Nodes); i++ {
		e.Nodes[i] = Node{}
	}
	e.Nodes = kept
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	if len(e.Nodes) == 1 {
		return e.Nodes[0].Text
	}
	var b strings.Builder
	for _, n := range e.Nodes {
		if n.Elem == nil {
			b.WriteString(n.Text)
		}
	}
	return b.String()
}

// Clone returns a deep copy of e.
func (e *Element) Clone() *Element {
	if e == nil {
		return nil
	}
	c := &Element{Space: e.Space, Local: e.Local}
	if len(e.Attrs) > 0 {
		c.Attrs = append([]Attr(nil), e.Attrs...)
	}
	if len(e.Nodes) > 0 {
		c.Nodes = make([]Node, len(e.Nodes))
		for i, n := range e.Nodes {
			c.Nodes[i] = Node{Elem: n.Elem.Clone(), Text: n.Text}
		}
	}
	return c
}

// Is reports whether e has the given namespace and local name.
func (e *Element) Is(space, local string) bool {
	return e != nil && e.Space == space && e.Local == local
}

// Type returns the stanza type attribute.
func (e *Element) Type() string { return e.Attr("type") }

// ID returns the stanza id attribute.
func (e *Element) ID() string { return e.Attr("id") }

// From returns the from attribute.
func (e *Element) From() string { return e.Attr("from") }

// To returns the to attribute.
func (e *Element) To() string { return e.Attr("to") }
