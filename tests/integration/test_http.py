#!/usr/bin/env python3
"""dplb's HTTP proxy with real peers: nginx servers (tools/lab.py), curl and
wrk clients in the lab's client namespace, and the small servers of
http_peers.py where nginx does not fit (an upload sink that hashes what it
receives, a slow server).

    python3 tests/integration/test_http.py --dplb build/dplb --source-root .

Each test starts its own dplb in lb1 with a [[frontend]] on 10.99.1.2:80 and
a [[backend]] over the lab's nginx servers 10.99.2.11-13 (each answers its
name on /), so counters and pools start empty.
"""

import hashlib
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

VIP = h.LB_FRONT_ADDR
URL = f"http://{VIP}"
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_peers.py")

# One httplog line, as HAProxy writes it (without a syslog header).
HTTPLOG = re.compile(
    r'^(?P<client>\d+\.\d+\.\d+\.\d+):(?P<port>\d+) '
    r'\[(?P<date>\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] '
    r'(?P<frontend>\S+) (?P<backend>\S+)/(?P<server>\S+) '
    r'(?P<TR>-?\d+)/(?P<Tw>-?\d+)/(?P<Tc>-?\d+)/(?P<Tr>-?\d+)/(?P<Ta>-?\d+) '
    r'(?P<status>-?\d+) (?P<bytes>\d+) - - (?P<term>\S{4}) '
    r'(?P<conns>\d+/\d+/\d+/\d+/\+?\d+) (?P<queues>\d+/\d+) "(?P<request>.*)"$')


def proxy_config(servers="", backend_extra="", frontend_extra="", log_extra=""):
    if not servers:
        servers = "".join(
            f'[[backend.server]]\nname = "server{i}"\naddress = "10.99.2.1{i}:80"\n\n' for i in (1, 2, 3))
    return f"""
[tcp]
time_wait = "1s"

[log]
{log_extra}

[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web_servers"
forwardfor = true
timeout_client = "30s"
{frontend_extra}

[[backend]]
name = "web_servers"
balance = "roundrobin"
{backend_extra}

{servers}
"""


