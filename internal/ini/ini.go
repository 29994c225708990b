package ini

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// File is an ordered INI document. The zero value is an empty document ready for Add.
type File struct {
	entries []entry
}

type entry struct {
	section, key, value string
}

// Parse reads an INI document. A line that is neither a header, a comment nor `key = value`
// is an error naming its line number.
func Parse(r io.Reader) (*File, error) {
	f := &File{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	section := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("ini: line %d: unterminated section header", n)
			}
			section = strings.TrimSpace(line[1:end])
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("ini: line %d: expected key = value", n)
		}
		key = strings.TrimSpace(key)
		if key == "" {
			return nil, fmt.Errorf("ini: line %d: empty key", n)
		}
		f.Add(section, key, stripComment(value))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ini: %w", err)
	}
	return f, nil
}

// stripComment removes a trailing " # comment" as boost::program_options does.
func stripComment(v string) string {
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// Add appends a value; adding the same key again builds a list.
func (f *File) Add(section, key, value string) {
	f.entries = append(f.entries, entry{section, key, value})
}

// Get returns the last value of section.key.
func (f *File) Get(section, key string) (string, bool) {
	for i := len(f.entries) - 1; i >= 0; i-- {
		if e := f.entries[i]; e.section == section && e.key == key {
			return e.value, true
		}
	}
	return "", false
}

// Values returns every value of section.key in order.
func (f *File) Values(section, key string) []string {
	var out []string
	for _, e := range f.entries {
		if e.section == section && e.key == key {
			out = append(out, e.value)
		}
	}
	return out
}

// Bool reads section.key as Spectrum 2 does: 1/true/yes/on are true, anything else false;
// def when absent.
func (f *File) Bool(section, key string, def bool) bool {
	v, ok := f.Get(section, key)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Keys lists the distinct "section.key" names in first-seen order.
func (f *File) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range f.entries {
		k := e.section + "." + e.key
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// WriteTo writes the document grouped by section in first-seen order. A value containing a
// newline cannot be represented and is an error rather than a silently broken file.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	var order []string
	bySection := map[string][]entry{}
	for _, e := range f.entries {
		if strings.ContainsAny(e.value, "\r\n") || strings.ContainsAny(e.key, "\r\n=[]") {
			return 0, fmt.Errorf("ini: %s.%s: value cannot be written to an INI file", e.section, e.key)
		}
		if _, ok := bySection[e.section]; !ok {
			order = append(order, e.section)
		}
		bySection[e.section] = append(bySection[e.section], e)
	}
	for i, s := range order {
		if i > 0 {
			b.WriteByte('\n')
		}
		if s != "" {
			fmt.Fprintf(&b, "[%s]\n", s)
		}
		for _, e := range bySection[s] {
			fmt.Fprintf(&b, "%s = %s\n", e.key, e.value)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
