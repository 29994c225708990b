#!/usr/bin/python3
"""An independent XEP-0363 client (slixmpp's xep_0363 plugin) for test/upload_test.go.

It logs in, finds the upload service through disco (disco#items of the domain, then
disco#info with the store/file identity and the max-file-size form), asks for a slot,
PUTs the file over HTTPS (aiohttp, trusting the daemon's certificate through
SSL_CERT_FILE) and prints "URL <get url>". The password comes from UPLOAD_PASSWORD.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

import slixmpp


class Uploader(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca):
        super().__init__(jid, password)
        self.ssl_context = ssl.create_default_context(cafile=ca)
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0363")
        self.started = asyncio.Event()
        self.add_event_handler("session_start", self.on_start)

    async def on_start(self, _):
        self.send_presence()
        self.started.set()


NS = "urn:xmpp:http:upload:0"


async def find_service(c):
    items = await c["xep_0030"].get_items(jid=c.boundjid.domain, timeout=30)
    for jid, _node, _name in items["disco_items"]["items"]:
        info = await c["xep_0030"].get_info(jid=jid, timeout=30)
        di = info["disco_info"]
        if any(i[0] == "store" and i[1] == "file" for i in di["identities"]) and NS in di["features"]:
            up = c["xep_0363"]
            up.upload_service = info["from"]
            for form in di.iterables:
                values = form["values"]
                if values["FORM_TYPE"] == [NS]:
                    up.max_file_size = int(values["max-file-size"])
            return
    raise SystemExit("no upload service in disco#items of " + c.boundjid.domain)


async def run(args):
    c = Uploader(args.jid, os.environ["UPLOAD_PASSWORD"], args.ca)
    c.connect(("127.0.0.1", args.port), force_starttls=True)
    await asyncio.wait_for(c.started.wait(), 60)
    await find_service(c)
    url = await c["xep_0363"].upload_file(args.file, content_type=args.type, timeout=60)
    print("MAX", c["xep_0363"].max_file_size, flush=True)
    print("URL", url, flush=True)
    c.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--type", default="image/png")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    asyncio.run(asyncio.wait_for(run(args), 120))


if __name__ == "__main__":
    main()
