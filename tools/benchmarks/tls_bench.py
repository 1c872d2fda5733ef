#!/usr/bin/env python3
"""TLS termination, HAProxy 2.6 against dplb on the same lab, the same core and in
the same run, next to this machine's own limits. Prints figures, never passes or fails.

    tools/bench tls [--duration=S] [--connections=N] [--only=haproxy|dplb] [--cert=rsa|ecdsa]

For each certificate (RSA-2048, ECDSA P-256) tools/bench http runs with --tls: wrk over
HTTPS (TLS 1.3) with keep-alive (HTTPS requests/s and CPU 0 per request) and with
"Connection: close" (every request a new connection and a full handshake: handshakes/s
and CPU 0 per handshake). The limits come from `openssl speed` on CPU 0 in the same run:
signatures per second for the certificate's key (a full TLS 1.3 handshake signs once) and
AES-128-GCM bytes per second. The goals the figures are read against (issue 14): at least
2x HAProxy's handshakes per CPU second and 80 % of the signing limit, at most half of
HAProxy's CPU per keep-alive HTTPS request.

Also the resident memory each idle established TLS connection adds (http_bench --idle-tls).
Not measured here yet: resumed handshakes/s, TLS 1.2 and bulk MB/s over TLS.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTTP_BENCH = os.path.join(ROOT, "tools", "benchmarks", "http_bench.py")
SPEED_ALGORITHM = {"rsa": "rsa2048", "ecdsa": "ecdsap256"}


def log(msg):
    print(f"# {msg}", flush=True)


def signing_limit(kind, seconds):
    """Signatures per second of one core (CPU 0), from openssl speed."""
    res = subprocess.run(["taskset", "-c", "0", "openssl", "speed", "-seconds", str(seconds),
                          SPEED_ALGORITHM[kind]], text=True, capture_output=True, timeout=120)
    text = res.stdout
    if kind == "rsa":
        m = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)", text, re.M)
    else:
        m = re.search(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)", text, re.M)
    return float(m.group(1)) if m else float("nan")


def aead_limit(seconds):
    """AES-128-GCM MB/s on CPU 0 for 16 KB blocks (a full TLS record)."""
    res = subprocess.run(["taskset", "-c", "0", "openssl", "speed", "-seconds", str(seconds), "-bytes", "16384",
                          "-evp", "aes-128-gcm"], text=True, capture_output=True, timeout=120)
    m = re.search(r"^AES-128-GCM\s+([\d.]+)k", res.stdout, re.M | re.I)
    return float(m.group(1)) / 1000 if m else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tools/bench tls", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dplb", default=os.path.join(ROOT, "build/release/dplb"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--only", choices=["haproxy", "dplb"])
    ap.add_argument("--cert", choices=["rsa", "ecdsa"], help="one certificate kind (default both)")
    ap.add_argument("--speed-seconds", type=int, default=3)
    args, rest = ap.parse_known_args(argv)
    kinds = [args.cert] if args.cert else ["ecdsa", "rsa"]
    limits = {k: signing_limit(k, args.speed_seconds) for k in kinds}
    for k in kinds:
        log(f"openssl speed on CPU 0: {SPEED_ALGORITHM[k]} {limits[k]:.0f} signatures/s")
    log(f"openssl speed on CPU 0: AES-128-GCM {aead_limit(args.speed_seconds):.0f} MB/s (16 KB blocks)")
    status = 0
    results = {}
    for kind in kinds:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = f.name
        cmd = [sys.executable, HTTP_BENCH, "--dplb", args.dplb, "--tls", kind, "--json", out,
               "--duration", str(args.duration), "--connections", str(args.connections), *rest]
        if args.only:
            cmd += ["--only", args.only]
        log(f"--- {kind}: {' '.join(cmd[1:])}")
        status |= subprocess.run(cmd).returncode
        try:
            with open(out) as f:
                results[kind] = {(r["lb"], r["mode"]): r for r in json.load(f)}
        except (OSError, ValueError):
            results[kind] = {}
        os.unlink(out)
    print()
    for kind in kinds:
        by = results.get(kind, {})
        for lb in ("haproxy", "dplb"):
            c = by.get((lb, "close"))
            if c and c.get("wall_us"):
                per_cpu_second = 1e6 / c["wall_us"]
                print(f"{kind:<6} {lb:<8} full handshakes/s {c['rps']:>8.0f}, per CPU 0 second "
                      f"{per_cpu_second:>8.0f} = {per_cpu_second / limits[kind] * 100:5.1f} % of the "
                      f"signing limit ({limits[kind]:.0f}/s)")
            k = by.get((lb, "keepalive"))
            if k and k.get("wall_us"):
                print(f"{kind:<6} {lb:<8} HTTPS keep-alive requests/s {k['rps']:>8.0f}, CPU 0 per request "
                      f"{k['wall_us']:.2f} us")
        for lb in ("haproxy", "dplb"):
            m = by.get((lb, "idle-tls"))
            if m:
                print(f"{kind:<6} {lb:<8} resident bytes per idle TLS connection {m['bytes']:>8.0f}")
        h, d = by.get(("haproxy", "close")), by.get(("dplb", "close"))
        if h and d and h.get("wall_us") and d.get("wall_us"):
            print(f"ratio {kind} handshakes per CPU second: dplb/haproxy = {h['wall_us'] / d['wall_us']:.2f}")
        h, d = by.get(("haproxy", "keepalive")), by.get(("dplb", "keepalive"))
        if h and d and h.get("wall_us") and d.get("wall_us"):
            print(f"ratio {kind} CPU per HTTPS keep-alive request: dplb/haproxy = {d['wall_us'] / h['wall_us']:.2f}")
    return status


if __name__ == "__main__":
    sys.exit(main())
