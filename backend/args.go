package backend

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// Args is Spectrum 2's backend command line, parsed (spec 2.2):
// `--host H --port P --service.backend_id=N [spectrum2's own arguments] CONFIG`.
type Args struct {
	// Host and Port are where the daemon listens for backends.
	Host string
	Port int
	// BackendID is the --service.backend_id value; Spectrum 2 uses it only in logs.
	BackendID string
	// ConfigPath is the last positional argument ("" if none was given).
	ConfigPath string
	// Config is the configuration file with the command line's `--section.key=value`
	// overrides applied on top (they win in Config.Get). Never nil.
	Config *ini.File
}

// ParseArgs parses the backend command line and reads the configuration file. Like
// Config::createFromArgs (spec 2.2) it accepts `--host H`, `--host=H`, `-h H`, the same
// for --port/-p (default 10000), ignores spectrum2's own switches (-n, -d, --jid/-j X)
// and stores every `--section.key=value` as an override.
func ParseArgs(args []string) (Args, error) {
	a := Args{Host: "127.0.0.1", Port: 10000}
	var overrides [][3]string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			a.ConfigPath = arg
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !hasValue && takesValue(name) {
			if i+1 >= len(args) {
				return Args{}, fmt.Errorf("backend: %s needs a value", arg)
			}
			i++
			value = args[i]
		}
		if err := a.set(name, value); err != nil {
			return Args{}, err
		}
		section, key, dotted := strings.Cut(name, ".")
		if dotted && hasValue && section != "" && key != "" {
			overrides = append(overrides, [3]string{section, key, value})
		}
	}
	cfg, err := loadConfig(a.ConfigPath)
	if err != nil {
		return Args{}, err
	}
	for _, o := range overrides {
		cfg.Add(o[0], o[1], o[2])
	}
	a.Config = cfg
	a.BackendID, _ = cfg.Get("service", "backend_id")
	return a, nil
}

// takesValue reports the switches whose value may be the next argument.
func takesValue(name string) bool {
	switch name {
	case "host", "h", "port", "p", "jid", "j":
		return true
	}
	return false
}

// set applies --host and --port; other switches belong to spectrum2 itself.
func (a *Args) set(name, value string) error {
	switch name {
	case "host", "h":
		if value == "" {
			return fmt.Errorf("backend: empty --host")
		}
		a.Host = value
	case "port", "p":
		p, err := strconv.Atoi(value)
		if err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("backend: bad port %q", value)
		}
		a.Port = p
	}
	return nil
}

func loadConfig(path string) (*ini.File, error) {
	if path == "" {
		return &ini.File{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("backend: config: %w", err)
	}
	defer f.Close()
	cfg, err := ini.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("backend: config %s: %w", path, err)
	}
	return cfg, nil
}
