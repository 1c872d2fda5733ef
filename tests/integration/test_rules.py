#!/usr/bin/env python3
"""HTTP rules with real peers: the reference's `redirect scheme https if
!{ ssl_fc }` answered 301 on :80 and HSTS on the :443 responses (curl in the
lab's client namespace), content switching to three backends of nginx
servers, deny and return answered by dplb itself, header and path rewrites
seen by nginx, and the counters and log lines an operator reads.

    python3 tests/integration/test_rules.py --dplb build/dplb --source-root .
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402
from test_http import HTTPLOG  # noqa: E402
from test_tls import API, WWW, make_pki  # noqa: E402

VIP = h.LB_FRONT_ADDR


def server(name, i):
    return f'[[backend.server]]\nname = "{name}"\naddress = "10.99.2.1{i}:80"\n'


def reference_config(d):
    """The reference frontend with its two conditional lines and HSTS."""
    return f"""
[log]
access_log = "stdout"

[[frontend]]
name = "http_front"
bind = [{{ address = "{VIP}:80", tls = false }}, "{VIP}:443"]
default_backend = "web_servers"

[frontend.tls]
certificates = ["{d}/www.pem", "{d}/api.pem"]

[[frontend.http_request]]
action = "redirect"
scheme = "https"
code = 301
if = "!{{ ssl_fc }}"

[[frontend.http_response]]
action = "set-header"
name = "Strict-Transport-Security"
value = "max-age=63072000; includeSubDomains"
if = "{{ ssl_fc }}"

[[backend]]
name = "web_servers"

[[backend.http_request]]
action = "disable-l7-retry"
if = "METH_POST"

{server("server1", 1)}
{server("server2", 2)}
{server("server3", 3)}
"""


SWITCHING = f"""
[log]
access_log = "stdout"

