package xmpp

// WireSize is the size of el as AppendXML writes it inside a stream whose default
// namespace is parent, less the growth of escaped characters: names, attributes, text
// and the markup around them. It allocates nothing, so that every Send can count bytes.
func WireSize(el *Element, parent string) int {
	n := len(el.Local) + 3 // <local/>
	if len(el.Nodes) > 0 {
		n = 2*len(el.Local) + 5 // <local>...</local>
	}
	child := el.Space
	switch {
	case el.Space == NSStream:
		n += 14 // the stream: prefix, twice
		child = parent
	case el.Space != parent:
		n += len(el.Space) + 9 // xmlns="..."
	}
	for _, a := range el.Attrs {
		n += len(a.Local) + len(a.Value) + 4
		switch a.Space {
		case "":
		case NSXML:
			n += 4 // xml:
		default:
			n += len(a.Space) + 16 // xmlns:nsN="..." and the nsN: prefix
		}
	}
	for _, nd := range el.Nodes {
		if nd.Elem != nil {
			n += WireSize(nd.Elem, child)
		} else {
			n += len(nd.Text)
		}
	}
	return n
}
