#!/usr/bin/python3
"""A Spectrum 2 backend in Python that speaks raw XML (features.rawxml=1), for the trust
tests of issue 18 (test/rawxml_test.go). One user per backend (users_per_backend = 1).

argv: --host H --port P --service.backend_id=N CONFIG (spec 2.2). The module pbnetwork_pb2
is generated at test time by protoc next to this script. A client message whose body is
"spoof" makes it send, as RAW_XML: a message to bob%legacy.net@localhost (a user it does
not serve), one to its own user from eve@elsewhere.net (not of the user's legacy side),
and one to its own user from x@legacy.net with the body "sentinel". A body "ping" is
answered from x@legacy.net with "pong". A body "iq" makes it send an IQ get from
x@legacy.net/pc and then a chat from x@legacy.net (for the blocking test, which blocked x);
the answer to the IQ is reported from y@legacy.net: "iq refused" for service-unavailable.
"""
import os
import socket
import struct
import sys

import pbnetwork_pb2 as pb

T = pb.WrapperMessage
user = None


def send(sock, typ, payload=None, raw=None):
    w = pb.WrapperMessage()
    w.type = typ
    if payload is not None:
        w.payload = payload.SerializeToString()
    if raw is not None:
        w.payload = raw.encode()
    data = w.SerializeToString()
    sock.sendall(struct.pack("!I", len(data)) + data)


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            sys.exit(0)
        buf += chunk
    return buf


def chat(to, frm, body):
    return "<message to='%s' from='%s' type='chat'><body>%s</body></message>" % (to, frm, body)


def handle(sock, w):
    global user
    if w.type == T.TYPE_PING:
        send(sock, T.TYPE_PONG)
        send(sock, T.TYPE_STATS, pb.Stats(res=2000, init_res=2000, shared=100, id=str(os.getpid())))
    elif w.type == T.TYPE_LOGIN:
        login = pb.Login()
        login.ParseFromString(w.payload)
        user = login.user
        send(sock, T.TYPE_CONNECTED, pb.Connected(user=login.user))
    elif w.type == T.TYPE_RAW_XML and user:
        text = w.payload.decode()
        if "<body>spoof</body>" in text:
            send(sock, T.TYPE_RAW_XML, raw=chat("bob%legacy.net@localhost", "x@legacy.net", "to bob"))
            send(sock, T.TYPE_RAW_XML, raw=chat(user, "eve@elsewhere.net", "foreign from"))
            send(sock, T.TYPE_RAW_XML, raw=chat(user, "x@legacy.net", "sentinel"))
        elif "<body>iq</body>" in text:
            send(sock, T.TYPE_RAW_XML, raw="<iq type='get' id='v1' to='%s' from='x@legacy.net/pc'>"
                 "<query xmlns='jabber:iq:version'/></iq>" % user)
            send(sock, T.TYPE_RAW_XML, raw=chat(user, "x@legacy.net", "from the blocked one"))
        elif "id=\"v1\"" in text and "service-unavailable" in text and "x@legacy.net/pc" in text:
            send(sock, T.TYPE_RAW_XML, raw=chat(user, "y@legacy.net", "iq refused"))
        elif "<body>ping</body>" in text:
            send(sock, T.TYPE_RAW_XML, raw=chat(user, "x@legacy.net", "pong"))
    elif w.type == T.TYPE_EXIT:
        sys.exit(0)


def main():
    args = sys.argv[1:]
    host, port = args[args.index("--host") + 1], int(args[args.index("--port") + 1])
    sock = socket.create_connection((host, port))
    send(sock, T.TYPE_BACKEND_CONFIG, pb.BackendConfig(config="[features]\nrawxml = 1\n"))
    while True:
        (n,) = struct.unpack("!I", read_exact(sock, 4))
        w = pb.WrapperMessage()
        w.ParseFromString(read_exact(sock, n))
        handle(sock, w)


if __name__ == "__main__":
    main()
