package xmpp

import (
	"encoding/xml"
	"strings"
)

// maxLinearAttrs: up to this many attributes, duplicates are found by comparing pairs;
// beyond it a map keeps the check linear, so a flood of attributes cannot cost O(n²).
const maxLinearAttrs = 16

// resolve pushes the namespace declarations of t onto r.ns and resolves the element's and
// its attributes' prefixes (Namespaces in XML 1.0). Unbound prefixes, reserved prefixes
// bound wrongly, colons in local names and duplicate attributes are not well-formed.
func (r *Reader) resolve(t xml.StartElement) (string, []Attr, error) {
	n, mark := 0, len(r.ns)
	for _, a := range t.Attr {
		prefix := a.Name.Local
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			prefix = ""
		case a.Name.Space == "xmlns":
			if err := checkPrefixBinding(prefix, a.Value); err != nil {
				return "", nil, err
			}
		default:
			n++
			continue
		}
		for _, b := range r.ns[mark:] {
			if b.prefix == prefix {
				return "", nil, notWellFormed("duplicate namespace declaration")
			}
		}
		r.ns = append(r.ns, nsBinding{prefix, a.Value})
	}
	if strings.Contains(t.Name.Local, ":") || t.Name.Space == "xmlns" {
		return "", nil, notWellFormed("bad element name")
	}
	space, ok := r.lookup(t.Name.Space)
	if !ok {
		return "", nil, notWellFormed("unbound namespace prefix " + t.Name.Space)
	}
	if n == 0 {
		return space, nil, nil
	}
	attrs := make([]Attr, 0, n)
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue
		}
		if strings.Contains(a.Name.Local, ":") {
			return "", nil, notWellFormed("bad attribute name")
		}
		at := Attr{Local: a.Name.Local, Value: a.Value}
		if a.Name.Space != "" {
			if at.Space, ok = r.lookup(a.Name.Space); !ok {
				return "", nil, notWellFormed("unbound namespace prefix " + a.Name.Space)
			}
		}
		attrs = append(attrs, at)
	}
	if hasDuplicate(attrs) {
		return "", nil, notWellFormed("duplicate attribute")
	}
	return space, attrs, nil
}

// checkPrefixBinding enforces the reserved prefixes and forbids undeclaring a prefix.
func checkPrefixBinding(prefix, uri string) error {
	switch {
	case uri == "":
		return notWellFormed("empty namespace for prefix " + prefix)
	case prefix == "xmlns":
		return notWellFormed("the xmlns prefix cannot be declared")
	case prefix == "xml" && uri != NSXML, prefix != "xml" && uri == NSXML:
		return notWellFormed("the xml prefix is reserved")
	}
	return nil
}

// lookup returns the namespace bound to prefix; the xml prefix is always bound and the
// default namespace is "" when nothing declares it.
func (r *Reader) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return NSXML, true
	}
	for i := len(r.ns) - 1; i >= 0; i-- {
		if r.ns[i].prefix == prefix {
			return r.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

func hasDuplicate(attrs []Attr) bool {
	if len(attrs) <= maxLinearAttrs {
		for i := range attrs {
			for j := i + 1; j < len(attrs); j++ {
				if attrs[i].Space == attrs[j].Space && attrs[i].Local == attrs[j].Local {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[[2]string]struct{}, len(attrs))
	for _, a := range attrs {
		k := [2]string{a.Space, a.Local}
		if _, dup := seen[k]; dup {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

func notWellFormed(text string) *StreamError {
	return &StreamError{Condition: CondNotWellFormed, Text: text}
}
