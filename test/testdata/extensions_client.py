#!/usr/bin/python3
"""A slixmpp client for test/extensions_slix_test.go (issue 24) against the demo's echo and #lobby.

With slixmpp's own plugins: a message and its XEP-0308 correction (echo corrects its copy),
a XEP-0444 reaction to echo's copy (echo reacts to the original), a XEP-0424 retraction
(echo retracts its copy), a XEP-0461 reply (echo's copy replies to the same message), and
echo's "correct", "retract" and "react" commands seen through the plugins' events
and a XEP-0333 displayed marker (xep_0333) mirrored on the original (EXT-LIVE-OK); then in
#lobby (xep_0045) the same with Babbage, the room's echo, by the room's stanza-ids
(EXT-ROOM-OK); then, on a new connection, a reaction and a correction to the messages
read from the archive (xep_0313), by their ids and by their stanza-ids, in the chat with
echo and in #lobby. Prints EXT-OK and exits 0 on success. The password comes from
EXT_PASSWORD.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

import slixmpp

ECHO = "echo@localhost"
ROOM = "#lobby@localhost"
NICK = "slix"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in ("xep_0030", "xep_0308", "xep_0444", "xep_0424", "xep_0461", "xep_0334", "xep_0428",
                  "xep_0059", "xep_0297", "xep_0313", "xep_0333", "xep_0045"):
            self.register_plugin(p)
        self.q = asyncio.Queue()
        self.started = asyncio.Event()
        # "message" is slixmpp's event for messages with a body; reactions come without.
        # markers come on marker_displayed.
        for ev in ("message", "reactions", "marker_displayed"):
            self.add_event_handler(ev, lambda m: self.q.put_nowait(m) if m["from"].bare in (ECHO, ROOM) else None)
        self.add_event_handler("session_start", self.on_start)

    async def on_start(self, _):
        self.send_presence()
        self.started.set()

    async def expect(self, what, ok):
        while True:
            m = await asyncio.wait_for(self.q.get(), 30)
            if ok(m):
                print("got", what, m, flush=True)
                return m


def child(m, ns, name):
    return m.xml.find("{%s}%s" % (ns, name))


def ref(m, ns, name):
    """The id attribute of m's child ns:name, None without one."""
    c = child(m, ns, name)
    return None if c is None else c.get("id")


def room_sid(m):
    """The stanza-id the room gave m."""
    for s in m.xml.findall("{urn:xmpp:sid:0}stanza-id"):
        if s.get("by") == ROOM:
            return s.get("id")
    return None


def retracted(m):
    """The id m retracts, in either of XEP-0424's forms."""
    return ref(m, "urn:xmpp:message-retract:1", "retract") or (m["apply_to"]["id"] or None)


REACTIONS = ("urn:xmpp:reactions:0", "reactions")
DISPLAYED = ("urn:xmpp:chat-markers:0", "displayed")


