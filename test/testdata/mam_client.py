#!/usr/bin/python3
"""An independent MAM client (slixmpp's xep_0313 and xep_0059 plugins) for test/mam_slix_test.go.

It logs in, checks that the account advertises MAM, exchanges --rounds messages with the
demo echo contact (twice as many archive entries), pages through the archive forwards and
backwards, filters by with and by start/end, then catches up the way Conversations does:
it loses its connection, another resource of the user (the desktop) chats meanwhile, and
the phone connects again and asks for what came after the last stanza-id it saw. It prints MAM-OK
and exits 0 on success. The password comes from MAM_PASSWORD, never the command line.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

import slixmpp
from slixmpp import JID

ECHO = "echo@localhost"
MAM = "urn:xmpp:mam:2"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, port, ca):
        super().__init__(jid, password)
        self.port = port
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in ("xep_0030", "xep_0059", "xep_0297", "xep_0313"):
            self.register_plugin(p)
        self.echoes = 0
        self.sessions = 0
        self.last_sid = None
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)

    async def on_start(self, _):
        self.sessions += 1
        self.send_presence()

    def on_message(self, msg):
        if msg["from"].bare == ECHO and msg["body"]:
            self.echoes += 1
            sid = msg.xml.find("{urn:xmpp:sid:0}stanza-id")
            if sid is None or sid.get("by") != self.boundjid.bare:
                raise SystemExit("echo without our stanza-id: %s" % msg)
            self.last_sid = sid.get("id")

    def dial(self):
        return self.connect(("127.0.0.1", self.port), force_starttls=True)


async def wait_for(cond, timeout, what):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise SystemExit("timed out waiting for " + what)
        await asyncio.sleep(0.02)


async def collect(c, **kw):
    out = []
    async for m in c["xep_0313"].iterate(jid=JID(c.boundjid.bare), **kw):
        r = m["mam_result"]
        out.append((r["id"], r["forwarded"]["delay"]["stamp"], r["forwarded"]["stanza"]["body"]))
    return out


def expect(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)


async def run(args):
    c = Client(args.jid, os.environ["MAM_PASSWORD"], args.port, args.ca)
    c.dial()
    await wait_for(lambda: c.sessions == 1, 60, "session")
    bare = JID(c.boundjid.bare)
    info = await c["xep_0030"].get_info(jid=bare, local=False, timeout=30)
    feats = info["disco_info"]["features"]
    expect(MAM in feats and MAM + "#extended" in feats and "urn:xmpp:sid:0" in feats, "account disco: %s" % feats)

    n = args.rounds
    for start in range(0, n, 50):
        for i in range(start, min(n, start + 50)):
            c.send_message(mto=ECHO, mbody="m%04d" % i, mtype="chat")
        await wait_for(lambda: c.echoes >= min(n, start + 50), 60, "echoes up to %d" % start)

    fwd = await collect(c, rsm={"max": 73})
    ids = [x[0] for x in fwd]
    expect(len(ids) == 2 * n, "forward paging gave %d entries, want %d" % (len(ids), 2 * n))
    expect(len(set(ids)) == 2 * n, "forward paging repeated entries")
    bodies = [x[2] for x in fwd]
    want = [b for i in range(n) for b in ("m%04d" % i, "m%04d" % i)]
    expect(sorted(bodies) == want, "forward paging: each message once sent, once echoed")
    expect(bodies[0] == "m0000" and bodies[-1] == "m%04d" % (n - 1), "forward order: %s ..." % bodies[:4])

    back = await collect(c, rsm={"max": 73}, reverse=True)
    expect([x[0] for x in back] == list(reversed(ids)), "backward paging differs from forward, reversed")

    with_echo = await collect(c, rsm={"max": 250}, with_jid=JID(ECHO))
    expect(len(with_echo) == 2 * n, "with echo: %d" % len(with_echo))
    with_clock = await collect(c, rsm={"max": 250}, with_jid=JID("clock@localhost"))
    expect(with_clock == [], "with clock: %d" % len(with_clock))

    lo, hi = fwd[100][1], fwd[199][1]
    window = await collect(c, rsm={"max": 250}, start=lo, end=hi)
    expect([x[0] for x in window] == ids[100:200], "start/end window: %d entries" % len(window))

    # Catch-up after a reconnect, from the last stanza-id seen.
    expect(c.last_sid == ids[-1], "the last echo's stanza-id %s is not the archive's last %s" % (c.last_sid, ids[-1]))
    seen = c.last_sid
    desk = Client(c.boundjid.bare + "/desktop", os.environ["MAM_PASSWORD"], args.port, args.ca)
    desk.dial()
    await wait_for(lambda: desk.sessions == 1, 60, "desktop session")
    c.transport.abort()
    await wait_for(lambda: c.transport is None, 30, "disconnect")
    desk.send_message(mto=ECHO, mbody="catch up", mtype="chat")
    await wait_for(lambda: desk.echoes == 1, 60, "the desktop's echo")
    c.dial()
    await wait_for(lambda: c.sessions == 2, 60, "second session")
    catchup = [x[2] for x in await collect(c, rsm={"max": 50, "after": seen})]
    expect(catchup == ["catch up", "catch up"], "catch-up got %s" % catchup)
    print("MAM-OK", flush=True)
    desk.disconnect()
    c.disconnect()
    await asyncio.sleep(0.5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--rounds", type=int, default=500)
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
