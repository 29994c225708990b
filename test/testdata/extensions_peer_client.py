#!/usr/bin/python3
"""A slixmpp client driven line by line for test/extensions_peer_slix_test.go (issue 24).

It reads JSON commands on stdin (msg, correct, react, reply, retract, displayed), sends
them with slixmpp's xep_0308, xep_0444, xep_0461, xep_0424 and xep_0333 plugins, and
writes one JSON line per event those plugins fire (message_correction, reactions,
message_reply, message_retract, marker_displayed), per message with a body (message) and
per available presence, so that the Go test on the other side checks the ids. It prints
READY once the session has started; the password comes from EXT_PASSWORD.
"""
import argparse
import asyncio
import json
import logging
import os
import ssl
import sys

import slixmpp


def out(**kw):
    print(json.dumps(kw, ensure_ascii=False), flush=True)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca)
        for p in ("xep_0030", "xep_0308", "xep_0444", "xep_0424", "xep_0461", "xep_0334", "xep_0428",
                  "xep_0359", "xep_0333"):
            self.register_plugin(p)
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("presence_available",
                               lambda p: out(ev="presence", frm=str(p["from"])))
        self.add_event_handler("message", lambda m: out(ev="message", frm=str(m["from"]), id=m["id"], body=m["body"]))
        self.add_event_handler("message_correction",
                               lambda m: out(ev="message_correction", frm=str(m["from"]), id=m["id"],
                                             ref=m["replace"]["id"], body=m["body"]))
        self.add_event_handler("reactions",
                               lambda m: out(ev="reactions", frm=str(m["from"]), id=m["id"],
                                             ref=m["reactions"]["id"], values=sorted(m["reactions"]["values"])))
        self.add_event_handler("message_reply",
                               lambda m: out(ev="message_reply", frm=str(m["from"]), id=m["id"],
                                             ref=m["reply"]["id"], to=str(m["reply"]["to"]), body=m["body"]))
        self.add_event_handler("message_retract",
                               lambda m: out(ev="message_retract", frm=str(m["from"]), id=m["id"],
                                             ref=m["apply_to"]["id"]))
        self.add_event_handler("marker_displayed",
                               lambda m: out(ev="marker_displayed", frm=str(m["from"]), id=m["id"],
                                             ref=m["displayed"]["id"]))
        self.add_event_handler("disconnected", lambda _: out(ev="disconnected"))

    async def on_start(self, _):
        self.send_presence()
        await self.get_roster()
        out(ev="READY")

    def command(self, c):
        op, to = c["op"], slixmpp.JID(c["to"])
        if op == "msg":
            m = self.make_message(mto=to, mbody=c["body"], mtype="chat")
            m["id"] = c["id"]
            m.send()
        elif op == "correct":
            m = self.make_message(mto=to, mbody=c["body"], mtype="chat")
            m["id"] = c["id"]
            m["replace"]["id"] = c["ref"]
            m.send()
        elif op == "react":
            m = self.make_message(mto=to, mtype="chat")
            m["id"] = c["id"]
            self["xep_0444"].set_reactions(m, c["ref"], c["values"])
            m.enable("store")
            m.send()
        elif op == "reply":
            m = self.make_message(mto=to, mbody=c["body"], mtype="chat")
            m["id"] = c["id"]
            m["reply"]["id"] = c["ref"]
            m["reply"]["to"] = c["reply_to"]
            m.send()
        elif op == "retract":
            self["xep_0424"].send_retraction(to, c["ref"])
        elif op == "displayed":
            self["xep_0333"].send_marker(to, c["ref"], "displayed")
        else:
            out(ev="error", error="unknown op " + op)
            return
        out(ev="sent", op=op)


async def commands(c):
    loop = asyncio.get_event_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if line.strip():
            c.command(json.loads(line))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jid", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    c = Client(args.jid, os.environ["EXT_PASSWORD"], args.ca)
    c.connect(("127.0.0.1", args.port))
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(commands(c))  # until the test closes stdin
    finally:
        c.disconnect()
        loop.run_until_complete(asyncio.sleep(0.5))


if __name__ == "__main__":
    main()