async def run(c):
    await asyncio.wait_for(c.started.wait(), 60)
    m = c.make_message(mto=ECHO, mbody="helo", mtype="chat")
    m["id"] = "x1"
    m.send()
    await c.expect("echo of x1", lambda m: m["id"] == "echo-x1" and m["body"] == "helo")
    m = c.make_message(mto=ECHO, mbody="hello", mtype="chat")
    m["id"] = "x2"
    m["replace"]["id"] = "x1"
    m.send()
    await c.expect("correction of echo-x1", lambda m: m["replace"]["id"] == "echo-x1" and m["body"] == "hello")
    c["xep_0444"].send_reactions(ECHO, "echo-x2", ["👍"])
    r = await c.expect("reaction to x2", lambda m: child(m, "urn:xmpp:reactions:0", "reactions") is not None)
    rs = child(r, "urn:xmpp:reactions:0", "reactions")
    assert rs.get("id") == "x2" and [x.text for x in rs] == ["👍"], r
    c["xep_0424"].send_retraction(ECHO, "x2")
    await c.expect("retraction of echo-x2",
                   lambda m: m["apply_to"]["id"] == "echo-x2" or
                   (child(m, "urn:xmpp:message-retract:1", "retract") is not None and
                    child(m, "urn:xmpp:message-retract:1", "retract").get("id") == "echo-x2"))
    c["xep_0461"].send_reply(ECHO + "/bot", "echo-x1", mto=ECHO, mbody="indeed", mtype="chat")
    await c.expect("reply copy", lambda m: m["reply"]["id"] == "echo-x1" and m["body"] == "indeed")
    c.send_message(mto=ECHO, mbody="correct better", mtype="chat")
    first = await c.expect("message to correct", lambda m: m["body"] == "I will correct this")
    await c.expect("echo's correction", lambda m: m["replace"]["id"] == first["id"] and m["body"] == "better")
    c.send_message(mto=ECHO, mbody="retract", mtype="chat")
    first = await c.expect("message to retract", lambda m: m["body"] == "I will retract this")
    await c.expect("echo's retraction",
                   lambda m: child(m, "urn:xmpp:message-retract:1", "retract") is not None and
                   child(m, "urn:xmpp:message-retract:1", "retract").get("id") == first["id"])
    m = c.make_message(mto=ECHO, mbody="react 🎉", mtype="chat")
    m["id"] = "x3"
    m.send()
    await c.expect("echo's reaction", lambda m: child(m, "urn:xmpp:reactions:0", "reactions") is not None and
                   child(m, "urn:xmpp:reactions:0", "reactions").get("id") == "x3")
    c["xep_0333"].send_marker(slixmpp.JID(ECHO), "echo-x1", "displayed")
    await c.expect("echo's displayed marker on x1", lambda m: ref(m, *DISPLAYED) == "x1")
    print("EXT-LIVE-OK", flush=True)


def from_room(nick):
    return lambda m: m["from"] == ROOM + "/" + nick


async def rooms(c):
    """In #lobby: the room's disco#info, then a line, its correction, a reaction, a reply,
    a retraction and a displayed marker, each naming messages by the room's stanza-ids,
    reflected by the room and mirrored by Babbage."""
    await asyncio.wait_for(c.started.wait(), 60)
    info = await c["xep_0030"].get_info(jid=ROOM, timeout=30)
    feats = set(info["disco_info"]["features"])
    for f in ("urn:xmpp:message-correct:0", "urn:xmpp:reply:0", "urn:xmpp:reactions:0",
              "urn:xmpp:message-retract:1", "urn:xmpp:chat-markers:0", "urn:xmpp:sid:0"):
        assert f in feats, (f, feats)
    await c["xep_0045"].join_muc_wait(slixmpp.JID(ROOM), NICK, maxstanzas=0, timeout=60)
    m = c.make_message(mto=ROOM, mbody="helo room", mtype="groupchat")
    m["id"] = "g1"
    m.send()
    mine = await c.expect("reflection of g1", lambda m: from_room(NICK)(m) and m["body"] == "helo room")
    bab = await c.expect("Babbage's copy", lambda m: from_room("Babbage")(m) and m["body"] == NICK + ": you said helo room")
    assert mine["id"] == "g1" and room_sid(mine) and room_sid(bab) and bab["id"] == "echo-g1", (mine, bab)
    m = c.make_message(mto=ROOM, mbody="hello room", mtype="groupchat")
    m["id"] = "g2"
    m["replace"]["id"] = "g1"
    m.send()
    await c.expect("Babbage's correction", lambda m: from_room("Babbage")(m) and m["replace"]["id"] == "echo-g1" and
                   m["body"] == NICK + ": you said hello room")
    r = c.make_message(mto=ROOM, mtype="groupchat")
    c["xep_0444"].set_reactions(r, room_sid(bab), ["👍"])
    r.send()
    await c.expect("the room's reflection of the reaction", lambda m: from_room(NICK)(m) and ref(m, *REACTIONS) == room_sid(bab))
    got = await c.expect("Babbage's mirrored reaction", lambda m: from_room("Babbage")(m) and ref(m, *REACTIONS) is not None)
    assert ref(got, *REACTIONS) == room_sid(mine), (got, room_sid(mine))
    c["xep_0461"].send_reply(ROOM + "/Babbage", room_sid(bab), mto=ROOM, mbody="indeed", mtype="groupchat")
    got = await c.expect("Babbage's reply", lambda m: from_room("Babbage")(m) and m["body"] == NICK + ": you said indeed")
    assert got["reply"]["id"] == room_sid(bab) and got["reply"]["to"] == ROOM + "/Babbage", got
    m = c.make_message(mto=ROOM, mtype="groupchat")
    m["displayed"]["id"] = room_sid(bab)
    m.send()
    got = await c.expect("Babbage's displayed marker", lambda m: from_room("Babbage")(m) and ref(m, *DISPLAYED) is not None)
    assert ref(got, *DISPLAYED) == room_sid(mine), (got, room_sid(mine))
    c["xep_0424"].send_retraction(slixmpp.JID(ROOM), room_sid(mine), mtype="groupchat")
    got = await c.expect("Babbage's retraction", lambda m: from_room("Babbage")(m) and retracted(m) is not None)
    assert retracted(got) == room_sid(bab), (got, room_sid(bab))
    print("EXT-ROOM-OK", flush=True)


