#!/usr/bin/python3
"""A slixmpp client for test/extensions_slix_test.go (issue 24) against the demo's echo.

With slixmpp's own plugins: a message and its XEP-0308 correction (echo corrects its copy),
a XEP-0444 reaction to echo's copy (echo reacts to the original), a XEP-0424 retraction
(echo retracts its copy), a XEP-0461 reply (echo's copy replies to the same message), and
echo's "correct", "retract" and "react" commands seen through the plugins' events
(EXT-LIVE-OK); then, on a new connection, a reaction and a correction to the messages
read from the archive (xep_0313). Prints EXT-OK and exits 0 on success. The password comes from EXT_PASSWORD.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

import slixmpp

ECHO = "echo@localhost"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in ("xep_0030", "xep_0308", "xep_0444", "xep_0424", "xep_0461", "xep_0334", "xep_0428",
                  "xep_0059", "xep_0297", "xep_0313"):
            self.register_plugin(p)
        self.q = asyncio.Queue()
        self.started = asyncio.Event()
        # "message" is slixmpp's event for messages with a body; reactions come without.
        for ev in ("message", "reactions"):
            self.add_event_handler(ev, lambda m: self.q.put_nowait(m) if m["from"].bare == ECHO else None)
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
    print("EXT-LIVE-OK", flush=True)


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
    print("EXT-OK", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    loop = asyncio.get_event_loop()
    for phase in (run, from_archive):
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
