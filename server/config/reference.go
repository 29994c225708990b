package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/cluster"
)

// samples are the values the reference config shows for options without a usable default.
var samples = map[string]string{"service.jid": `"localhost"`}

// ReferenceTOML returns etc/spectrum2.toml: every option at its default with its meaning as a
// comment, generated from the option table so that it cannot drift from the code.
func ReferenceTOML() []byte {
	var b strings.Builder
	b.WriteString(`# spectrum2 reference configuration: every option, at its default, with what it does.
# Copy this file and change what you need; options left out take the value shown here.
# Check a file with: spectrum2 config check FILE
#
# Generated from server/config/options.go; do not edit by hand, run
#   go test ./server/config -run TestDocs -update
#
# Types: strings in double quotes, integers, booleans (true/false), arrays [..], and
# durations as strings with a unit: "500ms", "30s", "5m", "1h" (Go's time.ParseDuration).
# Unknown keys, wrong types and invalid values are errors naming the file, line and key.
# "(spec N.M)" cites a section of the behaviour specification of Spectrum 2's C++ code, kept
# outside this repository (docs/architecture.md); the text beside it says what spectrum2 does.
`)
	for _, s := range sections {
		b.WriteString("\n")
		writeComment(&b, s.Doc, "")
		fmt.Fprintf(&b, "[%s]\n", s.Name)
		for _, o := range options {
			if o.Section == s.Name {
				b.WriteString("\n")
				writeComment(&b, o.Doc, "")
				b.WriteString(referenceLine(o) + "\n")
			}
		}
		if s.Example != "" {
			b.WriteString("# Example:\n")
			for _, l := range strings.Split(s.Example, "\n") {
				b.WriteString("# " + l + "\n")
			}
		}
	}
	return []byte(b.String())
}

// referenceLine is `key = default`, commented out for an unset optional override.
func referenceLine(o option) string {
	if v, ok := samples[o.Section+"."+o.Key]; ok {
		return o.Key + " = " + v
	}
	if _, ok := o.Default.([]cluster.Member); ok {
		return "# [[cluster.member]] tables: see the example below"
	}
	if p, ok := o.Default.(*bool); ok && p == nil {
		return "# " + o.Key + " = true    # unset: as the backend announces"
	}
	return o.Key + " = " + tomlLiteral(o.Default)
}

// tomlLiteral writes a default value as TOML.
func tomlLiteral(v any) string {
	switch v := v.(type) {
	case string:
		return tomlString(v)
	case time.Duration:
		return tomlString(formatDuration(v))
	case []string:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = tomlString(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case *bool:
		if v == nil {
			return "(unset)"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprint(v)
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeComment wraps text into "# " lines of at most 95 columns.
func writeComment(b *strings.Builder, text, indent string) {
	line := indent + "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 95 && line != indent+"#" {
			b.WriteString(line + "\n")
			line = indent + "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

// optionType names an option's TOML type for the documentation.
func optionType(o option) string {
	t := reflect.TypeOf(o.Default)
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Int:
		return "integer"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() == reflect.Pointer:
		return "boolean, optional"
	case t == memberSliceType:
		return "array of tables"
	}
	return "array of strings"
}
