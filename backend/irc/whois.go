package irc

import (
	"strings"

	"github.com/lrstanley/girc"

	"github.com/gospectrum/spectrum2/backend"
)

// whoisReply collects the numerics of one WHOIS until RPL_ENDOFWHOIS.
type whoisReply struct {
	lines []string
}

// startWhois sends WHOIS; the answer comes back as one message from the buddy "whois"
// (+suffix), as libcommuni does (spec 4.3).
func (n *network) startWhois(nick string) {
	n.mu.Lock()
	n.whois[strings.ToLower(nick)] = &whoisReply{}
	n.mu.Unlock()
	n.send(girc.WHOIS, nick)
}

// whoisReply handles the WHOIS numerics: "<me> <nick> ...".
func (n *network) whoisReply(e girc.Event) {
	if len(e.Params) < 2 {
		return
	}
	nick := e.Params[1]
	key := strings.ToLower(nick)
	n.mu.Lock()
	w := n.whois[key]
	var done []string
	if w != nil {
		if line := whoisLine(e); line != "" {
			w.lines = append(w.lines, line)
		}
		if e.Command == girc.RPL_ENDOFWHOIS || e.Command == girc.ERR_NOSUCHNICK {
			delete(n.whois, key)
			done = w.lines
		}
	}
	n.mu.Unlock()
	if len(done) > 0 {
		n.s.sink.Message(backend.Message{User: n.s.user, Buddy: "whois" + n.suffix, Body: strings.Join(done, "\n")})
	}
}

// whoisLine renders one WHOIS numeric as text.
func whoisLine(e girc.Event) string {
	p := e.Params
	nick := p[1]
	switch e.Command {
	case girc.ERR_NOSUCHNICK:
		return nick + ": No such client"
	case girc.RPL_WHOISUSER:
		if len(p) >= 4 {
			return nick + " is " + p[2] + "@" + p[3] + " (" + e.Last() + ")"
		}
	case girc.RPL_WHOISSERVER:
		if len(p) >= 3 {
			return nick + " is connected to " + p[2] + " (" + e.Last() + ")"
		}
	case girc.RPL_WHOISCHANNELS:
		return nick + " is in " + strings.TrimSpace(e.Last())
	case girc.RPL_AWAY:
		return nick + " is away: " + e.Last()
	case girc.RPL_WHOISOPERATOR:
		return nick + " is an IRC operator"
	case girc.RPL_WHOISIDLE:
		if len(p) >= 3 {
			return nick + " has been idle for " + p[2] + " seconds"
		}
	}
	return ""
}
