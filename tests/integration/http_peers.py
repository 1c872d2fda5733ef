#!/usr/bin/env python3
"""Small HTTP/1.1 servers the HTTP integration tests run in server namespaces,
for what nginx does not do out of the box:

    http_peers.py sink --address A --port P
        reads each request body (Content-Length or chunked) and answers with
        its size and SHA-256: "bytes=N sha256=HEX"; keep-alive.
    http_peers.py slow --address A --port P --bytes N --seconds S
        answers every request with N bytes (byte i is i % 251) spread evenly
        over S seconds: a slow server.

Each serves until killed; the lab's down() kills whatever runs in its namespaces.
"""

import argparse
import hashlib
import socket
import socketserver
import sys
import time


def read_line(f) -> bytes:
    line = f.readline(65537)
    if not line:
        raise EOFError
    return line


def read_head(f):
    request_line = read_line(f)
    headers = {}
    while True:
        line = read_line(f)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return request_line, headers


def body_chunks(f, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(read_line(f).split(b";")[0].strip(), 16)
            if size == 0:
                while read_line(f) not in (b"\r\n", b"\n"):
                    pass
                return
            left = size
            while left:
                piece = f.read(min(left, 1 << 20))
                if not piece:
                    raise EOFError
                left -= len(piece)
                yield piece
            read_line(f)
    else:
        left = int(headers.get("content-length", "0"))
        while left:
            piece = f.read(min(left, 1 << 20))
            if not piece:
                raise EOFError
            left -= len(piece)
            yield piece


class Handler(socketserver.StreamRequestHandler):
    mode = "sink"
    total = 0
    seconds = 0.0

    def handle(self):
        try:
            while True:
                _, headers = read_head(self.rfile)
                if self.mode == "sink":
                    digest = hashlib.sha256()
                    size = 0
                    for piece in body_chunks(self.rfile, headers):
                        digest.update(piece)
                        size += len(piece)
                    body = f"bytes={size} sha256={digest.hexdigest()}\n".encode()
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                    self.wfile.flush()
                else:
                    for _ in body_chunks(self.rfile, headers):
                        pass
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % self.total)
                    self.wfile.flush()
                    pattern = bytes(i % 251 for i in range(251 * 64))
                    steps = 20
                    sent = 0
                    for step in range(steps):
                        want = self.total * (step + 1) // steps - sent
                        while want:
                            offset = sent % 251
                            piece = pattern[offset:offset + min(want, len(pattern) - 251)]
                            self.wfile.write(piece)
                            sent += len(piece)
                            want -= len(piece)
                        self.wfile.flush()
                        time.sleep(self.seconds / steps)
                if headers.get("connection", "").lower() == "close":
                    return
        except (EOFError, ConnectionError, ValueError):
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sink", "slow"])
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bytes", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=0.0)
    args = ap.parse_args()
    Handler.mode = args.mode
    Handler.total = args.bytes
    Handler.seconds = args.seconds
    with Server((args.address, args.port), Handler) as server:
        print("ready", flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
