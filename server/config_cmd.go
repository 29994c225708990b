package server

import (
	"fmt"
	"io"
	"os"

	"github.com/gospectrum/spectrum2/server/config"
)

// configUsage is `spectrum2 config`'s own page: its two subcommands.
const configUsage = `Usage:
  spectrum2 config check FILE      validate a TOML config: every problem as file:line: key: message
  spectrum2 config import OLD.cfg  convert a Spectrum 2 .cfg to TOML on stdout, notes on stderr

"spectrum2 config check --help" and "spectrum2 config import --help" say more. The options,
their defaults and meaning: docs/configuration.md and etc/spectrum2.toml.
`

// cmdConfig is `spectrum2 config check|import`.
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "config: want check or import", usage: configUsage}
	}
	switch args[0] {
	case "check":
		return configCheck(args[1:], stdout)
	case "import":
		return configImport(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		return helpRequest(configUsage)
	}
	return usageError{msg: fmt.Sprintf("config: unknown subcommand %q (want check or import)", args[0]), usage: configUsage}
}

// oneFileArg parses the command line of a config subcommand (FILE, and --help).
func oneFileArg(cl *cmdLine, args []string) (string, error) {
	if err := cl.parse(args); err != nil {
		return "", err
	}
	if cl.fs.NArg() != 1 {
		return "", cl.fail(cl.fs.Name() + ": want exactly one file")
	}
	return cl.fs.Arg(0), nil
}

// configCheck prints every problem and warning of FILE on its own line, then "FILE: ok"
// when all were warnings; a problem is exit 1.
func configCheck(args []string, stdout io.Writer) error {
	path, err := oneFileArg(newCmdLine("config check", "config check FILE",
		"Validates FILE as spectrum2 run would load it, with the backend executable and the\n"+
			"certificate it names, and prints each problem as file:line: key: message\n"+
			"(file:line: key: warning: message for what works but needs care, such as a\n"+
			"certificate that expires within 14 days). The exit status is 1 when there are problems."), args)
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
	path, err := oneFileArg(newCmdLine("config import", "config import OLD.cfg",
		"Converts a Spectrum 2 configuration file to spectrum2's TOML on stdout.\n"+
			"Options only external backends read go to [backend_ini.*]; options without an\n"+
			"equivalent are dropped and named on stderr as \"# note: ...\"."), args)
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
