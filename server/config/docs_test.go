package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md and etc/spectrum2.toml")

const (
	docsPath      = "../../docs/configuration.md"
	referencePath = "../../etc/spectrum2.toml"
	regenerate    = "go test ./server/config -run TestDocs -update"
)

// TestDocs keeps the generated documentation and reference config in step with options.go.
func TestDocs(t *testing.T) {
	for path, want := range map[string][]byte{docsPath: markdown(), referencePath: ReferenceTOML()} {
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with server/config/options.go; regenerate it with\n\t%s", path, regenerate)
		}
	}
}

// markdown renders docs/configuration.md from the option table.
func markdown() []byte {
	var b strings.Builder
	b.WriteString(`# Configuration

<!-- Generated from server/config/options.go by: ` + regenerate + ` -->

spectrum2 reads one TOML file: ` + "`spectrum2 run --config FILE`" + `. ` + "`etc/spectrum2.toml`" + ` lists
every option at its default with a comment; ` + "`etc/demo.toml`" + ` is what ` + "`make run`" + ` uses.

- **Strict.** An unknown section or key, a wrong type or an invalid value is an error naming
  ` + "`file:line: key`" + `; all problems are reported at once. ` + "`spectrum2 config check FILE`" + ` checks a
  file without starting anything.
- **What the file names is checked too**, by ` + "`config check`" + ` and by ` + "`run`" + `, which refuses to start: the
  ` + "`builtin:NAME`" + ` of a native backend, that an external backend's executable exists and may be run, and
  that the certificate file holds a certificate, that the key is its key and that its names cover
  ` + "`service.jid`" + `. A certificate that has expired or expires within 14 days is a warning
  (` + "`file:line: key: warning: ...`" + `), not an error.
- **Durations** are strings with a unit, as Go's ` + "`time.ParseDuration`" + ` reads them: ` + "`\"500ms\"`, `\"30s\"`,\n  `\"5m\"`, `\"1h\"`" + `. Negative numbers and durations are never valid.
- **$jid** in ` + "`data_dir`, `working_dir`, `portfile`, `cert` and `key`" + ` is replaced by ` + "`service.jid`" + `, as
  Spectrum 2 does.
- **Spectrum 2 names.** Options keep Spectrum 2's names where it has one. ` + "`spectrum2 config import OLD.cfg`" + `
  converts a Spectrum 2 ` + "`.cfg`" + ` file: known options map to these keys, options only external backends
  read go to ` + "`[backend_ini.*]`" + `, and options without an equivalent are listed as notes on stderr.
- **"(spec N.M)"** cites a section of the behaviour specification of Spectrum 2's C++ code, kept outside
  this repository (` + "`docs/architecture.md`" + ` says what it covers); the text beside it says what spectrum2 does.
`)
	for _, s := range sections {
		fmt.Fprintf(&b, "\n## [%s]\n\n%s\n", s.Name, s.Doc)
		rows := 0
		for _, o := range options {
			if o.Section != s.Name {
				continue
			}
			if rows == 0 {
				b.WriteString("\n| key | type | default | meaning |\n| --- | --- | --- | --- |\n")
			}
			rows++
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", o.Key, optionType(o), mdDefault(o), strings.ReplaceAll(o.Doc, "|", `\|`))
		}
		if s.Example != "" {
			fmt.Fprintf(&b, "\nExample:\n\n```toml\n%s\n```\n", s.Example)
		}
	}
	b.WriteString(backendINIDoc)
	return []byte(b.String())
}

func mdDefault(o option) string {
	if o.Section == "service" && o.Key == "jid" {
		return "(required)"
	}
	return tomlLiteral(o.Default)
}

const backendINIDoc = `
## The backend INI file

Every backend is started with the path of an INI file as its last argument (spec 2.2, 4.3). The
daemon writes it (mode 0600) as ` + "`backend.cfg`" + ` in ` + "`service.working_dir`" + `, in Spectrum 2's dialect:
` + "`[service]`" + ` with ` + "`jid`, `server_mode = 1`, `backend_host`, `working_dir` (absolute), `users_per_backend`,\n`jid_escaping`, `reaction_fallback`; `[identity]`; `[logging]` (`level`, `format`); `[demo]`" + ` (durations as Go durations),
then every ` + "`[backend_ini.SECTION]`" + ` key. Booleans are written 0/1, arrays as repeated keys, nothing is
quoted. ` + "`admin_password` and `cert_password`" + ` are never written to it.
`
