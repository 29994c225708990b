package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Problem is one mistake in a configuration file.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Key  string
	Msg  string
	// Warning marks what works but should be fixed (a certificate about to expire): Load
	// accepts the file and puts it in Config.Warnings.
	Warning bool
}

// String formats the problem as "file:line: key: msg", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error Load returns: every problem found, in file order.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Default returns the configuration with every option at its default (service.jid empty).
func Default() *Config {
	c := optionDefaults()
	c.defaultWorkingDir()
	c.defaultUsersPerBackend()
	return c
}

// optionDefaults is the defaults of options, before those that follow other options.
func optionDefaults() *Config {
	c := &Config{}
	for _, o := range options {
		field(c, o.Section, o.Key).Set(reflect.ValueOf(o.Default))
	}
	return c
}

// defaultWorkingDir puts an unset working_dir under data_dir, so that one directory holds
// all of a daemon's files (and its lock, server/lock.go).
func (c *Config) defaultWorkingDir() {
	if c.Service.WorkingDir == "" {
		c.Service.WorkingDir = filepath.Join(c.Service.DataDir, "run")
	}
}

// The users_per_backend that 0 (the default) stands for: a native backend is one Go process
// for many users, whose fixed cost 100 users would each pay a large share of; Spectrum 2's
// 100 stays for backend executables (libpurple's were what it was chosen for). The figures
// (issue 26, 5,000 idle demo sessions): a native backend's own memory is 3 MB idle and some
// 4.5 MB with 1000 users, about 4 MB PSS with its share of the binary; at 1000 the backends
// beyond the first add 3 to 4.5 KB PSS per session to the 16 to 18 KB of one backend for
// all, at 100 they added 30. 1000 keeps a crash (and its re-login storm) to 1000 users.
//
// For builtin:irc (issue 26, 2026-12-03, tree of 59428ce, bench with ngircd,
// 10 channels): an idle backend process costs 17.7 MB RSS, of which 3.1 MB anonymous, and
// 5.8 MB PSS beside the daemon (the rest is the binary's text, shared); each IRC user adds
// about 41 KB of anonymous memory (1,000 users, 100 per channel; more in bigger channels:
// every connection holds its channel's members). At 1,000 users per process the fixed
// cost is 18 KB of summed RSS and 6 KB of PSS per user, plus one spare process; 5,000 would
// bring the summed RSS down by some 14 KB per user, but a crash then logs 5,000 users out
// at once and their re-login (4 registrations at a time per backend and IRC server) takes
// five times as long as the 3 to 5 s of 1,000. 1,000 keeps the fixed share small at a
// storm the IRC server and the users hardly notice.
const (
	NativeUsersPerBackend     = 1000
	ExecutableUsersPerBackend = 100
)

// defaultUsersPerBackend resolves users_per_backend = 0 by the kind of backend.
func (c *Config) defaultUsersPerBackend() {
	if c.Service.UsersPerBackend != 0 {
		return
	}
	if strings.HasPrefix(c.Service.Backend, "builtin:") {
		c.Service.UsersPerBackend = NativeUsersPerBackend
	} else {
		c.Service.UsersPerBackend = ExecutableUsersPerBackend
	}
}

// Load reads and validates the TOML file at path and checks the files it names (the
// backend executable, the certificate). The error is a Problems listing every problem; a
// configuration is returned only when there are none, with the warnings in its Warnings.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, ps := load(path, data, true)
	var errs Problems
	for _, p := range ps {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c.Warnings = ps
	return c, nil
}

// Check reports every problem and warning of the file at path; when all are warnings,
// Load would succeed.
func Check(path string) []Problem {
	data, err := os.ReadFile(path)
	if err != nil {
		return []Problem{{File: path, Msg: err.Error()}}
	}
	_, ps := load(path, data, true)
	return ps
}

// parse decodes and validates data, naming it name in problems, without looking at the
// files it names.
func parse(name string, data []byte) (*Config, Problems) { return load(name, data, false) }

