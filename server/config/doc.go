// Package config loads spectrum2's TOML configuration strictly: every unknown key, wrong type
// or invalid value is a Problem naming file:line and the key, and Load reports all of them at
// once. The defaults, types and meanings of all options live in one table (options.go), from
// which docs/configuration.md and etc/spectrum2.toml are generated; tests fail when they are
// stale.
//
// Option names follow Spectrum 2 (spec 4.2) wherever one exists. The package also writes the
// INI file backends receive as their last argument (spec 2.2, 4.3) and converts an old
// Spectrum 2 .cfg file to TOML (Import).
package config
