package config

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// Import converts a Spectrum 2 configuration file (INI, spec 4.1-4.2) to spectrum2's TOML.
// Options spectrum2 knows map to its keys, with $jid replaced as Spectrum 2 does; options only
// external backends read (spec 4.3) go to [backend_ini.*] unchanged, so backends substitute
// $jid themselves as before; options without an equivalent are dropped and named in notes.
// name is used in messages only.
func Import(r io.Reader, name string) (toml []byte, notes []string, err error) {
	f, err := ini.Parse(r)
	if err != nil {
		return nil, nil, fmt.Errorf("config import %s: %w", name, err)
	}
	im := &importer{out: map[string]map[string]string{}, jid: lastValue(f, "service", "jid")}
	for _, k := range f.Keys() {
		sec, key, _ := strings.Cut(k, ".")
		if err := im.key(sec, key, f.Values(sec, key)); err != nil {
			return nil, nil, fmt.Errorf("config import %s: %s: %w", name, k, err)
		}
	}
	im.finalNotes(f)
	return im.render(name), im.notes, nil
}

// importer accumulates the TOML values (as literals) and the notes.
type importer struct {
	jid     string
	out     map[string]map[string]string // our section -> key -> TOML literal
	backend []INIValue
	notes   []string
}

func (im *importer) note(key, msg string) { im.notes = append(im.notes, key+": "+msg) }

func lastValue(f *ini.File, sec, key string) string {
	v, _ := f.Get(sec, key)
	return v
}

func (im *importer) key(sec, key string, vals []string) error {
	if sec == "" {
		im.note(key, "outside any [section]: dropped")
		return nil
	}
	r, known := ruleFor(sec, key)
	switch r.kind {
	case toNote:
		im.note(sec+"."+key, r.note)
	case toBackend:
		if !known {
			im.note(sec+"."+key, "unknown to spectrum2: passed to backends in [backend_ini."+sec+"]")
		}
		im.backend = append(im.backend, INIValue{Section: sec, Key: key, Values: vals})
	case toOption:
		if r.note != "" {
			im.note(sec+"."+key, r.note)
		}
		return im.option(r, sec+"."+key, vals)
	}
	return nil
}

// option converts the old value(s) to the type of our option r.target.
func (im *importer) option(r importRule, old string, vals []string) error {
	sec, key, _ := strings.Cut(r.target, ".")
	o, _ := lookup(sec, key)
	t := reflect.TypeOf(o.Default)
	for i, v := range vals {
		vals[i] = strings.ReplaceAll(v, "$jid", im.jid) // spec 4.1: registered options only
	}
	if t.Kind() != reflect.Slice && len(vals) > 1 {
		im.note(old, "given more than once; the last value is used")
		vals = vals[len(vals)-1:]
	}
	if r.target == "service.port" && vals[0] == "0" { // Spectrum 2's "unset"
		im.note(old, "0 dropped: the default client port 5222 is used")
		return nil
	}
	lit, err := importLiteral(t, r.unit, vals)
	if err != nil {
		return err
	}
	if im.out[sec] == nil {
		im.out[sec] = map[string]string{}
	}
	im.out[sec][key] = lit
	return nil
}

// importLiteral writes old INI text as a TOML literal of type t.
func importLiteral(t reflect.Type, unit string, vals []string) (string, error) {
	v := vals[0]
	switch {
	case t == durationType:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", fmt.Errorf("%q is not a number of %s", v, map[string]string{"s": "seconds", "ms": "milliseconds"}[unit])
		}
		return tomlString(strconv.Itoa(n) + unit), nil
	case t.Kind() == reflect.Int:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", fmt.Errorf("%q is not a non-negative integer", v)
		}
		return strconv.Itoa(n), nil
	case t.Kind() == reflect.Bool, t.Kind() == reflect.Pointer:
		b, err := parseINIBool(v)
		return strconv.FormatBool(b), err
	case t.Kind() == reflect.Slice:
		q := make([]string, len(vals))
		for i, s := range vals {
			q[i] = tomlString(s)
		}
		return "[" + strings.Join(q, ", ") + "]", nil
	}
	return tomlString(v), nil
}

// parseINIBool reads a boolean as boost::program_options does.
func parseINIBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}
