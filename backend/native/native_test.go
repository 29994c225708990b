package native

import (
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"demo", "irc", "matrix", "xmpp"}) {
		t.Errorf("Names() = %v", got)
	}
	for name, newPlugin := range Backends() {
		if newPlugin == nil {
			t.Errorf("%s has no constructor", name)
		}
	}
}
