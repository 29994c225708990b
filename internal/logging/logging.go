package logging

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// levels are the accepted values of logging.level, from most to least verbose.
var levels = []string{"trace", "debug", "info", "warn", "error"}

// formats are the accepted values of logging.format.
var formats = []string{"auto", "console", "json"}

// consoleTime is short because a console reader sees the date elsewhere.
const consoleTime = "15:04:05.000"

// recordTime is RFC 3339 with milliseconds and a fixed width: zerolog's default
// (zerolog.TimeFieldFormat, a package variable we leave alone) has whole seconds, which
// the console format then shows as ".000".
const recordTime = "2006-01-02T15:04:05.000Z07:00"

// ParseLevel converts a logging.level value (trace, debug, info, warn, error) to a zerolog
// level. Only these lower-case names are accepted, so a config typo is an error, not "info".
func ParseLevel(level string) (zerolog.Level, error) {
	if !slices.Contains(levels, level) {
		return zerolog.NoLevel, fmt.Errorf("unknown level %q (want one of %s)", level, strings.Join(levels, ", "))
	}
	return zerolog.ParseLevel(level)
}

// CheckFormat reports whether format is a logging.format value: auto, console or json.
func CheckFormat(format string) error {
	if !slices.Contains(formats, format) {
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(formats, ", "))
	}
	return nil
}

// New returns a logger with timestamps writing to w at the given level. format is one of
// auto, console, json: "auto" chooses the console format when w is a terminal and JSON otherwise.
func New(level, format string, w io.Writer) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("logging: %w", err)
	}
	if err := CheckFormat(format); err != nil {
		return zerolog.Nop(), fmt.Errorf("logging: %w", err)
	}
	out := writer(format, w)
	return zerolog.New(out).Level(lvl).Hook(timestamp{}), nil
}

// timestamp adds the time of each record in milliseconds. The console writer parses it
// back with zerolog.TimeFieldFormat (RFC 3339), which accepts the fraction.
type timestamp struct{}

func (timestamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().Format(recordTime))
}

// writer wraps w for a valid format.
func writer(format string, w io.Writer) io.Writer {
	if !Console(format, w) {
		return w
	}
	// Colours only on a terminal: escape codes in a file are noise.
	return zerolog.ConsoleWriter{Out: w, NoColor: !IsTerminal(w), TimeFormat: consoleTime}
}

// Console reports whether New writes the console format (rather than JSON) to w.
func Console(format string, w io.Writer) bool {
	return format == "console" || (format == "auto" && IsTerminal(w))
}

// IsTerminal reports whether w is a terminal (a Cygwin pty counts).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
