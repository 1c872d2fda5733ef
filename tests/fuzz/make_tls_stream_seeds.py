#!/usr/bin/env python3
"""Writes the seed corpus of the tls_stream fuzz target (tests/fuzz/tls_stream_fuzz.cc):
real ClientHellos from Python's ssl module for the raw mode, and short scripts for
the session mode. Run from the repository root; the output is committed."""
import os
import ssl

OUT = "tests/fuzz/corpus/tls_stream"


def client_hello(server_name, max_version=None, alpn=("http/1.1",)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_version:
        ctx.maximum_version = max_version
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def raw(data, segment=256):
    """Mode byte 0, then the bytes in segments, each prefixed by its length - 1."""
    out = bytearray([0])
    for i in range(0, len(data), segment):
        part = data[i:i + segment]
        out.append(len(part) - 1)
        out += part
    return bytes(out)


def script(mode, *steps):
    return bytes([mode]) + bytes(b for step in steps for b in step)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "raw_tls13_hello": raw(client_hello("www.example.test")),
        "raw_tls12_hello_wildcard": raw(client_hello("a.other.test", ssl.TLSVersion.TLSv1_2)),
        "raw_hello_without_sni": raw(client_hello(None, alpn=None)),
        "raw_hello_in_small_segments": raw(client_hello("www.example.test"), segment=7),
        "raw_plain_http": raw(b"GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n"),
        # op, arg pairs: 0 client writes, 1 server writes, 2/3 segment sizes, 4/5 damage,
        # 6/7 reads, 8/9 end a side, 10 a full-size record from the client.
        "session_both_ways": script(1, (0, 20), (6, 255), (1, 3), (7, 255), (0, 1), (1, 1)),
        "session_tls12_small_segments": script(3, (2, 5), (3, 9), (0, 200), (1, 50), (6, 10), (7, 10)),
        "session_resumed": script(5, (0, 3), (1, 3)),
        "session_wildcard_name": script(9, (0, 3), (9, 0), (6, 255)),
        "session_damaged_record": script(1, (0, 10), (4, 30), (0, 10), (6, 255)),
        "session_damaged_response": script(3, (1, 10), (5, 8), (1, 10), (7, 255)),
        "session_full_records_then_close": script(1, (10, 0), (10, 255), (8, 1), (6, 255)),
        "session_server_abort": script(1, (0, 40), (9, 2), (0, 40)),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
