package pluginserver

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// ErrNotAnnounced is wrapped by Send for a CONV_EVENT whose extension the backends did not
// announce (features.reactions, features.retractions): nothing is sent, and the router
// answers the client's stanza (feature-not-implemented, or its configured fallback).
var ErrNotAnnounced = errors.New("pluginserver: the backend did not announce this extension")

// eventAnnounced says whether a CONV_EVENT may go to the backends: each of its extensions
// must have been announced. A displayed marker travels only from a backend (the user's go
// as CONV_MESSAGE_ACK), and an event with nothing in it is refused too.
func eventAnnounced(f Features, m proto.Message) error {
	c, ok := m.(*pbnetwork.ConversationMessage)
	if !ok {
		return fmt.Errorf("pluginserver: CONV_EVENT with a %T payload", m)
	}
	switch {
	case c.DisplayedId != nil:
		return fmt.Errorf("%w: a displayed marker goes to a backend as CONV_MESSAGE_ACK", ErrNotAnnounced)
	case c.ReactToId != nil && !f.Reactions:
		return fmt.Errorf("%w: features.reactions", ErrNotAnnounced)
	case c.RetractId != nil && !f.Retractions:
		return fmt.Errorf("%w: features.retractions", ErrNotAnnounced)
	case c.ReactToId == nil && c.RetractId == nil:
		return fmt.Errorf("pluginserver: CONV_EVENT without a reaction or retraction")
	}
	return nil
}

// stripExtensions returns m without the extension fields of issue 24 that the backends did
// not announce (docs/protocol-extensions.md), so that a backend that announced none of
// them gets what Spectrum 2 would send, byte for byte. m itself is not changed (the router
// may still hold it, e.g. for a bounce); a copy is made only when something goes.
func stripExtensions(f Features, m proto.Message) proto.Message {
	c, ok := m.(*pbnetwork.ConversationMessage)
	if !ok {
		return m
	}
	corr := c.ReplaceId != nil && !f.Corrections
	repl := (c.ReplyToId != nil || c.ReplyToSender != nil || c.ReplyFallbackEnd != nil) && !f.Replies
	react := (c.ReactToId != nil || c.Reaction != nil) && !f.Reactions
	retr := c.RetractId != nil && !f.Retractions
	disp := c.DisplayedId != nil // never to a backend
	if !corr && !repl && !react && !retr && !disp {
		return m
	}
	c = proto.Clone(c).(*pbnetwork.ConversationMessage)
	if corr {
		c.ReplaceId = nil
	}
	if repl {
		c.ReplyToId, c.ReplyToSender, c.ReplyFallbackEnd = nil, nil, nil
	}
	if react {
		c.ReactToId, c.Reaction = nil, nil
	}
	if retr {
		c.RetractId = nil
	}
	c.DisplayedId = nil
	return c
}
