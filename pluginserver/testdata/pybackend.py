#!/usr/bin/python3
"""A Spectrum 2 backend in Python, for pluginserver's tests: proof that a foreign backend
works through the external-backend path.

argv: --host H --port P --service.backend_id=N CONFIG (spec 2.2). The module pbnetwork_pb2
is generated at test time by protoc next to this script. The INI file must name
service.jid. Like Spectrum 2's Python helper (NetworkPlugin.py) it sends BACKEND_CONFIG
one key per frame, answers PING with PONG then STATS, and exits on EXIT.
"""
import os
import socket
import struct
import sys

import pbnetwork_pb2 as pb


def parse_args(argv):
    opts, rest, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a in ("--host", "--port") and i + 1 < len(argv):
            opts[a[2:]] = argv[i + 1]
            i += 2
            continue
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            opts[k] = v
        else:
            rest.append(a)
        i += 1
    return opts, rest[-1]


def read_ini(path):
    values, section = {}, ""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
            elif "=" in line:
                k, v = line.split("=", 1)
                values[section + "." + k.strip()] = v.strip()
    return values


def send(sock, typ, payload=None):
    w = pb.WrapperMessage()
    w.type = typ
    if payload is not None:
        w.payload = payload.SerializeToString()
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


def handle(sock, w):
    T = pb.WrapperMessage
    if w.type == T.TYPE_PING:
        send(sock, T.TYPE_PONG)
        st = pb.Stats(res=2000, init_res=2000, shared=100, id=str(os.getpid()))
        send(sock, T.TYPE_STATS, st)
    elif w.type == T.TYPE_LOGIN:
        login = pb.Login()
        login.ParseFromString(w.payload)
        print("python backend: LOGIN", login.user, file=sys.stderr, flush=True)
        send(sock, T.TYPE_CONNECTED, pb.Connected(user=login.user))
    elif w.type == T.TYPE_CONV_MESSAGE:
        msg = pb.ConversationMessage()
        msg.ParseFromString(w.payload)
        send(sock, T.TYPE_CONV_MESSAGE, msg)
    elif w.type == T.TYPE_EXIT:
        sys.exit(0)


def main():
    opts, config = parse_args(sys.argv[1:])
    ini = read_ini(config)
    if not ini.get("service.jid"):
        print("python backend: no service.jid in " + config, file=sys.stderr)
        sys.exit(3)
    sock = socket.create_connection((opts["host"], int(opts["port"])))
    for text in ("[features]\nmuc = 1\n", "[features]\nrawxml = 0\n",
                 "[registration]\nneedPassword = 0\n"):
        send(sock, pb.WrapperMessage.TYPE_BACKEND_CONFIG, pb.BackendConfig(config=text))
    print("python backend %s connected for %s" % (opts.get("service.backend_id"), ini["service.jid"]),
          file=sys.stderr, flush=True)
    while True:
        (n,) = struct.unpack("!I", read_exact(sock, 4))
        w = pb.WrapperMessage()
        w.ParseFromString(read_exact(sock, n))
        handle(sock, w)


if __name__ == "__main__":
    main()
