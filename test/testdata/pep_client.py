#!/usr/bin/python3
"""An independent client for test/pep_slix_test.go, on slixmpp's own plugins.

Two resources of one account log in: "desk" says in its caps (xep_0115, xep_0163
add_interest) that it wants Bookmarks 2 and the avatar metadata, "phone" acts. The
phone checks the account's disco#info (pubsub/pep), publishes with publish-options
(xep_0223 store: persistent, whitelist) and reads it back (xep_0060), stores XEP-0048
bookmarks through private XML storage (xep_0048 over xep_0049) and finds them on the
Bookmarks 2 node, which slixmpp 1.8.3 has no plugin for (xep_0402 is missing: raw XML),
publishes a Bookmarks 2 item that the desk is notified of, publishes an avatar
(xep_0084) that the desk is notified of, and sets a vCard avatar (xep_0153) that shows
on the XEP-0084 nodes (XEP-0398). It prints PEP-SLIX-OK and exits 0 on success. The
password comes from the PEP_PASSWORD environment variable.
"""
import argparse
import asyncio
import hashlib
import logging
import os
import ssl
import sys

import slixmpp
from slixmpp.xmlstream import ET as SET

BM2 = "urn:xmpp:bookmarks:1"
META = "urn:xmpp:avatar:metadata"
PLUGINS = ("xep_0030", "xep_0004", "xep_0060", "xep_0115", "xep_0163", "xep_0223",
           "xep_0048", "xep_0049", "xep_0084", "xep_0153", "xep_0054")


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca, interests=()):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in PLUGINS:
            self.register_plugin(p)
        self.interests = interests
        self.events = asyncio.Queue()
        self.started = asyncio.Event()
        self.add_event_handler("pubsub_publish", lambda m: self.events.put_nowait(m))
        self.add_event_handler("session_start", self.on_start)

    async def on_start(self, _):
        for ns in self.interests:
            self["xep_0163"].add_interest(ns)
        await self["xep_0115"].update_caps()
        self.send_presence()
        self.started.set()

    async def notified(self, node, want):
        """The next notification of node whose XML contains want."""
        while True:
            m = await asyncio.wait_for(self.events.get(), 30)
            if m["pubsub_event"]["items"]["node"] == node and want in str(m):
                return m


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("FAIL:", what)


async def run(desk, phone, c):
    me = phone.boundjid.bare
    info = await phone["xep_0030"].get_info(jid=me, timeout=30)
    ids = {(i[0], i[1]) for i in info["disco_info"]["identities"]}
    c.check(("pubsub", "pep") in ids and ("account", "registered") in ids, "account identities: %s" % ids)
    c.check("http://jabber.org/protocol/pubsub#publish-options" in info["disco_info"]["features"], "no publish-options")

    # xep_0223: persistent, whitelist publish-options; xep_0060: read it back.
    from slixmpp.xmlstream import ElementBase

    class Note(ElementBase):
        namespace, name, plugin_attrib = "urn:test:notes", "note", "note"
        interfaces = {"text"}
        sub_interfaces = set()
    n = Note()
    n.xml.text = "private"
    await phone["xep_0223"].store(n, node="urn:test:notes", id="n1", timeout=30)
    got = await phone["xep_0060"].get_item(me, "urn:test:notes", "n1", timeout=30)
    c.check("private" in str(got), "xep_0223 item read back: %s" % got)
    cfg = await phone["xep_0060"].get_node_config(me, "urn:test:notes", timeout=30)
    c.check(cfg["pubsub_owner"]["configure"]["form"].get_values().get("pubsub#access_model") == "whitelist",
            "access model after xep_0223: %s" % cfg)

    # xep_0048 through private XML storage (xep_0049), seen on the Bookmarks 2 node.
    bm = slixmpp.plugins.xep_0048.stanza.Bookmarks()
    bm.add_conference("old@conf.localhost", "al", name="Old Room", autojoin=True)
    await phone["xep_0048"].set_bookmarks(bm, method="xep_0049", timeout=30)
    back = await phone["xep_0048"].get_bookmarks(method="xep_0049", timeout=30)
    c.check("old@conf.localhost" in str(back), "xep_0048 bookmarks read back: %s" % back)
    ev = await desk.notified(BM2, "old@conf.localhost")
    c.check("Old Room" in str(ev), "desk's Bookmarks 2 notification of the private-XML set: %s" % ev)
    items = await phone["xep_0060"].get_items(me, BM2, timeout=30)
    c.check("old@conf.localhost" in str(items), "Bookmarks 2 node after xep_0048: %s" % items)

    # Bookmarks 2 (XEP-0402) as raw XML: the old path sees it.
    iq = phone.make_iq_set()
    iq.append(SET.fromstring(
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:bookmarks:1'>"
        "<item id='new@conf.localhost'><conference xmlns='urn:xmpp:bookmarks:1' name='New Room' autojoin='true'>"
        "<nick>al</nick></conference></item></publish><publish-options><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
        "<field var='pubsub#persist_items'><value>true</value></field>"
        "<field var='pubsub#access_model'><value>whitelist</value></field>"
        "<field var='pubsub#max_items'><value>max</value></field></x></publish-options></pubsub>"))
    await iq.send(timeout=30)
    await desk.notified(BM2, "new@conf.localhost")
    back = await phone["xep_0048"].get_bookmarks(method="xep_0049", timeout=30)
    c.check("new@conf.localhost" in str(back) and "old@conf.localhost" in str(back),
            "xep_0048 view of a Bookmarks 2 publish: %s" % back)

    # xep_0084: data and metadata; the desk hears of the metadata.
    img = b"\x89PNG\r\n\x1a\nslixmpp avatar"
    aid = hashlib.sha1(img).hexdigest()
    await phone["xep_0084"].publish_avatar(img, timeout=30)
    await phone["xep_0084"].publish_avatar_metadata(
        [{"id": aid, "type": "image/png", "bytes": len(img)}], timeout=30)
    await desk.notified(META, aid)
    data = await desk["xep_0084"].retrieve_avatar(me, aid, timeout=30)
    c.check(data["pubsub"]["items"]["item"]["avatar_data"]["value"] == img, "xep_0084 data: %s" % data)

    # xep_0153: a vCard avatar becomes the XEP-0084 avatar (XEP-0398).
    img2 = b"\x89PNG\r\n\x1a\nvcard avatar"
    await phone["xep_0153"].set_avatar(avatar=img2, mtype="image/png", timeout=30)
    ev = await desk.notified(META, hashlib.sha1(img2).hexdigest())
    c.check(str(len(img2)) in str(ev), "metadata of the vCard avatar: %s" % ev)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--debug", action="store_true")
    a = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if a.debug else logging.WARNING, stream=sys.stdout)
    pw = os.environ["PEP_PASSWORD"]
    desk = Client(a.jid + "/desk", pw, a.ca, interests=(BM2, META))
    phone = Client(a.jid + "/phone", pw, a.ca)
    c = Checks()
    for cl in (desk, phone):
        cl.connect(("127.0.0.1", a.port), force_starttls=True)
        await asyncio.wait_for(cl.started.wait(), 60)
    try:
        await asyncio.wait_for(run(desk, phone, c), 120)
    except Exception as e:  # an IQ error or a timeout is a failure, not a hang
        c.check(False, repr(e))
    for cl in (desk, phone):
        cl.disconnect()
    if c.failures:
        sys.exit(1)
    print("PEP-SLIX-OK")


if __name__ == "__main__":
    asyncio.run(main())
