package demo

import "github.com/gospectrum/spectrum2/backend"

// roomEvent: the network reflects the user's reaction or retraction in a room from the
// user's own nickname, and the answering bot mirrors it as echo does (a reaction to its
// copy echo-X goes to X, a retraction of X retracts echo-X).
func (p *Plugin) roomEvent(s *backend.Sink, e backend.Event) {
	p.withRoom(e.User, e.Buddy, func(rm *room) []func() {
		echo := e
		echo.Buddy, echo.Nickname, echo.ID, echo.Displayed = rm.name, rm.nick, "", ""
		if len(echo.Reactions) > maxReactions {
			echo.Reactions = echo.Reactions[:maxReactions]
		}
		sends := []func(){func() { s.Event(echo) }}
		if b, ok := rm.answerer(); ok {
			for _, ev := range mirror(e, sender{buddy: rm.name, nick: b.nick}) {
				sends = append(sends, func() { s.Event(ev) })
			}
		}
		return sends
	})
}
