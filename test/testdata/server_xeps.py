#!/usr/bin/python3
"""An independent client for test/serverxeps_test.go, on slixmpp's own plugins.

It logs in and checks, against the server: blocking (xep_0191: block, the list, unblock,
the push of a block made by this client), entity time (xep_0202), last activity as the
server's uptime (xep_0012), the server's disco#info with the contact addresses of
XEP-0157 (xep_0128), and that the <c/> in the stream features is the XEP-0115 hash of
that disco#info (xep_0115's own generate_verstring). It prints SERVER-XEPS-OK and exits
0 on success. The password comes from the XEPS_PASSWORD environment variable.
"""
import argparse
import asyncio
import datetime
import logging
import os
import ssl
import sys

import slixmpp

DOMAIN = "localhost"
CONTACT = "echo@localhost"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, port, ca):
        super().__init__(jid, password)
        self.port = port
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in ("xep_0030", "xep_0115", "xep_0128", "xep_0191", "xep_0202", "xep_0012"):
            self.register_plugin(p)
        self.caps_ver = None
        self.pushed = asyncio.Event()
        self.failures = []
        self.done = asyncio.Event()
        self.add_event_handler("entity_caps", self.on_caps)
        self.add_event_handler("blocked", lambda _: self.pushed.set())
        self.add_event_handler("session_start", self.on_start)

    def on_caps(self, p):
        if p["from"].bare == DOMAIN:
            self.caps_ver = p["caps"]["ver"]

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("FAIL:", what)

    async def on_start(self, _):
        try:
            await self.run_checks()
        except Exception as e:  # an IQ error or a timeout is a failure, not a hang
            self.failures.append(repr(e))
            print("FAIL:", repr(e))
        self.done.set()

    async def run_checks(self):
        self.send_presence()
        blocked = await self["xep_0191"].get_blocked(timeout=30)
        self.check(len(blocked["blocklist"]["items"]) == 0, "blocklist not empty at first: %s" % blocked)
        await self["xep_0191"].block([CONTACT], timeout=30)
        await asyncio.wait_for(self.pushed.wait(), 30)
        blocked = await self["xep_0191"].get_blocked(timeout=30)
        items = {str(j) for j in blocked["blocklist"]["items"]}
        self.check(items == {CONTACT}, "blocklist after block: %s" % items)
        await self["xep_0191"].unblock([CONTACT], timeout=30)
        blocked = await self["xep_0191"].get_blocked(timeout=30)
        self.check(len(blocked["blocklist"]["items"]) == 0, "blocklist after unblock: %s" % blocked)

        t = await self["xep_0202"].get_entity_time(DOMAIN, timeout=30)
        # slixmpp's get_utc appends a Z to the text, which XEP-0202 already ends with.
        text = t["entity_time"].xml.find("{urn:xmpp:time}utc").text
        self.check(text.endswith("Z"), "utc %r is not in UTC" % text)
        utc = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        skew = abs((utc - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
        self.check(skew < 300, "entity time %s is %d s off" % (utc, skew))

        last = await self["xep_0012"].get_last_activity(DOMAIN, timeout=30)
        secs = int(last["last_activity"]["seconds"])
        self.check(0 <= secs < 600, "uptime %d s" % secs)

        info = await self["xep_0030"].get_info(DOMAIN, timeout=30)
        feats = set(info["disco_info"]["features"])
        for f in ("urn:xmpp:blocking", "urn:xmpp:time", "jabber:iq:last"):
            self.check(f in feats, "server disco#info lacks " + f)
        forms = [f for f in info["disco_info"].iterables if f.name == "x"]
        values = {}
        for form in forms:
            values.update(form.get_values())
        self.check(values.get("FORM_TYPE") in ("http://jabber.org/network/serverinfo", ["http://jabber.org/network/serverinfo"]),
                   "no serverinfo form: %s" % values)
        self.check(values.get("abuse-addresses") == ["mailto:abuse@localhost", "xmpp:abuse@localhost"],
                   "abuse-addresses: %s" % values.get("abuse-addresses"))
        self.check(values.get("support-addresses") == ["https://localhost/help"],
                   "support-addresses: %s" % values.get("support-addresses"))
        ver = self["xep_0115"].generate_verstring(info["disco_info"], "sha-1")
        self.check(self.caps_ver is not None, "no <c/> in the stream features")
        self.check(ver == self.caps_ver, "caps ver %s in the stream features, disco#info hashes to %s" % (self.caps_ver, ver))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--debug", action="store_true")
    a = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.WARNING, stream=sys.stdout)
    c = Client(a.jid, os.environ["XEPS_PASSWORD"], a.port, a.ca)
    c.connect(("127.0.0.1", a.port), force_starttls=True)
    await asyncio.wait_for(c.done.wait(), 90)
    c.disconnect()
    if c.failures:
        sys.exit(1)
    print("SERVER-XEPS-OK")


if __name__ == "__main__":
    asyncio.run(main())
