#!/usr/bin/env python3
"""Probes an HTTP service every --interval seconds with a new connection and
reports when it stopped and started answering: the outage a failover costs.

Each probe opens a TCP connection, sends "GET --path", and counts as a success
when a status line "HTTP/1.x 200" arrives within --timeout. Probes start on a
fixed cadence whatever the earlier ones are doing (each runs in its own
thread), so one that hangs on a lost SYN does not hide the ones after it.

The outage is measured from the start of the last successful probe before the
first failure to the start of the first successful probe after it, so its
resolution is one interval. Runs until --duration elapses or SIGTERM/SIGINT,
then prints one JSON object: probes, successes, failures, outages (each with
start, end and seconds, relative to the prober's start), the longest, and t0
(time.monotonic() at the start, to line the outages up with other events).
Meant to run inside a test's client namespace (ip netns exec)."""

import argparse
import json
import signal
import socket
import sys
import threading
import time


def probe(host, port, path, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n" not in data and len(data) < 256:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def outages(results, interval):
    """results: (start, ok) sorted by start. A run of failures between two
    successes (or from the start, or to the end) is one outage."""
    found = []
    last_ok = None
    failing_since = None
    for start, ok in results:
        if ok:
            if failing_since is not None:
                begin = last_ok if last_ok is not None else failing_since
                found.append({"start": round(begin, 3), "end": round(start, 3), "seconds": round(start - begin, 3)})
                failing_since = None
            last_ok = start
        elif failing_since is None:
            failing_since = start
    if failing_since is not None:
        begin = last_ok if last_ok is not None else failing_since
        end = results[-1][0] + interval
        found.append({"start": round(begin, 3), "end": round(end, 3), "seconds": round(end - begin, 3),
                      "unfinished": True})
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True, help="HOST:PORT")
    ap.add_argument("--path", default="/")
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--timeout", type=float, default=1.0,
                    help="seconds a probe may take (default 1.0). Keep it below the client's "
                         "initial SYN retransmission timeout (1 s) to measure failovers: with "
                         "1 s or more, a probe whose first SYN was lost can still succeed "
                         "through its retransmission after the takeover, and then ends the "
                         "outage at its own (earlier) start")
    ap.add_argument("--duration", type=float, default=60.0)
    args = ap.parse_args(argv)
    host, port = args.target.rsplit(":", 1)
    port = int(port)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    results = []
    lock = threading.Lock()
    threads = []
    t0 = time.monotonic()

    def one(start):
        ok = probe(host, port, args.path, args.timeout)
        with lock:
            results.append((start, ok))

    # Announce readiness so a test can wait for the first probes.
    print("probing", flush=True)
    next_at = t0
    while not stop.is_set() and time.monotonic() - t0 < args.duration:
        now = time.monotonic()
        if now < next_at:
            stop.wait(next_at - now)
            continue
        th = threading.Thread(target=one, args=(now - t0,), daemon=True)
        th.start()
        threads.append(th)
        threads = [t for t in threads if t.is_alive()]
        next_at += args.interval
        if next_at < now:  # fell behind (a stall): keep the cadence from here
            next_at = now + args.interval
    for th in threads:
        th.join(args.timeout + 1)
    with lock:
        done = sorted(results)
    found = outages(done, args.interval)
    print(json.dumps({
        "probes": len(done),
        "successes": sum(1 for _, ok in done if ok),
        "failures": sum(1 for _, ok in done if not ok),
        "outages": found,
        "longest": max((o["seconds"] for o in found), default=0.0),
        # time.monotonic() at the prober's start (CLOCK_MONOTONIC, the same in every
        # namespace): a caller can place its own events on the timeline above.
        "t0": round(t0, 6),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
