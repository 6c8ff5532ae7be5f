#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A man in the middle for the zccp stream tests: accepts one connection
on 127.0.0.1:PORT, connects to TARGET (HOST:PORT) and passes bytes both
ways, changing what the options say on the way.

  --flip N        flip one bit of the sender's byte N (0: the first)
  --flip-reply N  the same for the receiver's byte N
  --cut N         pass the sender's first N bytes, then hang up both ways
  --record FILE   keep every byte the sender sent in FILE
"""
import argparse
import selectors
import socket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("target")
    ap.add_argument("--flip", type=int)
    ap.add_argument("--flip-reply", type=int)
    ap.add_argument("--cut", type=int)
    ap.add_argument("--record")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    lsn = socket.create_server(("127.0.0.1", a.port))
    client, _ = lsn.accept()
    lsn.close()
    server = socket.create_connection((host, int(port)))
    record = open(a.record, "wb") if a.record else None
    # per direction: where the bytes go, how many passed, which to flip
    ways = {client: [server, 0, a.flip, a.cut],
            server: [client, 0, a.flip_reply, None]}
    sel = selectors.DefaultSelector()
    for s in ways:
        sel.register(s, selectors.EVENT_READ)
    open_ways = 2
    while open_ways:
        for key, _ in sel.select():
            src = key.fileobj
            dst, done, flip, cut = ways[src]
            try:
                data = bytearray(src.recv(65536))
            except OSError:
                data = bytearray()
            if cut is not None and done + len(data) >= cut:
                data = data[:cut - done]
            if flip is not None and done <= flip < done + len(data):
                data[flip - done] ^= 0x10
            if record and src is client:
                record.write(data)
            try:
                dst.sendall(data)
            except OSError:
                pass
            ways[src][1] = done + len(data)
            if cut is not None and ways[src][1] >= cut:
                return
            if not data:
                sel.unregister(src)
                open_ways -= 1
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass


if __name__ == "__main__":
    main()
