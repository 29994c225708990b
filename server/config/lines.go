package config

import (
	"strings"
)

// keyLines maps every key path of a (syntactically valid) TOML document to the line where it
// is written, because BurntSushi/toml keeps key positions private. It understands table
// headers, dotted and quoted keys, and skips multi-line strings and arrays; for a key it
// cannot place (inside an inline table), lineOf falls back to the enclosing key.
type keyLines map[string]int

func pathKey(path []string) string { return strings.Join(path, "\x00") }

// lineOf returns the line of path or of its nearest ancestor; 0 if none is known.
func (kl keyLines) lineOf(path ...string) int {
	for n := len(path); n > 0; n-- {
		if l, ok := kl[pathKey(path[:n])]; ok {
			return l
		}
	}
	return 0
}

// scanKeyLines builds keyLines for src.
func scanKeyLines(src string) keyLines {
	kl := keyLines{}
	var table []string
	var st valueState
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if st.open() {
			st.scan(line)
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#':
		case t[0] == '[':
			inner := strings.Trim(t[:headerEnd(t)], "[] \t")
			table = splitKey(inner)
			kl.add(table, n)
		default:
			eq := keyEnd(t)
			path := append(append([]string(nil), table...), splitKey(t[:eq])...)
			kl.add(path, n)
			if eq < len(t) {
				st.scan(t[eq+1:])
			}
		}
	}
	return kl
}

func (kl keyLines) add(path []string, line int) {
	if k := pathKey(path); kl[k] == 0 {
		kl[k] = line
	}
}

// headerEnd returns the index after the closing bracket(s) of a table header, skipping
// brackets inside quoted keys.
func headerEnd(t string) int {
	q := byte(0)
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case q != 0 && c == '\\' && q == '"':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == ']':
			if i+1 < len(t) && t[i+1] == ']' {
				return i + 2
			}
			return i + 1
		}
	}
	return len(t)
}

// keyEnd returns the index of the '=' ending the key part of a key/value line.
func keyEnd(t string) int {
	q := byte(0)
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case q != 0 && c == '\\' && q == '"':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == '=':
			return i
		}
	}
	return len(t)
}

// splitKey splits a dotted key into its unquoted parts.
func splitKey(k string) []string {
	var parts []string
	var cur strings.Builder
	q := byte(0)
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case q == '"' && c == '\\' && i+1 < len(k):
			i++
			cur.WriteByte(k[i])
		case q != 0 && c == q:
			q = 0
		case q != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			q = c
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		case c != ' ' && c != '\t':
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

// valueState follows a value across lines: open brackets and multi-line strings.
type valueState struct {
	depth int
	multi string // `"""` or `'''` while inside a multi-line string
}

func (s *valueState) open() bool { return s.depth > 0 || s.multi != "" }

// scan advances the state over one line of value text.
func (s *valueState) scan(line string) {
	for i := 0; i < len(line); i++ {
		if s.multi != "" {
			if s.multi == `"""` && line[i] == '\\' {
				i++
			} else if strings.HasPrefix(line[i:], s.multi) {
				i += 2
				s.multi = ""
			}
			continue
		}
		switch c := line[i]; {
		case strings.HasPrefix(line[i:], `"""`) || strings.HasPrefix(line[i:], `'''`):
			s.multi = line[i : i+3]
			i += 2
		case c == '"' || c == '\'':
			i = skipString(line, i)
		case c == '[' || c == '{':
			s.depth++
		case c == ']' || c == '}':
			s.depth--
		case c == '#':
			return
		}
	}
}

// skipString returns the index of the quote closing the one-line string opened at i.
func skipString(line string, i int) int {
	q := line[i]
	for i++; i < len(line); i++ {
		switch {
		case q == '"' && line[i] == '\\':
			i++
		case line[i] == q:
			return i
		}
	}
	return i
}
