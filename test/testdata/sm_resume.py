#!/usr/bin/python3
"""An independent XEP-0198 client (slixmpp's xep_0198 plugin) for test/sm_test.go.

It logs in, enables resumable stream management, sends a message to the demo echo
contact and loses its connection at once (no </stream:stream>). Two seconds later it
connects again, resumes the session and must get echo's answer exactly once, then a
second echo on the resumed stream. It prints RESUMED-OK and exits 0 on success.
The password comes from the SM_PASSWORD environment variable, never the command line.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

import slixmpp

ECHO = "echo@localhost"


class Phone(slixmpp.ClientXMPP):
    def __init__(self, jid, password, port, ca):
        super().__init__(jid, password)
        self.port = port
        self.ssl_context = ssl.create_default_context(cafile=ca)
        self.register_plugin("xep_0198")
        self.echoes = {}
        self.sessions = 0
        self.resumed = asyncio.Event()
        self.got = asyncio.Event()
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("session_resumed", lambda _: self.resumed.set())
        self.add_event_handler("message", self.on_message)

    def on_message(self, msg):
        if msg["from"].bare == ECHO and msg["type"] != "error" and msg["body"]:
            body = msg["body"]
            self.echoes[body] = self.echoes.get(body, 0) + 1
            self.got.set()

    async def on_start(self, _):
        self.sessions += 1
        self.send_presence()

    def dial(self):
        return self.connect(("127.0.0.1", self.port), force_starttls=True)


async def wait_for(cond, timeout, what):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise SystemExit("timed out waiting for " + what)
        await asyncio.sleep(0.05)


async def run(args):
    c = Phone(args.jid, os.environ["SM_PASSWORD"], args.port, args.ca)
    c.dial()
    sm = c.plugin["xep_0198"]
    await wait_for(lambda: c.sessions == 1 and getattr(sm, "sm_id", None), 60, "session with SM")
    c.send_message(mto=ECHO, mbody="in flight", mtype="chat")
    # slixmpp clears its own unacknowledged queue when it sends <resume/>, so the server
    # must have the message before the connection is lost; the answer is then in flight.
    seq = sm.seq
    sm.request_ack()
    await wait_for(lambda: sm.last_ack == seq, 30, "the server's ack of the message")
    c.transport.abort()  # the phone loses its connection before the answer
    await wait_for(lambda: c.transport is None, 30, "disconnect")
    await asyncio.sleep(2)
    c.dial()
    await asyncio.wait_for(c.resumed.wait(), 60)
    await wait_for(lambda: c.echoes.get("in flight", 0) >= 1, 60, "echo of the in-flight message")
    c.send_message(mto=ECHO, mbody="after resume", mtype="chat")
    await wait_for(lambda: c.echoes.get("after resume", 0) >= 1, 60, "echo after resume")
    await asyncio.sleep(1)
    if c.echoes.get("in flight") != 1:
        raise SystemExit("in-flight echo arrived %s times" % c.echoes.get("in flight"))
    if c.sessions != 1:
        raise SystemExit("a new session started instead of a resumption")
    print("RESUMED-OK", flush=True)
    c.disconnect()
    await asyncio.sleep(0.5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