[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web_servers"
acl = {{ is_api = "path_beg /rules/api /v1", is_static = ["path_end .css .js", "hdr(host) -i static.example.test"] }}

[[frontend.http_request]]
action = "deny"
if = "{{ path_beg /rules/admin }} !{{ src 10.99.9.0/24 }}"

[[frontend.http_request]]
action = "return"
status = 503
content_type = "text/plain"
body = "down for maintenance\\n"
if = "{{ path /rules/down }}"

[[frontend.http_request]]
action = "set-header"
name = "X-Request-Start"
value = "t=%Ts"

[[frontend.http_request]]
action = "replace-header"
name = "User-Agent"
match = "^curl/([0-9.]+)$"
value = "cli-\\\\1"

[[frontend.use_backend]]
backend = "api_servers"
if = "is_api"

[[frontend.use_backend]]
backend = "static_servers"
if = "is_static"

[[frontend.http_response]]
action = "set-header"
name = "X-Served-By"
value = "%b"

[[backend]]
name = "web_servers"
{server("server1", 1)}

[[backend]]
name = "api_servers"

[[backend.http_request]]
action = "set-path"
value = "/rules/internal%[path]"

[[backend.http_request]]
action = "set-query"
value = ""
if = "{{ url_param(debug) 1 }}"

{server("api1", 2)}

[[backend]]
name = "static_servers"
{server("static1", 3)}
"""


class RulesTest(h.LabTestCase):
    servers = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_pki(cls.tmp)

    def curl(self, *args, timeout=30):
        res = self.lab.run("client", "curl", "-sS", "--max-time", str(timeout - 5),
                           "--cacert", os.path.join(self.tmp, "ca.pem"),
                           "--resolve", f"{WWW}:443:{VIP}", "--resolve", f"{WWW}:80:{VIP}",
                           "--resolve", f"static.example.test:80:{VIP}", *args, check=False,
                           timeout=timeout)
        self.assertEqual(res.returncode, 0, f"curl {' '.join(args)}: {res.stderr}\n{self.dplb.output()}")
        return res

    def show(self, *words):
        res = self.ctl(*words)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        return res.stdout

    def log_lines(self, want):
        deadline = time.monotonic() + 5
        while True:
            lines = [m for m in (HTTPLOG.match(l) for l in self.dplb.output().splitlines()) if m]
            if len(lines) >= want or time.monotonic() > deadline:
                return lines
            time.sleep(0.2)

    def stat_row(self, name, kind):
        csv = self.show("show", "stat")
        header = csv.splitlines()[0].lstrip("# ").split(",")
        for line in csv.splitlines()[1:]:
            fields = line.split(",")
            if fields[:2] == [name, kind]:
                return dict(zip(header, fields))
        self.fail(f"no {name},{kind} row in\n{csv}")

    def test_reference_redirect_to_https_and_hsts(self):
        self.dplb = self.start(self._testMethodName, extra=reference_config(self.tmp))
        # `redirect scheme https if !{ ssl_fc }`: Location from Host and the path, query kept.
        res = self.curl("-D", "-", "-o", "/dev/null", f"http://{WWW}/some/page?x=1")
        self.assertRegex(res.stdout, r"^HTTP/1.1 301 ", res.stdout)
        self.assertRegex(res.stdout, rf"(?mi)^location: https://{re.escape(WWW)}/some/page\?x=1\r?$", res.stdout)
        self.assertNotRegex(res.stdout, r"(?mi)^strict-transport-security:", res.stdout)
        # curl -L follows it to :443, where the server answers with HSTS added.
        res = self.curl("-L", "-D", "-", f"http://{WWW}/")
        self.assertRegex(res.stdout, r"(?m)^HTTP/1.1 200 ", res.stdout)
        self.assertRegex(res.stdout, r"(?mi)^strict-transport-security: max-age=63072000; includeSubDomains\r?$",
                         res.stdout)
        self.assertRegex(res.stdout, r"(?m)^server\d$", res.stdout)
        # A POST goes through (disable-l7-retry only takes retries away).
        res = self.curl("-d", "a=1", f"https://{WWW}/")
        self.assertRegex(res.stdout, r"^server\d$")

        lines = self.log_lines(4)
        redirects = [m for m in lines if m["status"] == "301"]
        self.assertEqual(len(redirects), 2, [m.group(0) for m in lines])
        self.assertEqual(redirects[0]["term"][:2], "LR")
        self.assertEqual(redirects[0]["server"], "<NOSRV>")
        fe = self.stat_row("http_front", "FRONTEND")
        self.assertEqual(fe["intercepted"], "2", fe)
        rules = self.show("show", "rules", "http_front")
        self.assertRegex(rules, r"http-request\s+2\s+redirect scheme https code 301 if !\{ ssl_fc \}", rules)
        self.assertRegex(rules, r"http-response\s+2\s+set-header Strict-Transport-Security", rules)
        rules = self.show("show", "rules", "web_servers")
        self.assertRegex(rules, r"http-request\s+1\s+disable-l7-retry if METH_POST", rules)

    def test_content_switching_deny_return_and_rewrites(self):
        self.dplb = self.start(self._testMethodName, extra=SWITCHING)
        url = f"http://{VIP}"
        res = self.curl("-D", "-", f"{url}/rules/api/users?debug=1")
        self.assertIn("uri=/rules/internal/rules/api/users args= ", res.stdout)
        self.assertRegex(res.stdout, r"ua=cli-\d+\.\d+\.\d+", res.stdout)
        self.assertRegex(res.stdout, r"start=t=\d{10}\b", res.stdout)
        self.assertRegex(res.stdout, r"(?mi)^x-served-by: api_servers\r?$", res.stdout)
        res = self.curl("-A", "Mozilla/5.0", f"{url}/rules/site.css?v=2")
        self.assertEqual(res.stdout, "uri=/rules/site.css args=v=2 start=" + res.stdout.split("start=")[1])
        self.assertIn("ua=Mozilla/5.0", res.stdout)
        res = self.curl("-D", "-", f"http://static.example.test/rules/x")
        self.assertRegex(res.stdout, r"(?mi)^x-served-by: static_servers\r?$", res.stdout)
        res = self.curl("-D", "-", f"{url}/rules/plain")
        self.assertRegex(res.stdout, r"(?mi)^x-served-by: web_servers\r?$", res.stdout)
        # Answered by dplb: deny (403, built-in page) and return (its body).
        res = self.curl("-D", "-", f"{url}/rules/admin/")
        self.assertRegex(res.stdout, r"^HTTP/1.1 403 ", res.stdout)
        res = self.curl("-D", "-", f"{url}/rules/down")
        self.assertRegex(res.stdout, r"^HTTP/1.1 503 ", res.stdout)
        self.assertTrue(res.stdout.endswith("\n\ndown for maintenance\n"), res.stdout)
        # Several requests on one connection: every one is switched by its own path.
        res = self.curl("-w", "%{num_connects} ", *[a for p in ("/rules/api/a", "/rules/b", "/rules/c.js")
                                                     for a in ("-o", "/dev/null", url + p)])
        self.assertEqual(res.stdout.split(), ["1", "0", "0"], res.stdout)

        # nginx saw exactly what was forwarded, on the right server.
        def nginx_paths(i):
            with open(os.path.join(self.lab.nginx_dir(i), "access.log")) as f:
                return re.findall(r'"GET (\S+) HTTP', f.read())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(nginx_paths(2)) < 2:
            time.sleep(0.3)  # nginx flushes its buffered log every second
        time.sleep(1.2)
        self.assertTrue(all(p.startswith("/rules/internal/") for p in nginx_paths(2)), nginx_paths(2))
        self.assertNotIn("/rules/admin/", nginx_paths(1) + nginx_paths(3))
        self.assertNotIn("/rules/down", nginx_paths(1) + nginx_paths(3))

        lines = self.log_lines(9)
        by_status = {m["status"]: m for m in lines}
        self.assertEqual(by_status["403"]["term"][:2], "PR", by_status["403"].group(0))
        self.assertEqual(by_status["503"]["term"][:2], "LR", by_status["503"].group(0))
        self.assertEqual({m["backend"] for m in lines if m["status"] == "200"},
                         {"web_servers", "api_servers", "static_servers"})
        fe = self.stat_row("http_front", "FRONTEND")
        self.assertEqual(fe["dreq"], "1", fe)
        self.assertEqual(fe["intercepted"], "1", fe)
        rules = self.show("show", "rules", "http_front")
        self.assertRegex(rules, r"use_backend\s+2\s+use_backend api_servers if is_api", rules)
        self.assertRegex(rules, r"use_backend\s+3\s+use_backend static_servers if is_static", rules)
        acls = self.show("show", "acl", "http_front")
        self.assertIn("hdr(host) -i static.example.test", acls)
        bad = self.ctl("show", "rules", "http_frnt")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("did you mean: http_front", bad.stdout + bad.stderr)


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
