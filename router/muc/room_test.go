package muc

import "testing"

func TestRoomJIDMapping(t *testing.T) {
	tests := []struct {
		name, node, legacy string
		escaped            bool
	}{
		{"single server", "#channel", "#channel", false},
		{"network per room", "#channel%irc.example.net", "#channel@irc.example.net", false},
		{"XEP-0106 @", `#channel\40irc.example.net`, "#channel@irc.example.net", true},
		{"last percent only", "#a%b%irc", "#a%b@irc", false},
		{"space escaped", `#two\20words`, "#two words", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			legacy, escaped := roomFromNode(tc.node)
			if legacy != tc.legacy || escaped != tc.escaped {
				t.Fatalf("roomFromNode(%q) = %q, %v", tc.node, legacy, escaped)
			}
			if back := Node(legacy, escaped); back != tc.node {
				t.Fatalf("Node(%q, %v) = %q, want %q", legacy, escaped, back, tc.node)
			}
		})
	}
}
