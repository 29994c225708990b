package server

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gospectrum/spectrum2/server/config"
)

const configUsage = `Usage:
  spectrum2 config check FILE      validate a TOML config: every problem as file:line: key: message
  spectrum2 config import OLD.cfg  convert a Spectrum 2 .cfg to TOML on stdout, notes on stderr

The options, their defaults and meaning: docs/configuration.md and etc/spectrum2.toml.
`

// cmdConfig is `spectrum2 config check|import`.
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("config: want check or import")
	}
	switch args[0] {
	case "check":
		return configCheck(args[1:], stdout, stderr)
	case "import":
		return configImport(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, configUsage)
		return flag.ErrHelp
	}
	return usageError(fmt.Sprintf("config: unknown subcommand %q (want check or import)", args[0]))
}

// oneFileArg parses the flags of a config subcommand (only --help) and returns its FILE.
func oneFileArg(name, about string, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("config "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spectrum2 config %s\n\n%s\n", name, about)
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", usageError("config " + name + ": want exactly one file")
	}
	return fs.Arg(0), nil
}

// configCheck prints every problem and warning of FILE on its own line, then "FILE: ok"
// when all were warnings; a problem is exit 1.
func configCheck(args []string, stdout, stderr io.Writer) error {
	path, err := oneFileArg("check FILE", "Validates FILE as spectrum2 run would load it, with the backend executable\n"+
		"and the certificate it names, and prints each problem as file:line: key: message\n"+
		"(file:line: key: warning: message for what works but needs care, such as a\n"+
		"certificate that expires within 14 days). The exit status is 1 when there are problems.", args, stderr)
	if err != nil {
		return err
	}
	failed := false
	for _, p := range config.Check(path) {
		fmt.Fprintln(stdout, p.String())
		failed = failed || !p.Warning
	}
	if failed {
		return errReported
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

// configImport converts a Spectrum 2 config file to TOML on stdout; notes go to stderr as
// comments so that `spectrum2 config import old.cfg > new.toml 2>> new.toml` keeps them.
func configImport(args []string, stdout, stderr io.Writer) error {
	path, err := oneFileArg("import OLD.cfg", "Converts a Spectrum 2 configuration file to spectrum2's TOML on stdout.\n"+
		"Options only external backends read go to [backend_ini.*]; options without an\n"+
		"equivalent are dropped and named on stderr as \"# note: ...\".", args, stderr)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	out, notes, err := config.Import(f, path)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "# note: %s\n", n)
	}
	return nil
}
