package router

import (
	"fmt"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestSedLine: the change between two texts as "s/old/new", widened to whole words, and
// "" where one line would not say it right.
func TestSedLine(t *testing.T) {
	for _, c := range []struct{ before, after, want string }{
		{"hello wrold", "hello world", "s/wrold/world"},
		{"I cna do it", "I can do it", "s/cna/can"},
		{"see you tmrw at 5", "see you tomorrow at 6", "s/tmrw at 5/tomorrow at 6"},
		{"café ouvert", "café fermé", "s/ouvert/fermé"},
		{"the cat sat", "the cat sat down", "s/sat/sat down"},
		{"a big dog", "a dog", "s/big dog/dog"},
		{"hello", "hello world", ""},   // the whole text: send it as it is
		{"same", "same", ""},           // no change
		{"one\ntwo", "one\nthree", ""}, // several lines
		{"path a/b", "path a/c", ""},   // a slash in the parts
		{"go go gone", "go go went", "s/gone/went"},
		{"hello world", "hello there world", "s/world/there world"}, // an insertion takes the next word
		{"ab ab", "ab abc", ""},                                     // "ab" first occurs earlier
		{"teh quick teh", "teh quick the", ""},                      // "teh" first occurs at the start
	} {
		got := sedLine(c.before, c.after)
		if got != c.want {
			t.Errorf("sedLine(%q, %q) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
}

// TestSentTextsBound: past maxSentTexts the oldest text goes.
func TestSentTextsBound(t *testing.T) {
	var s sentTexts
	for i := range maxSentTexts + 1 {
		s.put(strconv.Itoa(i), "x")
	}
	if _, ok := s.get("0"); ok {
		t.Error("the oldest text kept past the bound")
	}
	if _, ok := s.get(strconv.Itoa(maxSentTexts)); !ok || len(s.text) != maxSentTexts {
		t.Errorf("%d texts kept", len(s.text))
	}
}

// TestCorrectionSed: with service.correction_fallback = "sed" a correction goes to a
// backend without features.corrections as "s/old/new" against the user's earlier
// message, a second correction against the first one's text; a correction of a message
// the router does not know (or whose change one line cannot say) goes as the corrected
// text after correction_prefix.
func TestCorrectionSed(t *testing.T) {
	e, _, h := chatEnv(t, func(c *Config) { c.CorrectionPrefix, c.CorrectionFallback = "* ", "sed" })
	send(t, h, `<message to='alice@localhost' type='chat' id='m1'><body>hello wrold</body></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='c1'><body>hello world</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='c2'><body>hello there world</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='c3'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='unknown'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='o2'><origin-id xmlns='urn:xmpp:sid:0' id='orig2'/><body>short</body></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='c4'><body>shorter</body><replace xmlns='urn:xmpp:message-correct:0' id='orig2'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat' id='after'><body>after</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetMessage() == "after"
	})
	var lines []string
	for _, f := range e.be.framesOf(pb.WrapperMessage_TYPE_CONV_MESSAGE) {
		c := f.(*pb.ConversationMessage)
		if c.ReplaceId != nil {
			t.Errorf("replaceId sent to a backend without corrections: %v", c)
		}
		lines = append(lines, c.GetMessage())
	}
	want := []string{"hello wrold", "s/wrold/world", "s/world/there world", "* fixed", "short", "* shorter", "after"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("sent %q, want %q", lines, want)
	}
}
