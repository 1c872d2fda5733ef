#!/usr/bin/env python3
"""Health checks with real servers: the lab's nginx (tools/lab.py) probed by
dplb's workers, servers stopped and started while wrk runs, an HTTP check
that gets a 500, and an operator draining a server.

    python3 tests/integration/test_health.py --dplb build/dplb --source-root .
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

VIP = h.LB_FRONT_ADDR
URL = f"http://{VIP}"


def config(path="/health", interval="300ms", extra_server=""):
    servers = "".join(f"""
[[backend.server]]
name = "server{i}"
address = "10.99.2.1{i}:80"
check = true
{extra_server}""" for i in (1, 2, 3))
    return f"""
[tcp]
time_wait = "1s"

[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web_servers"

[[backend]]
name = "web_servers"
[backend.health_check]
type = "http"
path = "{path}"
interval = "{interval}"
rise = 2
fall = 2
timeout = "500ms"
{servers}
"""


class HealthCheckTest(h.LabTestCase):
    servers = 3

    def boot(self, **kw):
        self.dplb = self.start(self._testMethodName, extra=config(**kw))
        return self.dplb

    def server_line(self, name):
        out = self.ctl("show", "servers", "web_servers").stdout
        m = re.search(rf"^server web_servers/{name} .*$", out, re.M)
        return m.group(0) if m else ""

    def wait_state(self, name, state, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"state {state} " in self.server_line(name):
                return
            time.sleep(0.1)
        self.fail(f"server {name} did not reach {state}: {self.server_line(name)}\n"
                  + self.ctl("show", "servers").stdout + self.dplb.output())

    def nginx(self, i, start):
        d = self.lab.nginx_dir(i)
        if start:
            self.lab.run(f"srv{i}", "/usr/sbin/nginx", "-p", d + "/", "-e", f"{d}/error.log",
                         "-c", f"{d}/nginx.conf")
        else:
            with open(os.path.join(d, "nginx.pid")) as f:
                os.kill(int(f.read().strip()), 15)
            time.sleep(0.3)

    def wrk(self, seconds):
        return self.lab.popen("client", "wrk", "-t1", "-c4", f"-d{seconds}s", f"{URL}/",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    LOADER = (
        "import http.client, sys, time\n"
        "end = time.time() + float(sys.argv[2])\n"
        "conns = [None] * 4\n"
        "i = 0\n"
        "while time.time() < end:\n"
        "    k = i % 4; i += 1\n"
        "    try:\n"
        "        if conns[k] is None:\n"
        "            conns[k] = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)\n"
        "        conns[k].request('GET', '/')\n"
        "        r = conns[k].getresponse(); body = r.read()\n"
        "        name = body.decode(errors='replace').split()[0] if r.status == 200 and body.strip() else '-'\n"
        "        print('%.3f %d %s' % (time.time(), r.status, name), flush=True)\n"
        "    except Exception as e:\n"
        "        print('%.3f error %s' % (time.time(), type(e).__name__), flush=True)\n"
        "        conns[k] = None\n"
        "    time.sleep(0.005)\n")

    def test_stopped_server_leaves_and_rejoins(self):
        self.boot()
        for i in (1, 2, 3):
            self.wait_state(f"server{i}", "UP")
        # Four keep-alive clients run throughout; server2 stops and starts.
        loader = self.lab.popen("client", sys.executable, "-c", self.LOADER, VIP, "60",
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)
        self.nginx(2, start=False)
        self.addCleanup(lambda: self.nginx(2, start=True) if not os.path.exists(
            os.path.join(self.lab.nginx_dir(2), "nginx.pid")) else None)
        self.wait_state("server2", "DOWN")
        detected = time.time()
        time.sleep(3)
        self.nginx(2, start=True)
        self.wait_state("server2", "UP")
        rejoined = time.time()
        time.sleep(1.5)
        loader.terminate()
        out, _ = loader.communicate(timeout=30)
        lines = [l.split(" ", 2) for l in out.splitlines() if l]
        self.assertGreater(len(lines), 100, out[-2000:])
        # From detection on, no request fails and none is answered by server2
        # until it is back.
        after = [l for l in lines if float(l[0]) > detected + 0.05]
        failures = [l for l in after if l[1] != "200"]
        self.assertEqual(failures, [], f"failures after detection at {detected}\n" + self.dplb.stderr()[-3000:])
        down = [l for l in after if float(l[0]) < rejoined - 0.2]
        self.assertNotIn("server2", {l[2] for l in down if len(l) > 2})
        back = [l for l in after if float(l[0]) > rejoined + 0.2]
        self.assertIn("server2", {l[2] for l in back if len(l) > 2}, "server2 did not rejoin")
        self.assertIn('reason: Layer4 connection problem, info: "Connection refused"', self.dplb.stderr())
        self.assertRegex(self.dplb.stderr(), r"server web_servers/server2 is UP, reason: Layer7 check passed")
        before = [l for l in lines if float(l[0]) <= detected]
        print(f"# {len(lines)} requests, {len([l for l in before if l[1] != '200'])} failed before detection,"
              f" 0 after", flush=True)

    def test_http_500_marks_down_with_l7sts(self):
        self.boot(path="/broken")
        for i in (1, 2, 3):
            self.wait_state(f"server{i}", "DOWN")
        out = self.ctl("show", "servers").stdout
        self.assertIn("check L7STS  code 500", out)
        res = self.lab.run("client", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"{URL}/",
                           check=False)
        self.assertEqual(res.stdout, "503")
        stat = self.ctl("show", "stat").stdout.splitlines()
        header = stat[0][2:].split(",")
        row = dict(zip(header, stat[2].split(",")))
        self.assertEqual(row["check_status"], "L7STS")
        self.assertEqual(row["check_code"], "500")

    def test_observe_layer4_marks_down_a_server_whose_traffic_fails(self):
        # server1's traffic port (81) refuses while its check port (80)
        # answers: only passive observation can see the problem.
        extra = """
[[frontend]]
name = "observed"
bind = ["%s:8080"]
default_backend = "observed"

[[backend]]
name = "observed"
retries = 0
[backend.health_check]
type = "tcp"
interval = "5s"
observe = "layer4"
error_limit = 3
on_error = "mark-down"
[[backend.server]]
name = "bad"
address = "10.99.2.11:81"
check = true
check_port = 80
[[backend.server]]
name = "good"
address = "10.99.2.12:80"
check = true
""" % VIP
        self.dplb = self.start(self._testMethodName, extra=config() + extra)
        deadline = time.monotonic() + 10
        codes = []
        while time.monotonic() < deadline:
            res = self.lab.run("client", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                               f"http://{VIP}:8080/", check=False)
            codes.append(res.stdout)
            if "server observed/bad is DOWN" in self.dplb.stderr() and codes[-3:] == ["200"] * 3:
                break
        self.assertIn("server observed/bad is DOWN", self.dplb.stderr(), codes)
        self.assertEqual(codes[-3:], ["200"] * 3, codes)

    def test_drain_stops_new_requests(self):
        self.boot()
        for i in (1, 2, 3):
            self.wait_state(f"server{i}", "UP")
        res = self.ctl("set", "server", "web_servers/server1", "state", "drain")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        names = self.lab.run("client", "curl", "-sS", *([f"{URL}/"] * 9)).stdout.split()
        self.assertNotIn("server1", names)
        self.assertEqual(len(names), 9)
        self.assertEqual(self.ctl("set", "server", "web_servers/server1", "state", "ready").returncode, 0)
        names = self.lab.run("client", "curl", "-sS", *([f"{URL}/"] * 9)).stdout.split()
        self.assertIn("server1", names)
        bad = self.ctl("set", "server", "web_servers/nope", "state", "drain")
        self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
