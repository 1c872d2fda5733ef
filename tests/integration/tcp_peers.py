#!/usr/bin/env python3
"""Kernel-TCP peers for dplb's TCP tests, stdlib only. Use it as a module, or
as a command inside a namespace (`ip netns exec NS python3 tcp_peers.py ...`).
Every command prints JSON on stdout and exits 0 when it did its job, 1 when
it hit an error (the JSON then has an "error" field).

The pattern: byte i of a pattern stream is i % 251 (251 is prime, so a
dropped, doubled or misplaced segment of any usual size shows).

Clients (one connection each unless said otherwise):
  send N HOST PORT         send N pattern bytes, shut down writing, read until
                           EOF: {sent, received, sha256_sent, sha256_received, seconds}
  echo-check N HOST PORT   send N seeded random bytes while reading the echo,
                           shut down writing, read until EOF: {sent, received,
                           sha256_sent, sha256_received, match, first_mismatch, seconds}
  receive HOST PORT        read until EOF: {received, sha256, pattern_ok,
                           first_error, seconds}
  churn COUNT HOST PORT    COUNT short connections one after another: connect,
                           send 16 bytes, read the 16 echoed bytes, close:
                           {ok, failed, seconds, errors}
Server (one JSON line per connection, flushed; "serving ..." on stderr once
listening; runs until killed, --lifetime or --max-connections):
  serve echo PORT          echo everything, shut down writing at the peer's EOF
  serve sink PORT          read until EOF: {received, sha256, pattern_ok, ...}
  serve source N PORT      send N pattern bytes, shut down writing, wait for EOF
Helpers: pattern_sha256(n), pattern_slice(offset, length), PatternChecker.

Every socket operation has a timeout (--timeout, default 120 s without
progress) and every command a deadline (--deadline), so nothing hangs.
"""

import argparse
import hashlib
import json
import random
import selectors
import socket
import sys
import threading
import time

PERIOD = 251
_UNIT = bytes(range(PERIOD))
CHUNK = PERIOD * 255                 # 64005: the largest slice pattern_slice() hands out
_BLOCK = _UNIT * 256                 # any [o, o + CHUNK) with o < 251 lies inside it
_BIG = _UNIT * 4096                  # ~1 MB, a whole number of periods, for hashing
DEFAULT_TIMEOUT = 120.0
DEFAULT_DEADLINE = 900.0
RECV_SIZE = 1 << 18


class PeerError(Exception):
    pass


# --- the pattern --------------------------------------------------------------------------

def pattern_slice(offset: int, length: int) -> bytes:
    """Bytes [offset, offset + length) of the pattern; length <= CHUNK."""
    if length > CHUNK:
        raise ValueError(f"length {length} > {CHUNK}")
    start = offset % PERIOD
    return _BLOCK[start:start + length]


def pattern_sha256(n: int) -> str:
    """sha256 hex digest of the first n pattern bytes (50 MB in about 0.1 s)."""
    h = hashlib.sha256()
    full, rest = divmod(n, len(_BIG))
    for _ in range(full):
        h.update(_BIG)
    h.update(_BIG[:rest])  # len(_BIG) is a multiple of PERIOD: the rest starts at 0
    return h.hexdigest()


class PatternChecker:
    """Checks a byte stream against the pattern, chunk by chunk, and hashes it."""

    def __init__(self):
        self.count = 0
        self.ok = True
        self.first_error = None   # stream offset of the first wrong byte
        self.sha = hashlib.sha256()

    def feed(self, data: bytes) -> None:
        self.sha.update(data)
        if self.ok:
            pos = 0
            while pos < len(data):
                n = min(CHUNK, len(data) - pos)
                got = data[pos:pos + n]
                want = pattern_slice(self.count + pos, n)
                if got != want:
                    i = next(i for i in range(n) if got[i] != want[i])
                    self.ok = False
                    self.first_error = self.count + pos + i
                    break
                pos += n
        self.count += len(data)

    def result(self) -> dict:
        return {"received": self.count, "sha256": self.sha.hexdigest(),
                "pattern_ok": self.ok, "first_error": self.first_error}


