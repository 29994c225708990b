package router

import "github.com/rs/zerolog"

// userLog adds the user's bare JID to each event when it is built, instead of keeping a
// zerolog child logger (and its context buffer, about 0.5 KB) per idle user.
type userLog struct {
	base *zerolog.Logger // the router's logger
	jid  string
}

// Debug starts a debug event with the user's JID (nil when disabled).
func (l userLog) Debug() *zerolog.Event { return l.base.Debug().Str("jid", l.jid) }

// Info starts an info event with the user's JID (nil when disabled).
func (l userLog) Info() *zerolog.Event { return l.base.Info().Str("jid", l.jid) }

// Warn starts a warning event with the user's JID (nil when disabled).
func (l userLog) Warn() *zerolog.Event { return l.base.Warn().Str("jid", l.jid) }

// Error starts an error event with the user's JID (nil when disabled).
func (l userLog) Error() *zerolog.Event { return l.base.Error().Str("jid", l.jid) }