async def from_archive(c):
    """After a reconnect: react to echo's copy and correct the user's own message, both
    read from the archive (MAM) with their stanza-ids and ids."""
    await asyncio.wait_for(c.started.wait(), 60)
    mine = theirs = None
    async for m in c["xep_0313"].iterate(jid=slixmpp.JID(c.boundjid.bare), with_jid=slixmpp.JID(ECHO)):
        fwd = m["mam_result"]["forwarded"]["stanza"]
        if fwd["body"] == "helo":
            if fwd["from"].bare == ECHO:
                theirs = (m["mam_result"]["id"], fwd["id"])
            else:
                mine = (m["mam_result"]["id"], fwd["id"])
    assert mine and theirs and mine[0] and theirs[0], (mine, theirs)
    print("from the archive: mine", mine, "theirs", theirs, flush=True)
    c["xep_0444"].send_reactions(ECHO, theirs[1], ["❤"])
    await c.expect("reaction to the archived original", lambda m: child(m, "urn:xmpp:reactions:0", "reactions") is not None and
                   child(m, "urn:xmpp:reactions:0", "reactions").get("id") == mine[1])
    m = c.make_message(mto=ECHO, mbody="hello again", mtype="chat")
    m["replace"]["id"] = mine[1]
    m.send()
    await c.expect("correction of echo's archived copy",
                   lambda m: m["replace"]["id"] == theirs[1] and m["body"] == "hello again")
    # By the stanza-id (the MAM result's id): the daemon names echo's copy by its legacy id.
    c["xep_0444"].send_reactions(ECHO, theirs[0], ["👀"])
    await c.expect("reaction by stanza-id to the archived original",
                   lambda m: ref(m, *REACTIONS) == mine[1] and [x.text for x in child(m, *REACTIONS)] == ["👀"])
    # In #lobby: Babbage's archived copy by its stanza-id; Babbage mirrors on the user's
    # archived line, by its stanza-id.
    await c["xep_0045"].join_muc_wait(slixmpp.JID(ROOM), NICK, maxstanzas=0, timeout=60)
    mine = theirs = None
    async for m in c["xep_0313"].iterate(jid=slixmpp.JID(ROOM)):
        fwd = m["mam_result"]["forwarded"]["stanza"]
        if fwd["body"] == "helo room":
            mine = m["mam_result"]["id"]
        elif fwd["body"] == NICK + ": you said helo room":
            theirs = m["mam_result"]["id"]
    assert mine and theirs, (mine, theirs)
    r = c.make_message(mto=ROOM, mtype="groupchat")
    c["xep_0444"].set_reactions(r, theirs, ["🎉"])
    r.send()
    got = await c.expect("Babbage's mirror of a reaction to its archived copy",
                         lambda m: from_room("Babbage")(m) and ref(m, *REACTIONS) is not None)
    assert ref(got, *REACTIONS) == mine, (got, mine)
    print("EXT-OK", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    loop = asyncio.get_event_loop()
    for phase in (run, rooms, from_archive):
        c = Client(args.jid, os.environ["EXT_PASSWORD"], args.ca)
        c.connect(("127.0.0.1", args.port))
        try:
            loop.run_until_complete(asyncio.wait_for(phase(c), 150))
        except BaseException as e:  # the test prints the output
            print("FAILED", repr(e), flush=True)
            sys.exit(1)
        finally:
            c.disconnect()
        loop.run_until_complete(asyncio.sleep(1))


if __name__ == "__main__":
    main()
