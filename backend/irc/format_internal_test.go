package irc

import "testing"

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want serverAddr
		err  bool
	}{
		{in: "irc.example.net", want: serverAddr{Host: "irc.example.net", Port: 6667}},
		{in: "irc.example.net:7000", want: serverAddr{Host: "irc.example.net", Port: 7000}},
		{in: "irc.example.net/7000", want: serverAddr{Host: "irc.example.net", Port: 7000}},
		{in: "irc.example.net:+7000", want: serverAddr{Host: "irc.example.net", Port: 7000, TLS: true}},
		{in: "irc.example.net:6697", want: serverAddr{Host: "irc.example.net", Port: 6697, TLS: true}},
		{in: "irc.example.net:x", err: true},
		{in: ":6667", err: true},
	} {
		got, err := parseServer(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("parseServer(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestStripFormatting(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                       "plain",
		"\x02bold\x02":                "bold",
		"\x0304red\x03 \x0312,01blue": "red blue",
		"\x03,x":                      ",x",
		"\x1ditalic\x0f\x1funder":     "italicunder",
		"\x04ff00aahex":               "hex",
		"3\x03 4":                     "3 4",
	} {
		if got := StripFormatting(in); got != want {
			t.Errorf("StripFormatting(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormattingToXHTML(t *testing.T) {
	for in, want := range map[string]string{
		"plain <b>":          "",
		"\x02bold\x02 <&>":   `<span style="font-weight: bold">bold</span> &lt;&amp;&gt;`,
		"\x1d\x1fboth\x0f x": `<span style="font-style: italic; text-decoration: underline">both</span> x`,
	} {
		if got := FormattingToXHTML(in); got != want {
			t.Errorf("FormattingToXHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentifyMessage(t *testing.T) {
	target, text := identifyMessage(DefaultIdentify, "alice", "pw")
	if target != "NickServ" || text != "identify pw" {
		t.Errorf("default: %q %q", target, text)
	}
	target, text = identifyMessage("Q@CServe auth $name $password", "alice", "pw")
	if target != "Q@CServe" || text != "auth alice pw" {
		t.Errorf("custom: %q %q", target, text)
	}
}
