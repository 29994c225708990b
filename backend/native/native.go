package native

import (
	"slices"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/demo"
	"github.com/gospectrum/spectrum2/backend/irc"
	"github.com/gospectrum/spectrum2/backend/matrix"
	"github.com/gospectrum/spectrum2/backend/xmpp"
	"github.com/gospectrum/spectrum2/internal/ini"
)

// New makes a native backend's plugin from the configuration file the daemon gave it.
type New func(*ini.File) backend.Plugin

// Backends returns the native backends by NAME.
func Backends() map[string]New {
	return map[string]New{
		"demo":   demo.New,
		"irc":    irc.New,
		"matrix": matrix.New,
		"xmpp":   xmpp.New,
	}
}

// Names returns the names of the native backends, sorted.
func Names() []string {
	m := Backends()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
