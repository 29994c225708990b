package test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The message archive (XEP-0313) and stanza ids (XEP-0359) against the real binary, with
// raw XML: what is archived in both directions, the filters, paging, errors, metadata,
// preferences, carbons, the room archive and retention.

const mamUser = "mam%demo@localhost"

var (
	mamResultID = regexp.MustCompile(`<result[^>]* id="([^"]+)"`)
	stanzaIDRe  = regexp.MustCompile(`<stanza-id xmlns="urn:xmpp:sid:0" by="([^"]+)" id="([^"]+)"`)
)

// mamReply is what a query got: the result messages in order, and the IQ answer.
type mamReply struct {
	results []string // each result message
	ids     []string // their archive ids
	iq      string   // the <iq/> answer (fin or error)
}

// mamQuery sends a MAM query to to ("" for the account) and reads its results and answer;
// id must be unique on the stream.
func mamQuery(c *rawXMPP, id, to, form, rsm, extra string) mamReply {
	c.t.Helper()
	toAttr := ""
	if to != "" {
		toAttr = ` to='` + to + `'`
	}
	x := ""
	if form != "" {
		x = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>` + form + `</x>`
	}
	if rsm != "" {
		rsm = `<set xmlns='http://jabber.org/protocol/rsm'>` + rsm + `</set>`
	}
	c.send(`<iq type='set' id='` + id + `'` + toAttr + `><query xmlns='urn:xmpp:mam:2' queryid='q-` + id + `'>` + x + rsm + extra + `</query></iq>`)
	got := c.expect(`id="` + id + `"`)
	start := strings.LastIndex(got, "<iq")
	var r mamReply
	for _, chunk := range strings.Split(got[:start], "</result>") {
		i := strings.Index(chunk, "<result ")
		if i < 0 || !strings.Contains(chunk[i:], `queryid="q-`+id+`"`) {
			continue
		}
		m := chunk[strings.LastIndex(chunk[:i], "<message "):]
		r.results = append(r.results, m)
		r.ids = append(r.ids, mamResultID.FindStringSubmatch(m)[1])
	}
	r.iq = got[start:] + c.expect(`</iq>`)
	return r
}

func field(name string, values ...string) string {
	f := `<field var='` + name + `'>`
	for _, v := range values {
		f += `<value>` + v + `</value>`
	}
	return f + `</field>`
}

// mamLogin logs user in on resource res with an initial presence and waits for echo.
func mamLogin(t *testing.T, s *Server, user, pw, res string) *rawXMPP {
	c := dialRawXMPP(t, s)
	c.login(strings.TrimSuffix(user, "@localhost"), pw)
	c.bind(res)
	c.send(`<presence/>`)
	c.expect(`<presence from="echo@localhost/bot"`)
	return c
}

// echoRound sends body to echo and returns the echo as received.
func echoRound(c *rawXMPP, id, body string) string {
	c.t.Helper()
	c.send(`<message to='echo@localhost' type='chat' id='` + id + `'><body>` + body + `</body><origin-id xmlns='urn:xmpp:sid:0' id='o-` + id + `'/></message>`)
	got := c.expect(`<body>` + body + `</body>`)
	return got[strings.LastIndex(got, "<message"):] + c.expect(`</message>`)
}

func TestMAMArchiveAndQuery(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	c := mamLogin(t, s, mamUser, pw, "phone")
	tablet := mamLogin(t, s, mamUser, pw, "tablet")
	tablet.send(`<iq type='set' id='carbons1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	tablet.expect(`id="carbons1"`)

	c.send(`<iq type='get' id='disco1' to='` + mamUser + `'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	disco := c.expect(`id="disco1"`) + c.expect(`</iq>`)
	for _, f := range []string{"urn:xmpp:mam:2", "urn:xmpp:mam:2#extended", "urn:xmpp:sid:0"} {
		if !strings.Contains(disco, `var="`+f+`"`) {
			t.Errorf("account disco#info lacks %s: %s", f, disco)
		}
	}

	var echoIDs []string
	for i := range 3 {
		echo := echoRound(c, fmt.Sprintf("m%d", i), fmt.Sprintf("hello %d", i))
		m := stanzaIDRe.FindStringSubmatch(echo)
		if m == nil || m[1] != mamUser {
			t.Fatalf("echo without the user's stanza-id: %s", echo)
		}
		echoIDs = append(echoIDs, m[2])
	}
	// The tablet's carbons carry the same ids: one entry per message, not one per copy.
	sent := tablet.expect(`<body>hello 2</body>`)
	if !strings.Contains(sent, `<sent xmlns="urn:xmpp:carbons:2"`) || stanzaIDRe.FindStringSubmatch(sent) == nil {
		t.Errorf("sent carbon without stanza-id: %s", tail(sent, 5))
	}
	recv := tablet.expect(`<body>hello 2</body>`) + tablet.expect(`</message>`)
	recv = recv[strings.LastIndex(recv, "<received"):]
	if m := stanzaIDRe.FindStringSubmatch(recv); m == nil || m[2] != echoIDs[2] {
		t.Errorf("received carbon has not the echo's stanza-id %s: %s", echoIDs[2], recv)
	}

	all := mamQuery(c, "all", "", "", "", "")
	if len(all.ids) != 6 || all.ids[1] != echoIDs[0] || all.ids[5] != echoIDs[2] {
		t.Fatalf("archive %v, want 6 with the echoes at 1, 3, 5 (%v): %s", all.ids, echoIDs, all.iq)
	}
	if !strings.Contains(all.iq, `<fin xmlns="urn:xmpp:mam:2" complete="true">`) || !strings.Contains(all.iq, `<count>6</count>`) ||
		!strings.Contains(all.iq, `<first>`+all.ids[0]+`</first>`) || !strings.Contains(all.iq, `<last>`+all.ids[5]+`</last>`) {
		t.Errorf("fin: %s", all.iq)
	}
	first := all.results[0]
	for _, want := range []string{`from="` + mamUser + `"`, `<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="`,
		`to="echo@localhost"`, `<body>hello 0</body>`, `<origin-id xmlns="urn:xmpp:sid:0" id="o-m0"`} {
		if !strings.Contains(first, want) {
			t.Errorf("first result lacks %s: %s", want, first)
		}
	}

	check := func(name string, r mamReply, want []string) {
		t.Helper()
		if fmt.Sprint(r.ids) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v (%s)", name, r.ids, want, r.iq)
		}
	}
	ids := all.ids
	check("with echo", mamQuery(c, "with1", "", field("with", "echo@localhost"), "", ""), ids)
	check("with clock", mamQuery(c, "with2", "", field("with", "clock@localhost"), "", ""), nil)
	check("after-id", mamQuery(c, "aid", "", field("after-id", ids[1]), "", ""), ids[2:])
	check("before-id", mamQuery(c, "bid", "", field("before-id", ids[4]), "", ""), ids[:4])
	check("after and before-id", mamQuery(c, "abid", "", field("after-id", ids[0])+field("before-id", ids[3]), "", ""), ids[1:3])
	check("ids", mamQuery(c, "ids", "", field("ids", ids[0], ids[3]), "", ""), []string{ids[0], ids[3]})
	check("start in the future", mamQuery(c, "start", "", field("start", "2999-01-01T00:00:00Z"), "", ""), nil)
	check("end in the past", mamQuery(c, "end", "", field("end", "2000-01-01T00:00:00Z"), "", ""), nil)

	p1 := mamQuery(c, "p1", "", "", "<max>4</max>", "")
	check("page 1", p1, ids[:4])
	if strings.Contains(p1.iq, `complete="true"`) || !strings.Contains(p1.iq, `<count>6</count>`) {
		t.Errorf("page 1 fin: %s", p1.iq)
	}
	p2 := mamQuery(c, "p2", "", "", "<max>4</max><after>"+ids[3]+"</after>", "")
	check("page 2", p2, ids[4:])
	if !strings.Contains(p2.iq, `complete="true"`) {
		t.Errorf("page 2 fin: %s", p2.iq)
	}
	check("last page", mamQuery(c, "last", "", "", "<max>2</max><before/>", ""), ids[4:])
	check("before", mamQuery(c, "before", "", "", "<max>2</max><before>"+ids[4]+"</before>", ""), ids[2:4])
	check("flipped", mamQuery(c, "flip", "", "", "<max>2</max><before/>", "<flip-page/>"), []string{ids[5], ids[4]})
	if r := mamQuery(c, "count", "", "", "<max>0</max>", ""); len(r.ids) != 0 || !strings.Contains(r.iq, `<count>6</count>`) {
		t.Errorf("max 0: %v %s", r.ids, r.iq)
	}

	for _, e := range []struct{ id, form, rsm, cond string }{
		{"e1", field("after-id", "nope"), "", "item-not-found"},
		{"e2", "", "<after>nope</after>", "item-not-found"},
		{"e3", field("start", "yesterday"), "", "bad-request"},
		{"e4", field("colour", "red"), "", "bad-request"},
		{"e5", field("with", "@@"), "", "bad-request"},
	} {
		if r := mamQuery(c, e.id, "", e.form, e.rsm, ""); !strings.Contains(r.iq, `type="error"`) || !strings.Contains(r.iq, "<"+e.cond) {
			t.Errorf("%s: want %s, got %s", e.id, e.cond, r.iq)
		}
	}

	c.send(`<iq type='get' id='md'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)
	md := c.expect(`id="md"`) + c.expect(`</iq>`)
	if !strings.Contains(md, `<start id="`+ids[0]+`"`) || !strings.Contains(md, `<end id="`+ids[5]+`"`) {
		t.Errorf("metadata: %s", md)
	}

	// Preferences: never archives nothing and stamps nothing; always again archives.
	c.send(`<iq type='get' id='pr1'><prefs xmlns='urn:xmpp:mam:2'/></iq>`)
	if got := c.expect(`id="pr1"`) + c.expect(`</iq>`); !strings.Contains(got, `<prefs xmlns="urn:xmpp:mam:2" default="always">`) {
		t.Errorf("prefs: %s", got)
	}
	c.send(`<iq type='set' id='pr2'><prefs xmlns='urn:xmpp:mam:2' default='never'><always/><never/></prefs></iq>`)
	if got := c.expect(`id="pr2"`) + c.expect(`</iq>`); !strings.Contains(got, `default="never"`) {
		t.Errorf("prefs set: %s", got)
	}
	if echo := echoRound(c, "n1", "not archived"); strings.Contains(echo, "stanza-id") {
		t.Errorf("an echo with prefs never has a stanza-id: %s", echo)
	}
	c.send(`<iq type='set' id='pr3'><prefs xmlns='urn:xmpp:mam:2' default='sometimes'/></iq>`)
	if got := c.expect(`id="pr3"`) + c.expect(`</iq>`); !strings.Contains(got, "<bad-request") {
		t.Errorf("a bad default: %s", got)
	}
	c.send(`<iq type='set' id='pr4'><prefs xmlns='urn:xmpp:mam:2' default='always'/></iq>`)
	c.expect(`id="pr4"`)
	check("after never", mamQuery(c, "after-never", "", field("after-id", ids[5]), "", ""), nil)
}

// TestMAMRoomArchive: the demo #lobby's messages are archived in the user's view of the
// room, stamped by the room, and a query to the room's JID answers from it; <history/>
// still replays to a later occupant; the room advertises MAM.
func TestMAMRoomArchive(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	c := mamLogin(t, s, mamUser, pw, "phone")
	c.send(`<presence to='#lobby@localhost/me'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	c.expect(`<subject>`)
	c.send(`<message to='#lobby@localhost' type='groupchat' id='g1'><body>hello room</body></message>`)
	refl := c.expect(`<body>hello room</body>`) + c.expect(`</message>`)
	m := stanzaIDRe.FindStringSubmatch(refl)
	if m == nil || m[1] != "#lobby@localhost" {
		t.Fatalf("reflection without the room's stanza-id: %s", refl)
	}
	c.expect(`<body>me: you said hello room</body>`)
	r := mamQuery(c, "room1", "#lobby@localhost", "", "", "")
	if len(r.ids) != 2 || r.ids[0] != m[2] || !strings.Contains(r.results[0], `from="#lobby@localhost"`) ||
		!strings.Contains(r.results[1], "me: you said hello room") {
		t.Fatalf("room archive %v: %v %s", r.ids, r.results, r.iq)
	}
	if u := mamQuery(c, "user1", "", "", "", ""); len(u.ids) != 0 {
		t.Errorf("room messages in the user archive: %v", u.ids)
	}
	c.send(`<iq type='get' id='rd' to='#lobby@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if got := c.expect(`id="rd"`) + c.expect(`</iq>`); !strings.Contains(got, `var="urn:xmpp:mam:2"`) {
		t.Errorf("room disco#info without MAM: %s", got)
	} else if strings.Count(got, "muc#roominfo</value>") != 1 || !strings.Contains(got, `<field var="mam" type="boolean"><value>1</value>`) ||
		!strings.Contains(got, `var="muc#roomconfig_enablearchiving"`) || !strings.Contains(got, `var="muc#roominfo_occupants"`) {
		t.Errorf("room disco#info: no single muc#roominfo form with mam, enablearchiving and occupants: %s", got)
	}
	// Another resource joins later and gets the history, with the same ids.
	d := mamLogin(t, s, mamUser, pw, "laptop")
	d.send(`<presence to='#lobby@localhost/me'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	hist := d.expect(`<body>hello room</body>`) + d.expect(`</message>`)
	if !strings.Contains(hist, `id="`+m[2]+`"`) || !strings.Contains(hist, "<delay") {
		t.Errorf("history without the stanza-id or delay: %s", hist)
	}
}

// TestMAMRoomPrivate: private messages with a #lobby occupant, both ways, go into the
// user's own archive like chats, under the occupant's full JID, stamped by the user; a
// query with the occupant's JID or the room's bare JID finds them, the room's archive
// does not hold them.
func TestMAMRoomPrivate(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	c := mamLogin(t, s, mamUser, pw, "phone")
	c.send(`<presence to='#lobby@localhost/me'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	c.expect(`<subject>`)
	const turing = "#lobby@localhost/Turing"
	c.send(`<message to='` + turing + `' type='chat' id='pm1'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`)
	got := c.expect(`<body>you said privately: psst</body>`)
	got = got[strings.LastIndex(got, "<message"):] + c.expect(`</message>`)
	m := stanzaIDRe.FindStringSubmatch(got)
	if m == nil || m[1] != mamUser || !strings.Contains(got, `from="`+turing+`"`) {
		t.Fatalf("private answer without the user's stanza-id: %s", got)
	}
	for _, with := range []string{turing, "#lobby@localhost"} {
		r := mamQuery(c, "pm-"+with, "", field("with", with), "", "")
		if len(r.ids) != 2 || r.ids[1] != m[2] ||
			!strings.Contains(r.results[0], `to="`+turing+`"`) || !strings.Contains(r.results[0], "<body>psst</body>") ||
			!strings.Contains(r.results[1], `from="`+turing+`"`) || !strings.Contains(r.results[1], `<x xmlns="http://jabber.org/protocol/muc#user"`) {
			t.Fatalf("with %s: %v %v %s", with, r.ids, r.results, r.iq)
		}
	}
	if r := mamQuery(c, "pm-other", "", field("with", "#lobby@localhost/Lovelace"), "", ""); len(r.ids) != 0 {
		t.Errorf("another occupant's conversation holds %v", r.results)
	}
	if r := mamQuery(c, "pm-room", "#lobby@localhost", "", "", ""); len(r.ids) != 0 {
		t.Errorf("private messages in the room's archive: %v", r.results)
	}
}

// TestMAMRetention: past mam.max_messages the oldest go; the sweep deletes what is older
// than mam.expire_after.
func TestMAMRetention(t *testing.T) {
	s := StartServer(t, "[mam]\nmax_messages = 10\nexpire_after = \"8s\"\nsweep_every = \"1s\"\n")
	pw := s.Password()
	c := mamLogin(t, s, mamUser, pw, "phone")
	for i := range 8 {
		echoRound(c, fmt.Sprintf("r%d", i), fmt.Sprintf("keep %d", i))
	}
	r := mamQuery(c, "quota", "", "", "", "")
	if len(r.ids) > 10 || len(r.ids) < 9 || !strings.Contains(r.results[len(r.results)-1], "keep 7") {
		t.Fatalf("after 16 messages with max_messages 10: %d entries, last %s", len(r.ids), tail(r.results[len(r.results)-1], 3))
	}
	s.waitLogLines(t, 1, `"message":"expired archive entries deleted"`)
	if r := mamQuery(c, "swept", "", "", "", ""); len(r.ids) != 0 {
		t.Errorf("%d entries after the sweep", len(r.ids))
	}
}

// TestMAMPurgeArchive: the administrators' purge_archive empties one user's archive.
func TestMAMPurgeArchive(t *testing.T) {
	s, apw := adminServer(t, "")
	pw := s.Password()
	c := mamLogin(t, s, mamUser, pw, "phone")
	echoRound(c, "p1", "purge me")
	admin, in := dialListen(t, s, "admin@localhost", apw)
	if got := ask(t, admin, in, "purge_archive "+mamUser); got != "Deleted 2 archived messages of "+mamUser {
		t.Errorf("purge_archive answered %q", got)
	}
	if r := mamQuery(c, "purged", "", "", "", ""); len(r.ids) != 0 {
		t.Errorf("%d entries after purge_archive", len(r.ids))
	}
}

// ircMAMLogin logs user (a node) in on the IRC gateway with an initial presence.
func ircMAMLogin(t *testing.T, s *Server, user, res string) *rawXMPP {
	c := dialRawXMPP(t, s)
	c.login(user, s.Password())
	c.bind(res)
	c.send(`<presence/>`)
	return c
}

// TestMAMIRCRoom: a real ngircd channel through builtin:irc. Each user archives the
// channel's messages in its own view of the room: a query to the room's JID answers with
// the channel's lines (the user's own reflected one included), stamped by the room,
// with per-user ids; a user who joined later has only what it saw; the account's archive
// holds none of it, but a private message with the IRC occupant (both ways).
func TestMAMIRCRoom(t *testing.T) {
	irc := startIRCd(t, false)
	s := startIRCGateway(t, `irc_server = "`+irc.Addr()+`"`)
	room := ircRoom("#mamirc")
	peer := connectPeer(t, irc, "ircpeer")
	peer.Send("JOIN #mamirc")
	peer.Expect(" 366 ")

	join := func(c *rawXMPP, nick string) {
		c.send(`<presence to='` + room + `/` + nick + `'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		c.expect(`from="` + room + `/` + nick + `"`)
		c.expect(`<subject`)
	}
	// groupchat waits for the groupchat message with body and returns its stanza-id by
	// the room.
	groupchat := func(c *rawXMPP, body string) string {
		t.Helper()
		got := c.expect(`<body>` + body + `</body>`)
		got = got[strings.LastIndex(got, "<message"):] + c.expect(`</message>`)
		m := stanzaIDRe.FindStringSubmatch(got)
		if m == nil || m[1] != room {
			t.Fatalf("groupchat %q without a stanza-id by %s: %s", body, room, got)
		}
		return m[2]
	}
	a := ircMAMLogin(t, s, "mamirca", "r")
	join(a, "mamirca")
	peer.Expect(":mamirca!")
	peer.Send("PRIVMSG #mamirc :first from irc")
	a1 := groupchat(a, "first from irc")

	b := ircMAMLogin(t, s, "mamircb", "r")
	join(b, "mamircb")
	peer.Expect(":mamircb!")
	a.send(`<message to='` + room + `' type='groupchat' id='ga'><body>from xmpp</body></message>`)
	peer.Expect("PRIVMSG #mamirc :from xmpp")
	a2 := groupchat(a, "from xmpp") // the reflection
	b2 := groupchat(b, "from xmpp")
	peer.Send("PRIVMSG #mamirc :second from irc")
	a3 := groupchat(a, "second from irc")
	b3 := groupchat(b, "second from irc")

	check := func(c *rawXMPP, who string, want []string, bodies []string) {
		t.Helper()
		r := mamQuery(c, "room-"+who, room, "", "", "")
		if !slices.Equal(r.ids, want) || !strings.Contains(r.iq, `complete="true"`) {
			t.Fatalf("%s's archive of %s: %v, want %v: %v %s", who, room, r.ids, want, r.results, r.iq)
		}
		for i, body := range bodies {
			if !strings.Contains(r.results[i], `from="`+room+`"`) || !strings.Contains(r.results[i], `<body>`+body+`</body>`) ||
				!strings.Contains(r.results[i], `type="groupchat"`) {
				t.Errorf("%s's result %d: %s", who, i, r.results[i])
			}
		}
	}
	check(a, "a", []string{a1, a2, a3}, []string{"first from irc", "from xmpp", "second from irc"})
	check(b, "b", []string{b2, b3}, []string{"from xmpp", "second from irc"})
	// The room's last message only, by RSM, as a client catching up asks.
	if r := mamQuery(a, "room-last", room, "", "<max>1</max><before/>", ""); len(r.ids) != 1 || r.ids[0] != a3 {
		t.Errorf("the room's last message: %v %s", r.ids, r.iq)
	}
	if r := mamQuery(a, "room-after", room, field("after-id", a1), "", ""); !slices.Equal(r.ids, []string{a2, a3}) {
		t.Errorf("after %s: %v %s", a1, r.ids, r.iq)
	}

	// A private message with the IRC occupant goes to the account's archive, both ways.
	occupant := room + "/ircpeer"
	a.send(`<message to='` + occupant + `' type='chat' id='pm1'><body>psst irc</body></message>`)
	peer.Expect("PRIVMSG ircpeer :psst irc")
	peer.Send("PRIVMSG mamirca :psst xmpp")
	a.expect(`<body>psst xmpp</body>`)
	r := mamQuery(a, "account", "", "", "", "")
	if len(r.ids) != 2 || !strings.Contains(r.results[0], "psst irc") || !strings.Contains(r.results[1], `from="`+occupant+`"`) ||
		!strings.Contains(r.results[1], "psst xmpp") {
		t.Errorf("the account's archive: %v %s", r.results, r.iq)
	}
	if r := mamQuery(a, "account-with", "", field("with", occupant), "", ""); len(r.ids) != 2 {
		t.Errorf("with %s: %v %s", occupant, r.results, r.iq)
	}
}
