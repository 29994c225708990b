package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// finalNotes warns about what the old file relied on implicitly.
func (im *importer) finalNotes(f *ini.File) {
	if im.jid == "" {
		im.note("service.jid", "missing: set it to the gateway's domain before use")
	}
	if _, ok := f.Get("service", "working_dir"); !ok {
		im.note("service.working_dir", "unset: Spectrum 2 used /var/lib/spectrum2/"+im.jid+
			"; spectrum2 defaults to data_dir/run")
	}
	if cert, ok := f.Get("service", "cert"); ok && cert != "" && !isPKCS12(cert) {
		im.note("service.cert", "Spectrum 2 reads PKCS#12: name the file .p12 or .pfx so spectrum2 does too")
	}
}

// render writes the TOML: our sections in the reference order, then [backend_ini.*].
func (im *importer) render(name string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Converted from %s by `spectrum2 config import`.\n", oneLine(name))
	b.WriteString("# Every option and its default: etc/spectrum2.toml or docs/configuration.md.\n")
	for _, s := range sections {
		vals := im.out[s.Name]
		if len(vals) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n[%s]\n", s.Name)
		for _, o := range options {
			if lit, ok := vals[o.Key]; ok && o.Section == s.Name {
				fmt.Fprintf(&b, "%s = %s\n", o.Key, lit)
			}
		}
	}
	im.renderBackend(&b)
	return []byte(b.String())
}

// renderBackend writes [backend_ini.SECTION] tables in first-seen order of the old file.
func (im *importer) renderBackend(b *strings.Builder) {
	if len(im.backend) > 0 {
		b.WriteString("\n# Read only by external backends; written unchanged into their INI file.\n")
	}
	var order []string
	bySec := map[string][]INIValue{}
	for _, v := range im.backend {
		if _, ok := bySec[v.Section]; !ok {
			order = append(order, v.Section)
		}
		bySec[v.Section] = append(bySec[v.Section], v)
	}
	for _, sec := range order {
		fmt.Fprintf(b, "[backend_ini.%s]\n", tomlKey(sec))
		for _, v := range bySec[sec] {
			fmt.Fprintf(b, "%s = %s\n", tomlKey(v.Key), tomlValues(v.Values))
		}
	}
}

func tomlValues(vals []string) string {
	if len(vals) == 1 {
		return tomlString(vals[0])
	}
	q := make([]string, len(vals))
	for i, s := range vals {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// tomlKey writes k as a bare key when TOML allows, quoted otherwise.
func tomlKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return tomlString(k)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