class HttpProxyTest(h.LabTestCase):
    servers = 3

    def boot(self, **kw):
        extra = proxy_config(**kw)
        self.dplb = self.start(self._testMethodName, extra=extra)
        # The client learns the front MAC by ARP like any host.
        return self.dplb

    def curl(self, *args, timeout=60, check=True):
        res = self.lab.run("client", "curl", "-sS", "--max-time", str(timeout - 5), *args,
                           check=False, timeout=timeout)
        if check and res.returncode != 0:
            self.fail(f"curl {' '.join(args)} failed: {res.stderr}\n{self.dplb.output()}")
        return res

    def nginx_log(self, i):
        # nginx flushes its buffered log every second.
        time.sleep(1.5)
        path = os.path.join(self.lab.nginx_dir(i), "access.log")
        try:
            with open(path) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def clear_nginx_logs(self):
        for i in (1, 2, 3):
            path = os.path.join(self.lab.nginx_dir(i), "access.log")
            if os.path.exists(path):
                open(path, "w").close()

    def rss_kib(self):
        with open(f"/proc/{self.dplb.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def peer(self, server, *args):
        proc = self.lab.popen(server, sys.executable, PEERS, *args, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.kill(), proc.wait(timeout=5)))
        line = proc.stdout.readline()
        self.assertIn("ready", line, f"http_peers {args} did not start")
        return proc

    # tests

    def test_round_robin_with_keep_alive_reuse(self):
        self.boot()
        time.sleep(1.5)
        self.clear_nginx_logs()
        # One curl, 30 URLs: one client connection, 30 requests.
        res = self.curl(*([f"{URL}/"] * 30))
        names = res.stdout.split()
        self.assertEqual(len(names), 30, res.stdout)
        self.assertEqual(names[:6], ["server1", "server2", "server3", "server1", "server2", "server3"])
        for i in (1, 2, 3):
            self.assertEqual(names.count(f"server{i}"), 10, names)
        # Server side: 10 requests each over far fewer connections (the first
        # request of the client connection opens one; the rest reuse the pool).
        for i in (1, 2, 3):
            lines = [l for l in self.nginx_log(i) if '"GET / ' in l]
            self.assertEqual(len(lines), 10, lines)
            connections = {l.split()[1] for l in lines}
            self.assertLessEqual(len(connections), 2, f"server{i} connections: {lines}")
        out = self.ctl("show", "servers").stdout
        self.assertRegex(out, r"server1")

    def test_forwarded_headers_and_hop_by_hop(self):
        self.boot()
        res = self.curl("-H", "Connection: keep-alive, X-Secret", "-H", "X-Secret: 1",
                        "-H", "X-Forwarded-Proto: gopher", f"{URL}/headers")
        self.assertIn("xff=10.99.1.100", res.stdout)
        self.assertIn("proto=http ", res.stdout)
        self.assertIn("port=80", res.stdout)

    def test_wrk_keep_alive_no_errors(self):
        self.boot()
        self.clear_nginx_logs()
        res = self.lab.run("client", "wrk", "-t1", "-c8", "-d3s", f"{URL}/", check=False, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        m = re.search(r"(\d+) requests in", res.stdout)
        self.assertIsNotNone(m, res.stdout)
        requests = int(m.group(1))
        self.assertGreater(requests, 100, res.stdout)
        self.assertNotIn("Non-2xx", res.stdout, res.stdout)
        self.assertNotIn("Socket errors", res.stdout, res.stdout)
        connections = set()
        total = 0
        for i in (1, 2, 3):
            for line in self.nginx_log(i):
                connections.add((i, line.split()[1]))
                total += 1
        self.assertGreater(total, 100)
        self.assertLess(len(connections), total / 10, "server connections were not reused")

    def test_download_and_upload_200mb(self):
        size = 200 * 1024 * 1024
        www = os.path.join(self.lab.nginx_dir(1), "www")
        os.makedirs(www, exist_ok=True)
        big = os.path.join(www, "big.bin")
        digest = hashlib.sha256()
        with open(big, "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(size >> 20):
                chunk = hashlib.sha256(block + i.to_bytes(4, "big")).digest() * (1 << 15)
                f.write(chunk)
                digest.update(chunk)
        expected = digest.hexdigest()
        self.peer("srv2", "sink", "--address", "10.99.2.12", "--port", "8080")
        servers = ('[[backend.server]]\nname = "files"\naddress = "10.99.2.11:80"\n\n')
        upload_backend = ('[[backend]]\nname = "sink"\n[[backend.server]]\nname = "sink"\n'
                          'address = "10.99.2.12:8080"\n')
        self.dplb = self.start(self._testMethodName, extra=proxy_config(servers=servers) + f"""
[[frontend]]
name = "upload"
bind = ["{VIP}:8080"]
default_backend = "sink"
""" + upload_backend)
        self.curl(f"{URL}/health")
        base = self.rss_kib()
        peak = base
        # Download: the client hashes what arrives.
        dl = self.lab.popen("client", "sh", "-c", f"curl -sS {URL}/files/big.bin | sha256sum",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while dl.poll() is None:
            peak = max(peak, self.rss_kib())
            time.sleep(0.2)
        out, err = dl.communicate()
        self.assertEqual(out.split()[0] if out else "", expected, f"download: {err}\n{self.dplb.output()}")
        # Upload: the sink hashes what arrives.
        up = self.lab.popen("client", "curl", "-sS", "-T", big, "-H", "Expect:", f"http://{VIP}:8080/upload",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while up.poll() is None:
            peak = max(peak, self.rss_kib())
            time.sleep(0.2)
        out, err = up.communicate()
        self.assertIn(f"bytes={size} sha256={expected}", out, f"upload: {err}\n{self.dplb.output()}")
        os.unlink(big)
        # Bodies stream through the TCP queues: dplb's memory stays flat, far
        # below what buffering a body would take.
        print(f"# rss before {base} KiB, peak {peak} KiB", flush=True)
        self.assertLess(peak - base, 64 * 1024, f"RSS grew from {base} to {peak} KiB")

    def test_slow_client_and_slow_server(self):
        self.peer("srv3", "slow", "--address", "10.99.2.13", "--port", "8081", "--bytes", str(2 << 20),
                  "--seconds", "3")
        www = os.path.join(self.lab.nginx_dir(1), "www")
        os.makedirs(www, exist_ok=True)
        data = os.urandom(4 << 20)
        with open(os.path.join(www, "four.bin"), "wb") as f:
            f.write(data)
        servers = ('[[backend.server]]\nname = "files"\naddress = "10.99.2.11:80"\n\n')
        self.dplb = self.start(self._testMethodName, extra=proxy_config(servers=servers) + f"""
[[frontend]]
name = "slow"
bind = ["{VIP}:8081"]
default_backend = "slow"

[[backend]]
name = "slow"
[[backend.server]]
name = "slow"
address = "10.99.2.13:8081"
""")
        # A client reading at 1 MB/s: 4 s for 4 MB.
        res = self.lab.run("client", "sh", "-c", f"curl -sS --limit-rate 1M {URL}/files/four.bin | sha256sum",
                           timeout=60)
        self.assertEqual(res.stdout.split()[0], hashlib.sha256(data).hexdigest())
        # A server trickling 2 MB over 3 s.
        res = self.lab.run("client", "sh", "-c", f"curl -sS http://{VIP}:8081/ | wc -c", timeout=60)
        self.assertEqual(res.stdout.strip(), str(2 << 20))

    def test_refused_server_gives_503_and_errorfile(self):
        errorfile = os.path.join(self.tmp, "503.http")
        body = "<html><body>lab maintenance page</body></html>\n"
        with open(errorfile, "w") as f:
            f.write("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")
        servers = '[[backend.server]]\nname = "closed"\naddress = "10.99.2.11:81"\n'
        self.boot(servers=servers, backend_extra="retries = 0",
                  frontend_extra=f'errorfiles = {{ 503 = "{errorfile}" }}')
        res = self.curl("-o", "/dev/null", "-w", "%{http_code}", f"{URL}/", check=False)
        self.assertEqual(res.stdout, "503", res.stderr)
        res = self.curl(f"{URL}/", check=False)
        self.assertIn("lab maintenance page", res.stdout)

    def test_bad_requests_are_refused(self):
        self.boot()
        script = (
            "import socket,sys\n"
            "cases = [b'GET / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n',\n"
            "         b'GET / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 1\\r\\nContent-Length: 2\\r\\n\\r\\nab',\n"
            "         b'GET / HTTP/1.1\\r\\nHost: a\\r\\nX: a\\r\\n  folded\\r\\n\\r\\n',\n"
            "         b'GET / HTTP/1.1\\r\\n\\r\\n']\n"
            "for c in cases:\n"
            "    s = socket.create_connection(('" + VIP + "', 80), timeout=5)\n"
            "    s.sendall(c)\n"
            "    data = b''\n"
            "    while True:\n"
            "        d = s.recv(65536)\n"
            "        if not d: break\n"
            "        data += d\n"
            "    print(data.split(b'\\r\\n')[0].decode())\n")
        res = self.lab.run("client", sys.executable, "-c", script, timeout=30)
        self.assertEqual(res.stdout.split("\n")[:4], ["HTTP/1.1 400 Bad Request"] * 4, res.stdout)

    def test_access_log_lines_parse(self):
        log = os.path.join(self.tmp, "access.log")
        self.boot(log_extra='access_log = "stdout"')
        self.curl(*([f"{URL}/"] * 5))
        self.curl("-o", "/dev/null", f"{URL}/files/nope")
        time.sleep(0.5)
        out = open(self.dplb.out_path).read()
        lines = [l for l in out.splitlines() if "http_front" in l and "[" in l]
        self.assertGreaterEqual(len(lines), 6, out)
        parsed = []
        for line in lines:
            m = HTTPLOG.match(line)
            self.assertIsNotNone(m, f"not an httplog line: {line!r}")
            parsed.append(m)
        self.assertEqual(parsed[0]["client"], "10.99.1.100")
        self.assertEqual(parsed[0]["frontend"], "http_front")
        self.assertEqual(parsed[0]["backend"], "web_servers")
        self.assertEqual(parsed[0]["status"], "200")
        self.assertEqual(parsed[0]["term"], "----")
        self.assertEqual(parsed[0]["request"], "GET / HTTP/1.1")
        self.assertIn("404", [m["status"] for m in parsed])
        del log


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