def pattern_source(n: int):
    """Yields the first n pattern bytes in chunks."""
    offset = 0
    while offset < n:
        length = min(CHUNK, n - offset)
        yield pattern_slice(offset, length)
        offset += length


def random_source(n: int, seed: int):
    """Yields n seeded random bytes in chunks (the same bytes for the same seed)."""
    rng = random.Random(seed)
    left = n
    while left > 0:
        length = min(65536, left)
        yield rng.randbytes(length)
        left -= length


# --- clients ------------------------------------------------------------------------------

def connect(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def exchange(sock: socket.socket, chunks, on_sent, on_received, timeout: float,
             deadline: float) -> dict:
    """Send every chunk while reading whatever comes back, shut down writing after the
    last one, then read until EOF. With chunks None, only read (and shut nothing down).
    Fails after `timeout` seconds without progress or at `deadline` (time.monotonic())."""
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    writing = chunks is not None
    sel.register(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if writing else 0))
    chunks = iter(chunks or ())
    pending = memoryview(b"")
    sent = received = 0
    eof = False
    progress = time.monotonic()
    try:
        while not eof:
            now = time.monotonic()
            if now - progress > timeout:
                raise PeerError(f"no progress for {timeout:.0f} s (sent {sent}, "
                                f"received {received}, {'sending' if writing else 'draining'})")
            if now > deadline:
                raise PeerError(f"deadline passed (sent {sent}, received {received})")
            for _, mask in sel.select(1.0):
                if mask & selectors.EVENT_READ:
                    try:
                        data = sock.recv(RECV_SIZE)
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        eof = True
                        if writing:
                            raise PeerError(f"peer closed after {sent} bytes sent, "
                                            f"{received} received")
                    elif data:
                        received += len(data)
                        on_received(data)
                        progress = time.monotonic()
                if writing and mask & selectors.EVENT_WRITE:
                    while True:
                        if not pending:
                            chunk = next(chunks, None)
                            if chunk is None:
                                sock.shutdown(socket.SHUT_WR)
                                writing = False
                                sel.modify(sock, selectors.EVENT_READ)
                                break
                            on_sent(chunk)
                            pending = memoryview(chunk)
                        try:
                            n = sock.send(pending)
                        except BlockingIOError:
                            break
                        pending = pending[n:]
                        sent += n
                        progress = time.monotonic()
    finally:
        sel.close()
    return {"sent": sent, "received": received}