// load is parse, and with files also the checks of checkFiles.
func load(name string, data []byte, files bool) (*Config, Problems) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, Problems{parseProblem(name, err)}
	}
	d := &decoder{cfg: optionDefaults(), file: name, lines: scanKeyLines(string(data))}
	d.cfg.Path = name
	for _, sec := range sortedKeys(raw) {
		d.section(sec, raw[sec])
	}
	d.substituteJID()
	d.cfg.defaultWorkingDir()
	d.cfg.defaultUsersPerBackend()
	d.validate()
	if files {
		d.checkFiles(time.Now())
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].Line < d.problems[j].Line })
	sort.SliceStable(d.cfg.BackendExtra, func(i, j int) bool {
		return d.line(d.cfg.BackendExtra[i]) < d.line(d.cfg.BackendExtra[j])
	})
	return d.cfg, d.problems
}

func parseProblem(name string, err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Problem{File: name, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
	}
	return Problem{File: name, Msg: err.Error()}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decoder collects problems while filling cfg from the generic TOML tree.
type decoder struct {
	cfg      *Config
	file     string
	lines    keyLines
	problems Problems
}

func (d *decoder) problem(msg string, path ...string) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: d.lines.lineOf(path...), Key: strings.Join(path, "."), Msg: msg,
	})
}

// warn records what works but should be fixed.
func (d *decoder) warn(msg string, path ...string) {
	d.problem(msg, path...)
	d.problems[len(d.problems)-1].Warning = true
}

func (d *decoder) line(v INIValue) int {
	return d.lines.lineOf("backend_ini", v.Section, v.Key)
}

// section decodes one top-level key, which must be a known section.
func (d *decoder) section(name string, v any) {
	if !knownSection(name) {
		d.problem("unknown section"+suggest(name, sectionNames()), name)
		return
	}
	tbl, ok := v.(map[string]any)
	if !ok {
		d.problem(fmt.Sprintf("must be a table [%s], not %s", name, tomlType(v)), name)
		return
	}
	if name == "backend_ini" {
		d.backendINI(tbl)
		return
	}
	for _, key := range sortedKeys(tbl) {
		d.option(name, key, tbl[key])
	}
}

// option decodes section.key into its field and runs its check.
func (d *decoder) option(sec, key string, raw any) {
	o, ok := lookup(sec, key)
	if !ok {
		d.problem("unknown key"+suggest(key, keyNames(sec)), sec, key)
		return
	}
	f := field(d.cfg, sec, key)
	v, msg := convert(raw, f.Type())
	if msg == "" && o.Check != nil {
		msg = o.Check(v)
	}
	if msg != "" {
		d.problem(msg, sec, key)
		return
	}
	f.Set(reflect.ValueOf(v))
}

func knownSection(name string) bool {
	for _, s := range sections {
		if s.Name == name {
			return true
		}
	}
	return false
}

func sectionNames() []string {
	var out []string
	for _, s := range sections {
		out = append(out, s.Name)
	}
	return out
}

func keyNames(sec string) []string {
	var out []string
	for _, o := range options {
		if o.Section == sec {
			out = append(out, o.Key)
		}
	}
	return out
}

func lookup(sec, key string) (option, bool) {
	for _, o := range options {
		if o.Section == sec && o.Key == key {
			return o, true
		}
	}
	return option{}, false
}

// field returns the settable struct field tagged sec/key. It panics for a key missing from
// Config, which TestOptionsMatchStruct rules out.
func field(c *Config, sec, key string) reflect.Value {
	s := byTag(reflect.ValueOf(c).Elem(), sec)
	f := byTag(s, key)
	if !f.IsValid() {
		panic("config: no field for " + sec + "." + key)
	}
	return f
}

func byTag(v reflect.Value, tag string) reflect.Value {
	if !v.IsValid() {
		return v
	}
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == tag {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// suggest returns ` (did you mean "x"?)` for a close known name, else "".
func suggest(got string, known []string) string {
	best, dist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(got), strings.ToLower(k)); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
