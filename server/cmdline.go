package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// cmdLine is one subcommand's flags and usage text. Every command prints its flags the
// same way (--name VALUE, a one-letter alias as -c), and a mistake on its command line
// prints its own usage, not the whole page.
type cmdLine struct {
	fs              *flag.FlagSet
	synopsis, about string
	aliases         map[string]string // long name -> one-letter alias
}

// newCmdLine makes the flag set of `spectrum2 SYNOPSIS`; about says what the command does.
func newCmdLine(name, synopsis, about string) *cmdLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Main prints errors and usage
	fs.Usage = func() {}
	return &cmdLine{fs: fs, synopsis: synopsis, about: about, aliases: map[string]string{}}
}

// alias makes -short another name of --long.
func (c *cmdLine) alias(short, long string) {
	c.fs.Var(c.fs.Lookup(long).Value, short, "")
	c.aliases[long] = short
}

// parse parses flags before the positional arguments.
func (c *cmdLine) parse(args []string) error { return c.wrap(c.fs.Parse(args)) }

// parseInterspersed parses flags before and after positional arguments ("check DOMAIN
// --ca FILE") and returns the positional ones.
func (c *cmdLine) parseInterspersed(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.parse(args); err != nil {
			return nil, err
		}
		if c.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
}

func (c *cmdLine) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return helpRequest(c.usage())
	}
	// The flag package names long flags with one dash; we write them with two.
	return c.fail(c.fs.Name() + ": " + oneDash.ReplaceAllString(err.Error(), "$1--$2"))
}

var oneDash = regexp.MustCompile(`(^|[\s:])-([a-z][a-z0-9-]+)`)

// fail is a mistake on the command line: Main prints msg and this command's usage.
func (c *cmdLine) fail(msg string) error { return usageError{msg: msg, usage: c.usage()} }

// usage is the command's help text: synopsis, description, flags.
func (c *cmdLine) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: spectrum2 %s\n\n%s\n", c.synopsis, c.about)
	var rows [][2]string
	c.fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 && f.Usage == "" {
			return // an alias, printed with its long name
		}
		name, text := flag.UnquoteUsage(f)
		col := "    --" + f.Name
		if s, ok := c.aliases[f.Name]; ok {
			col = "-" + s + ", --" + f.Name
		}
		if name != "" {
			col += " " + strings.ToUpper(name)
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			text += " (default " + f.DefValue + ")"
		}
		rows = append(rows, [2]string{col, text})
	})
	if len(rows) > 0 {
		b.WriteString("\nFlags:\n")
		width := 0
		for _, r := range rows {
			width = max(width, len(r[0]))
		}
		for _, r := range rows {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, r[0], r[1])
		}
	}
	return b.String()
}

// usageError is a command-line mistake: Main prints it, then usage (the command's, or the
// whole page when usage is empty), and exits with status 2.
type usageError struct{ msg, usage string }

func (e usageError) Error() string { return e.msg }

// helpRequest is --help: Main prints the usage text on stdout and exits with status 0.
type helpRequest string

func (h helpRequest) Error() string { return "help requested" }