def _client(host, port, timeout, deadline_s, chunks, on_sent, on_received) -> dict:
    started = time.monotonic()
    deadline = started + deadline_s
    out = {}
    try:
        with connect(host, port, timeout) as sock:
            out.update(exchange(sock, chunks, on_sent, on_received, timeout, deadline))
    except (OSError, PeerError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def send(n: int, host: str, port: int, timeout=DEFAULT_TIMEOUT, deadline=DEFAULT_DEADLINE) -> dict:
    """Send n pattern bytes, shut down writing, read until EOF."""
    sent_sha, recv_sha = hashlib.sha256(), hashlib.sha256()
    out = _client(host, port, timeout, deadline, pattern_source(n), sent_sha.update,
                  recv_sha.update)
    out.setdefault("sent", 0)
    out.setdefault("received", 0)
    out.update(sha256_sent=sent_sha.hexdigest(), sha256_received=recv_sha.hexdigest())
    return out


class _EchoMatcher:
    """Compares the echo with what was sent, keeping only the bytes not yet echoed."""

    def __init__(self):
        self.sent_sha, self.recv_sha = hashlib.sha256(), hashlib.sha256()
        self.outstanding = bytearray()
        self.matched = 0
        self.first_mismatch = None

    def on_sent(self, chunk):
        self.sent_sha.update(chunk)
        if self.first_mismatch is None:
            self.outstanding += chunk

    def on_received(self, data):
        self.recv_sha.update(data)
        if self.first_mismatch is not None:
            return
        n = min(len(data), len(self.outstanding))
        if data[:n] != self.outstanding[:n] or len(data) > len(self.outstanding):
            i = next((i for i in range(n) if data[i] != self.outstanding[i]), n)
            self.first_mismatch = self.matched + i
            self.outstanding = bytearray()
            return
        del self.outstanding[:n]
        self.matched += n


def echo_check(n: int, host: str, port: int, seed: int = 1, timeout=DEFAULT_TIMEOUT,
               deadline=DEFAULT_DEADLINE) -> dict:
    """Send n seeded random bytes to an echo service while reading the echo."""
    m = _EchoMatcher()
    out = _client(host, port, timeout, deadline, random_source(n, seed), m.on_sent,
                  m.on_received)
    out.setdefault("sent", 0)
    out.setdefault("received", 0)
    out.update(sha256_sent=m.sent_sha.hexdigest(), sha256_received=m.recv_sha.hexdigest(),
               first_mismatch=m.first_mismatch)
    out["match"] = (out["sent"] == n and out["received"] == n
                    and out["sha256_sent"] == out["sha256_received"] and "error" not in out)
    return out


def receive(host: str, port: int, timeout=DEFAULT_TIMEOUT, deadline=DEFAULT_DEADLINE) -> dict:
    """Read until EOF, checking the bytes against the pattern."""
    checker = PatternChecker()
    out = _client(host, port, timeout, deadline, None, None, checker.feed)
    out.pop("sent", None)
    out.pop("received", None)
    out.update(checker.result())
    return out


def churn(count: int, host: str, port: int, timeout: float = 10.0,
          deadline=DEFAULT_DEADLINE) -> dict:
    """count short echo connections one after another."""
    started = time.monotonic()
    ok = failed = 0
    errors = []
    for i in range(count):
        if time.monotonic() - started > deadline:
            failed += count - i
            errors.append(f"deadline passed after {i} connections")
            break
        message = b"churn%011d" % i   # 16 bytes, different every time
        try:
            with connect(host, port, timeout) as sock:
                sock.sendall(message)
                got = b""
                while len(got) < len(message):
                    data = sock.recv(len(message) - len(got))
                    if not data:
                        raise PeerError(f"EOF after {len(got)} of {len(message)} bytes")
                    got += data
                if got != message:
                    raise PeerError(f"echo {got!r} != {message!r}")
            ok += 1
        except (OSError, PeerError) as e:
            failed += 1
            if len(errors) < 10:
                errors.append(f"connection {i}: {type(e).__name__}: {e}")
    return {"ok": ok, "failed": failed, "seconds": round(time.monotonic() - started, 3),
            "errors": errors}


# --- server -------------------------------------------------------------------------------

_print_lock = threading.Lock()


def _emit(record: dict, stream=None) -> None:
    with _print_lock:
        print(json.dumps(record), file=stream or sys.stdout, flush=True)


class _Counter:
    """Counts and hashes the bytes it is called with."""

    def __init__(self):
        self.count = 0
        self.sha = hashlib.sha256()

    def __call__(self, data):
        self.count += len(data)
        self.sha.update(data)


def _read_to_eof(conn, deadline, on_data) -> None:
    while True:
        if time.monotonic() > deadline:
            raise PeerError("deadline passed while reading")
        data = conn.recv(RECV_SIZE)
        if not data:
            return
        on_data(data)


def _serve_one(mode: str, n: int, conn: socket.socket, peer, timeout: float,
               deadline_s: float) -> dict:
    started = time.monotonic()
    deadline = started + deadline_s
    out = {"mode": mode, "peer": f"{peer[0]}:{peer[1]}"}
    conn.settimeout(timeout)
    try:
        if mode == "sink":
            checker = PatternChecker()
            _read_to_eof(conn, deadline, checker.feed)
            out.update(checker.result())
        elif mode == "echo":
            counter = _Counter()

            def echo(data):
                counter(data)
                conn.sendall(data)
            _read_to_eof(conn, deadline, echo)
            conn.shutdown(socket.SHUT_WR)
            out.update(received=counter.count, sent=counter.count,
                       sha256=counter.sha.hexdigest())
        else:  # source
            sha = hashlib.sha256()
            sent = 0
            for chunk in pattern_source(n):
                if time.monotonic() > deadline:
                    raise PeerError(f"deadline passed after {sent} bytes")
                conn.sendall(chunk)
                sha.update(chunk)
                sent += len(chunk)
            conn.shutdown(socket.SHUT_WR)
            out.update(sent=sent, sha256_sent=sha.hexdigest())
            # Wait for the peer's FIN, so the close is orderly and its outcome known.
            counter = _Counter()
            _read_to_eof(conn, deadline, counter)
            out.update(received=counter.count, peer_closed=True)
    except (OSError, PeerError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        conn.close()
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def serve(mode: str, port: int, n: int = 0, host: str = "0.0.0.0", timeout=DEFAULT_TIMEOUT,
          deadline=DEFAULT_DEADLINE, lifetime: float = 3600.0, max_connections: int = 0) -> int:
    """Accept connections until killed, `lifetime` seconds pass, or max_connections
    connections (0: no limit) have finished; one thread and one JSON line each."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    listener.settimeout(1.0)
    print(f"tcp_peers: serving {mode} on {host}:{port}", file=sys.stderr, flush=True)
    end = time.monotonic() + lifetime
    threads = []
    accepted = 0

    def handle(conn, peer):
        _emit(_serve_one(mode, n, conn, peer, timeout, deadline))

    while time.monotonic() < end and (max_connections == 0 or accepted < max_connections):
        try:
            conn, peer = listener.accept()
        except socket.timeout:
            continue
        accepted += 1
        t = threading.Thread(target=handle, args=(conn, peer), daemon=True)
        t.start()
        threads.append(t)
    listener.close()
    for t in threads:
        t.join(max(0.0, end - time.monotonic()) if max_connections == 0 else deadline)
    return 0


# --- command line -------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds without progress before giving up (default 120)")
    ap.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE,
                    help="seconds one command (or one served connection) may take in all")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("send")
    p.add_argument("bytes", type=int)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p = sub.add_parser("echo-check")
    p.add_argument("bytes", type=int)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("receive")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--expect", type=int, help="fail unless exactly this many bytes arrive")
    p = sub.add_parser("churn")
    p.add_argument("count", type=int)
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds for each connection (default 10)")
    p = sub.add_parser("serve")
    p.add_argument("mode", choices=["echo", "sink", "source"])
    p.add_argument("args", nargs="+", help="PORT, or N PORT for source")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--lifetime", type=float, default=3600.0,
                   help="stop accepting after this many seconds (default 3600)")
    p.add_argument("--max-connections", type=int, default=0)
    a = ap.parse_args(argv)

    if a.command == "serve":
        want = 2 if a.mode == "source" else 1
        if len(a.args) != want:
            ap.error(f"serve {a.mode} takes {'N PORT' if want == 2 else 'PORT'}")
        values = [int(v) for v in a.args]
        n = values[0] if a.mode == "source" else 0
        try:
            return serve(a.mode, values[-1], n, a.host, a.timeout, a.deadline, a.lifetime,
                         a.max_connections)
        except KeyboardInterrupt:
            return 0
    if a.command == "send":
        out = send(a.bytes, a.host, a.port, a.timeout, a.deadline)
        good = out["sent"] == a.bytes
    elif a.command == "echo-check":
        out = echo_check(a.bytes, a.host, a.port, a.seed, a.timeout, a.deadline)
        good = out["match"]
    elif a.command == "receive":
        out = receive(a.host, a.port, a.timeout, a.deadline)
        good = out["pattern_ok"] and (a.expect is None or out["received"] == a.expect)
    else:
        out = churn(a.count, a.host, a.port, a.connect_timeout, a.deadline)
        good = out["failed"] == 0
    print(json.dumps(out), flush=True)
    return 0 if good and "error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())
