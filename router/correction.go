package router

import (
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// maxSentTexts bounds the user's recent messages kept for the "s/old/new" fallback; past
// it the oldest goes, and a correction of it is sent as its full text.
const maxSentTexts = 256

// sentTexts is the text of the user's recent messages to contacts and rooms, by name and id, kept
// only while service.correction_fallback is "sed" and the backends do not carry
// corrections: what a correction changed can then be said as "s/old/new".
type sentTexts struct {
	order []string
	text  map[string]string
}

func sentKey(legacy, id string) string { return jidmap.Key(legacy) + "\x00" + id }

func (s *sentTexts) put(key, text string) {
	if s.text == nil {
		s.text = make(map[string]string)
	}
	if _, ok := s.text[key]; !ok {
		if len(s.order) >= maxSentTexts {
			delete(s.text, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, key)
	}
	s.text[key] = text
}

func (s *sentTexts) get(key string) (string, bool) {
	t, ok := s.text[key]
	return t, ok
}

// sedFallback says whether corrections go as "s/old/new" lines.
func (u *user) sedFallback() bool {
	return u.r.cfg.CorrectionFallback == "sed" && !u.r.backends.Features().Corrections
}

// rememberSent keeps the text of the user's message m to legacy for a later correction,
// under each id a XEP-0308 correction may name (origin-id and stanza id).
func (u *user) rememberSent(m *xmpp.Element, legacy, body string) {
	if body == "" || !u.sedFallback() {
		return
	}
	for _, id := range []string{messageID(m), m.ID()} {
		if id != "" {
			u.sentTexts.put(sentKey(legacy, id), body)
		}
	}
}

// correctionFallback turns the correction (of the message with id replaced) in conv into
// what a backend without features.corrections gets: "s/old/new" when
// service.correction_fallback is "sed" and the earlier text is known and one such line
// says the change, else the corrected text after service.correction_prefix.
func (u *user) correctionFallback(conv *pb.ConversationMessage, legacy, replaced, body string) {
	if body == "" {
		return
	}
	if u.sedFallback() {
		key := sentKey(legacy, replaced)
		old, known := u.sentTexts.get(key)
		u.sentTexts.put(key, body) // a later correction names the same original id (XEP-0308)
		if known {
			if line := sedLine(old, body); line != "" {
				conv.Message, conv.Xhtml = proto.String(line), proto.String("")
				return
			}
		}
	}
	if p := u.r.cfg.CorrectionPrefix; p != "" {
		conv.Message = proto.String(p + body) // service.correction_prefix
	}
}

// sedLine is "s/old/new" for the change from before to after, widened to whole words, or
// "" when no such line says it well: no change, several lines, a "/" in either part, the
// whole text replaced, or an old part that occurs earlier in before (sed replaces the
// first occurrence).
func sedLine(before, after string) string {
	if before == after || strings.ContainsAny(before+after, "\r\n") {
		return ""
	}
	b, a := []rune(before), []rune(after)
	p := 0
	for p < len(b) && p < len(a) && b[p] == a[p] {
		p++
	}
	q := 0
	for q < len(b)-p && q < len(a)-p && b[len(b)-1-q] == a[len(a)-1-q] {
		q++
	}
	// Widen to word boundaries: back to the start of the word the change begins in,
	// forward to the end of the word it ends in (the same runes in both texts).
	for p > 0 && !unicode.IsSpace(b[p-1]) {
		p--
	}
	for q > 0 && !unicode.IsSpace(b[len(b)-q]) {
		q--
	}
	oldPart, newPart := string(b[p:len(b)-q]), string(a[p:len(a)-q])
	if strings.TrimSpace(oldPart) == "" || strings.Contains(oldPart+newPart, "/") ||
		oldPart == before {
		return ""
	}
	if strings.Index(before, oldPart) != len(string(b[:p])) {
		return ""
	}
	return "s/" + oldPart + "/" + newPart
}
