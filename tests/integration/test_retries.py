#!/usr/bin/env python3
"""Layer-7 retries with real nginx servers: the reference's `retry-on
all-retryable-errors` with `disable-l7-retry if METH_POST`. While four
keep-alive clients make GET requests, server2's nginx is killed (SIGKILL),
or frozen (SIGSTOP) and later thawed, with no health check to notice: no
GET fails. The same under wrk with server2 stopped by SIGTERM (nginx's fast
shutdown), and for PUTs with a 4000-byte body (kept whole for the retry).
POSTs to a dying server are not sent twice (nginx's logs show each at most
once).

    python3 tests/integration/test_retries.py --dplb build/dplb --source-root .
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

VIP = h.LB_FRONT_ADDR

CONFIG = f"""
[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web_servers"

[[backend]]
name = "web_servers"
balance = "roundrobin"
retries = 3
retry_on = ["all-retryable-errors"]
timeout_per_try = "500ms"
timeout_connect = "500ms"
# A server that dies with N requests in flight needs N retries at once.
# wrk's 8 connections put up to 4 on server2 at the moment it goes; the
# default floor (3 retries in progress per worker) would turn the 4th into
# a 502 (counted under not-retried budget), as operations.md 11a explains.
retry_budget = {{ percent = 20, min_concurrent = 8 }}

[[backend.http_request]]
action = "disable-l7-retry"
if = "METH_POST"
""" + "".join(f'\n[[backend.server]]\nname = "server{i}"\naddress = "10.99.2.1{i}:80"\n' for i in (1, 2, 3))

# Four keep-alive connections taking turns; one line per request.
LOADER = (
    "import http.client, sys, time\n"
    "end = time.time() + float(sys.argv[2])\n"
    "method = sys.argv[3]\n"
    "conns = [None] * 4\n"
    "i = 0\n"
    "while time.time() < end:\n"
    "    k = i % 4; i += 1\n"
    "    try:\n"
    "        if conns[k] is None:\n"
    "            conns[k] = http.client.HTTPConnection(sys.argv[1], 80, timeout=10)\n"
    "        if method == 'GET':\n"
    "            conns[k].request('GET', '/')\n"
    "        elif method == 'PUT':\n"
    "            conns[k].request('PUT', '/put/%d' % i, body=(b'%08d' % i) * 500)\n"
    "        else:\n"
    "            conns[k].request('POST', '/post/%d' % i, body=b'n=%d' % i)\n"
    "        r = conns[k].getresponse(); body = r.read()\n"
    "        words = body.decode(errors='replace').split()\n"
    "        print('%.3f %d %s' % (time.time(), r.status, words[0] if words else '-'), flush=True)\n"
    "    except Exception as e:\n"
    "        print('%.3f error %s' % (time.time(), type(e).__name__), flush=True)\n"
    "        conns[k] = None\n"
    "    time.sleep(0.005)\n")


class RetriesTest(h.LabTestCase):
    servers = 3

    def setUp(self):
        self.dplb = self.start(self._testMethodName, extra=CONFIG)
        self.addCleanup(self.restore_server2)

    def nginx_pids(self):
        return h.lab.namespace_pids(self.lab.ns("srv2"))

    def signal_server2(self, sig):
        for pid in self.nginx_pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def restore_server2(self):
        self.signal_server2(signal.SIGCONT)
        if not self.nginx_pids():
            d = self.lab.nginx_dir(2)
            self.lab.run("srv2", "/usr/sbin/nginx", "-p", d + "/", "-e", f"{d}/error.log", "-c", f"{d}/nginx.conf")

    def load(self, method, seconds, fault, fault_at=1.0, undo=None, undo_at=None):
        loader = self.lab.popen("client", sys.executable, "-c", LOADER, VIP, str(seconds), method,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(fault_at)
            fault()
            if undo is not None:
                time.sleep(undo_at - fault_at)
                undo()
            out, err = loader.communicate(timeout=seconds + 30)
        finally:
            if loader.poll() is None:
                loader.kill()
                loader.communicate()
        lines = [l.split(" ", 2) for l in out.splitlines() if l]
        self.assertGreater(len(lines), 50, out[-2000:] + err[-2000:])
        return lines

    def stat(self, field, row=("web_servers", "BACKEND")):
        csv = self.ctl("show", "stat").stdout
        header = csv.splitlines()[0].lstrip("# ").split(",")
        for line in csv.splitlines()[1:]:
            fields = line.split(",")
            if tuple(fields[:2]) == row:
                return int(dict(zip(header, fields))[field] or 0)
        self.fail(f"no {row} in\n{csv}")

    def report(self, what, lines):
        failed = [l for l in lines if l[1] != "200"]
        print(f"# {what}: {len(lines)} requests, {len(failed)} failed, wretr {self.stat('wretr')},"
              f" wredis {self.stat('wredis')}", flush=True)
        return failed

    def test_sigkill_loses_no_get(self):
        lines = self.load("GET", 4, lambda: self.signal_server2(signal.SIGKILL))
        failed = self.report("GET, server2 SIGKILLed", lines)
        self.assertEqual(failed, [], self.dplb.output()[-3000:])
        self.assertGreater(self.stat("wretr"), 0)
        self.assertIn("server2", {l[2] for l in lines if len(l) > 2}, "server2 served nothing before the kill")

    def test_sigstop_then_sigcont_loses_no_get(self):
        lines = self.load("GET", 5, lambda: self.signal_server2(signal.SIGSTOP),
                          undo=lambda: self.signal_server2(signal.SIGCONT), undo_at=3.0)
        failed = self.report("GET, server2 frozen for 2 s", lines)
        self.assertEqual(failed, [], self.dplb.output()[-3000:])
        self.assertGreater(self.stat("wretr"), 0)

    def test_sigterm_under_wrk_loses_no_get(self):
        wrk = self.lab.popen("client", "wrk", "-t1", "-c8", "-d4s", "--timeout", "5s", f"http://{VIP}/",
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            self.signal_server2(signal.SIGTERM)
            out, err = wrk.communicate(timeout=40)
        finally:
            if wrk.poll() is None:
                wrk.kill()
                wrk.communicate()
        m = re.search(r"(\d+) requests in", out)
        self.assertIsNotNone(m, out + err)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        failed = (int(non2xx.group(1)) if non2xx else 0) + (
            sum(int(g) for g in socket_errors.groups()) if socket_errors else 0)
        print(f"# GET under wrk -c8, server2 SIGTERMed: {m.group(1)} requests, {failed} failed,"
              f" wretr {self.stat('wretr')}, wredis {self.stat('wredis')}", flush=True)
        self.assertGreater(int(m.group(1)), 200, out)
        self.assertEqual(failed, 0, out + self.dplb.output()[-3000:])

    def test_sigkill_loses_no_put_with_a_body(self):
        lines = self.load("PUT", 4, lambda: self.signal_server2(signal.SIGKILL))
        failed = self.report("PUT with a 4000-byte body, server2 SIGKILLed", lines)
        self.assertEqual(failed, [], self.dplb.output()[-3000:])

    def test_post_is_never_sent_twice(self):
        lines = self.load("POST", 3, lambda: self.signal_server2(signal.SIGKILL))
        self.report("POST, server2 SIGKILLed", lines)
        time.sleep(1.5)  # nginx flushes its buffered access log every second
        seen = {}
        for i in (1, 2, 3):
            path = os.path.join(self.lab.nginx_dir(i), "access.log")
            if os.path.exists(path):
                with open(path) as f:
                    for p in re.findall(r'"POST (/post/\d+) HTTP', f.read()):
                        seen[p] = seen.get(p, 0) + 1
        twice = {p: n for p, n in seen.items() if n > 1}
        self.assertEqual(twice, {}, "POSTs that reached servers more than once")
        self.assertTrue(seen, "no POST reached a server")


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
