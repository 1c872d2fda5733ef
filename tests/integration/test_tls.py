#!/usr/bin/env python3
"""TLS termination with real peers: curl and openssl s_client in the lab's
client namespace against a dplb frontend with a plain bind on :80 and a TLS
bind on :443 (the reference article's "Adding SSL/TLS to the frontend"),
proxying plain HTTP to the lab's nginx servers.

    python3 tests/integration/test_tls.py --dplb build/dplb --source-root .

Certificates are made at test time with the openssl command: a CA, a
certificate for www.example.test (RSA-2048) and one for api.example.test
(ECDSA P-256), so SNI has two names to choose from.
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
WWW = "www.example.test"
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_peers.py")
API = "api.example.test"
REQUEST = f"GET / HTTP/1.1\r\nHost: {WWW}\r\nConnection: close\r\n\r\n"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    """ca.pem, www.pem (cert + key, RSA) and api.pem (ECDSA), www2.pem (a second RSA cert for update),
    app.crt/app.key (ECDSA, for app.internal: the TLS servers behind dplb)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=dplb test CA", cwd=d)

    def leaf(name, cn, keyargs):
        openssl("req", "-new", "-newkey", *keyargs, "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "20", "-extfile", f"{name}.ext", cwd=d)
        with open(os.path.join(d, f"{name}.pem"), "w") as out:
            for part in (f"{name}.crt", f"{name}.key"):
                with open(os.path.join(d, part)) as f:
                    out.write(f.read())

    leaf("www", WWW, ["rsa:2048"])
    leaf("api", API, ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    leaf("www2", WWW, ["rsa:2048"])
    leaf("app", "app.internal", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    leaf("alice", "alice", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
    # A client certificate no configured CA vouches for.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "mallory.key", "-out", "mallory.crt", "-days", "5", "-subj", "/CN=mallory", cwd=d)
    make_ocsp_response(d, "www")


def make_ocsp_response(d, name):
    """NAME.pem.ocsp: a "good" OCSP response for NAME.crt signed by the CA, which dplb staples as
    HAProxy does with a .ocsp file beside the certificate."""
    def field(flag):
        out = subprocess.run(["openssl", "x509", "-noout", flag, "-in", f"{name}.crt"], cwd=d, check=True,
                             capture_output=True, text=True).stdout.strip()
        return out.split("=", 1)[1]
    serial = field("-serial")
    end = time.strftime("%y%m%d%H%M%SZ", time.strptime(field("-enddate"), "%b %d %H:%M:%S %Y %Z"))
    with open(os.path.join(d, "index.txt"), "w") as f:
        f.write(f"V\t{end}\t\t{serial}\tunknown\t/CN={WWW}\n")
    openssl("ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
            "-issuer", "ca.pem", "-cert", f"{name}.crt", "-respout", f"{name}.pem.ocsp", "-ndays", "1", cwd=d)


def tls_config(d, frontend_extra="", tls_extra="", servers=""):
    servers = servers or "".join(
        f'[[backend.server]]\nname = "server{i}"\naddress = "10.99.2.1{i}:80"\n\n' for i in (1, 2, 3))
    return f"""
[tcp]
time_wait = "1s"

[[frontend]]
name = "https_front"
bind = [{{ address = "{VIP}:80", tls = false }}, "{VIP}:443"]
default_backend = "web_servers"
forwardfor = true
{frontend_extra}

[frontend.tls]
certificates = ["{d}/www.pem", "{d}/api.pem"]
{tls_extra}

[[backend]]
name = "web_servers"

{servers}
"""


class TlsTest(h.LabTestCase):
    servers = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_pki(cls.tmp)

    def boot(self, **kw):
        self.dplb = self.start(self._testMethodName, extra=tls_config(self.tmp, **kw))
        return self.dplb

    def curl(self, *args, timeout=60, check=True):
        res = self.lab.run("client", "curl", "-sS", "--max-time", str(timeout - 5),
                           "--cacert", os.path.join(self.tmp, "ca.pem"),
                           "--resolve", f"{WWW}:443:{VIP}", "--resolve", f"{API}:443:{VIP}",
                           "--resolve", f"{WWW}:9443:{VIP}", "--resolve", f"{WWW}:9444:{VIP}",
                           *args, check=False, timeout=timeout)
        if check and res.returncode != 0:
            self.fail(f"curl {' '.join(args)} failed: {res.stderr}\n{self.dplb.output()}")
        return res

    def s_client(self, *args, stdin="", timeout=30):
        # -ign_eof is not given: s_client ends at the end of its input.
        return self.lab.run("client", "openssl", "s_client", "-connect", f"{VIP}:443",
                            "-CAfile", os.path.join(self.tmp, "ca.pem"), *args,
                            input=stdin, check=False, timeout=timeout)

    def show(self, *words):
        res = self.ctl(*words)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        return res.stdout

    # tests

    def test_https_tls13_and_tls12_and_plain_beside(self):
        self.boot()
        for flags, version in ((["--tlsv1.3"], "TLSv1.3"), (["--tlsv1.2", "--tls-max", "1.2"], "TLSv1.2")):
            res = self.curl("-v", *flags, f"https://{WWW}/")
            self.assertIn("server", res.stdout)
            self.assertIn(f"SSL connection using {version}", res.stderr)
        plain = self.lab.run("client", "curl", "-sS", "--max-time", "10", f"http://{VIP}/",
                             check=False, timeout=20)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        report = self.show("show", "tls")
        m = re.search(r"^\s+0\s+\d+\s+(\d+)\s+(\d+)", report, re.M)
        self.assertIsNotNone(m, report)
        self.assertGreaterEqual(int(m.group(1)), 2, report)

    def test_sni_picks_the_certificate_and_alpn_is_http11(self):
        self.boot()
        for name, key in ((WWW, "rsaEncryption"), (API, "id-ecPublicKey")):
            res = self.s_client("-servername", name, "-alpn", "h2,http/1.1", stdin="Q\n")
            text = res.stdout + res.stderr
            self.assertIn(f"subject=CN = {name}", text.replace("CN=", "CN = "), text)
            self.assertIn("Verification: OK", text, text)
            self.assertIn("ALPN protocol: http/1.1", text, text)
        # No SNI: the default (first) certificate.
        res = self.s_client("-noservername", "-brief", stdin="Q\n")
        self.assertIn(WWW, res.stdout + res.stderr)

    def test_resumption_with_a_ticket(self):
        self.boot()
        sess = os.path.join(self.tmp, "sess.pem")
        for tls in ("-tls1_2", "-tls1_3"):
            # A whole request, and -ign_eof, so s_client stays until the
            # server closes: a TLS 1.3 ticket comes after the handshake.
            first = self.s_client(tls, "-servername", WWW, "-sess_out", sess, "-ign_eof", stdin=REQUEST,
                                  timeout=30)
            self.assertIn("New,", first.stdout, first.stdout + first.stderr)
            again = self.s_client(tls, "-servername", WWW, "-sess_in", sess, "-ign_eof", stdin=REQUEST)
            self.assertIn("Reused,", again.stdout, again.stdout + again.stderr)
        self.assertRegex(self.show("show", "tls"), r"(?m)^\s+0\s+\d+\s+\d+\s+[1-9]")

    def test_hostile_bytes_on_the_tls_port_are_counted(self):
        self.boot()
        # record 45 bytes: a ClientHello of 41 (version, random, empty session id,
        # one cipher, null compression).
        sslv3 = "160300002d01000029" + "0300" + "00" * 32 + "00" + "0002002f" + "0100"
        peers = [
            ("plain HTTP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".hex(), "not-tls"),
            ("SSLv3 hello", sslv3, "protocol-version"),
            ("garbage", "1603010040" + "fe" * 64, "malformed-record"),
        ]
        for _, data, _ in peers:
            script = (f"import socket;s=socket.create_connection(('{VIP}',443),5);"
                      f"s.sendall(bytes.fromhex('{data}'));s.settimeout(5)\n"
                      "try:\n  s.recv(100)\nexcept Exception:\n  pass\n")
            self.lab.run("client", "python3", "-c", script, check=False, timeout=20)
        time.sleep(0.3)
        report = self.show("show", "tls")
        for _, _, reason in peers:
            self.assertIn(reason + "=1", report, report)
        # The appliance still serves.
        self.curl(f"https://{WWW}/")

    def test_no_old_protocols(self):
        self.boot()
        for flag in ("-tls1", "-tls1_1"):
            res = self.s_client(flag, "-cipher", "DEFAULT@SECLEVEL=0", stdin="Q\n")
            self.assertNotEqual(res.returncode, 0, f"{flag} was accepted:\n{res.stdout}")
        self.assertIn("protocol-version=", self.show("show", "tls"))

    def test_cert_update_under_load(self):
        """tls cert update while wrk keeps HTTPS connections busy (new ones every request): not one
        request fails, and the new certificate is served afterwards."""
        self.boot()
        wrk = self.lab.popen("client", "wrk", "-t1", "-c8", "-d4s", "-H", "Connection: close",
                             f"https://{VIP}/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: wrk.poll() is None and (wrk.kill(), wrk.wait(timeout=5)))
        time.sleep(1.0)
        for name in ("www2.pem", "www.pem", "www2.pem"):
            ok = self.ctl("tls", "cert", "update", f"{self.tmp}/www.pem", f"{self.tmp}/{name}")
            self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
            time.sleep(0.5)
        out, _ = wrk.communicate(timeout=30)
        m = re.search(r"(\d+) requests in", out)
        self.assertIsNotNone(m, out)
        self.assertGreater(int(m.group(1)), 100, out)
        self.assertNotIn("Socket errors", out, out)
        self.assertNotIn("Non-2xx", out, out)
        served = self.s_client("-servername", WWW, stdin="Q\n").stdout
        with open(os.path.join(self.tmp, "www2.crt")) as f:
            new_pem = f.read().strip()
        self.assertIn(new_pem.splitlines()[1], served)

    def test_show_tls_certs_and_update(self):
        self.boot()
        certs = self.show("show", "tls", "certs")
        self.assertIn(f"certificate {self.tmp}/www.pem (default)", certs)
        self.assertIn("key         RSA 2048 bits", certs)
        self.assertIn("key         ECDSA P-256", certs)
        before = re.search(r"www.pem \(default\)\n(?:.*\n)*?  sha256\s+(\S+)", certs).group(1)
        bad = self.ctl("tls", "cert", "update", f"{self.tmp}/www.pem", f"{self.tmp}/ca.key")
        self.assertNotEqual(bad.returncode, 0)
        ok = self.ctl("tls", "cert", "update", f"{self.tmp}/www.pem", f"{self.tmp}/www2.pem")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        after = self.show("show", "tls", "certs")
        self.assertNotIn(before, after)
        served = self.s_client("-servername", WWW, stdin="Q\n").stdout
        pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", served, re.S).group(0)
        fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem, text=True,
                            capture_output=True).stdout.strip().split("=")[1]
        self.assertIn(fp, after)

    def test_large_download_and_upload_over_tls(self):
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
        self.addCleanup(os.unlink, big)
        expected = digest.hexdigest()
        proc = self.lab.popen("srv2", sys.executable, PEERS, "sink", "--address", "10.99.2.12", "--port", "8080",
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.kill(), proc.wait(timeout=5)))
        self.assertIn("ready", proc.stdout.readline())
        servers = '[[backend.server]]\nname = "files"\naddress = "10.99.2.11:80"\n'
        self.dplb = self.start(self._testMethodName, extra=tls_config(self.tmp, servers=servers) + f"""
[[frontend]]
name = "upload"
bind = ["{VIP}:8443"]
default_backend = "sink"

[frontend.tls]
certificates = ["{self.tmp}/www.pem"]

[[backend]]
name = "sink"
[[backend.server]]
name = "sink"
address = "10.99.2.12:8080"
""")
        ca = os.path.join(self.tmp, "ca.pem")
        res = self.lab.run("client", "sh", "-c",
                           f"curl -sS --cacert {ca} --resolve {WWW}:443:{VIP} https://{WWW}/files/big.bin | sha256sum",
                           check=False, timeout=240)
        self.assertEqual(res.stdout.split()[0] if res.stdout else "", expected,
                         f"download: {res.stderr}\n{self.dplb.output()}")
        res = self.lab.run("client", "curl", "-sS", "--cacert", ca, "--resolve", f"{WWW}:8443:{VIP}",
                           "-T", big, "-H", "Expect:", f"https://{WWW}:8443/upload", check=False, timeout=240)
        self.assertIn(f"bytes={size} sha256={expected}", res.stdout, f"upload: {res.stderr}\n{self.dplb.output()}")

    def start_tls_nginx(self):
        """An nginx in srv1 with TLS on 10.99.2.11:8443 and :9443, TLS 1.2 only on :8444 (app.internal's
        certificate). One
        request per connection, so each request makes dplb open a new connection and resume."""
        d = os.path.join(self.tmp, "tls-nginx")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        blocks = "".join(f"""
    server {{
        listen 10.99.2.11:{port} ssl;
        ssl_protocols {protocols};
        ssl_certificate {self.tmp}/app.crt;
        ssl_certificate_key {self.tmp}/app.key;
        location = /dn {{
            return 200 "dn=$http_x_ssl_client_dn\\n";
        }}
        location / {{
            return 200 "tls-server $ssl_protocol reused=$ssl_session_reused sni=$ssl_server_name alpn=$ssl_alpn_protocol proto=$http_x_forwarded_proto\\n";
        }}
    }}""" for port, protocols in ((8443, "TLSv1.2 TLSv1.3"), (9443, "TLSv1.2 TLSv1.3"), (8444, "TLSv1.2")))
        with open(conf, "w") as f:
            f.write(f"""user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    keepalive_requests 1;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{blocks}
}}
""")
        self.lab.run("srv1", "/usr/sbin/nginx", "-p", d + "/", "-e", f"{d}/error.log", "-c", conf, timeout=20)
        self.addCleanup(lambda: self.lab.run("srv1", "/usr/sbin/nginx", "-p", d + "/", "-e", f"{d}/error.log",
                                             "-c", conf, "-s", "stop", check=False, timeout=20))

    def test_tls_to_nginx_servers(self):
        """HTTPS end to end: dplb re-encrypts to nginx, checks its certificate and name, resumes the
        session on the next connection; a server whose certificate the CA file does not vouch for
        gets no request (503, counted as unknown-ca)."""
        self.start_tls_nginx()
        self.dplb = self.start(self._testMethodName, extra=tls_config(self.tmp, servers=f"""
[[backend.server]]
name = "app1"
address = "10.99.2.11:8443"
check = true
tls = {{ ca_file = "{self.tmp}/ca.pem", sni = "app.internal" }}

[backend.health_check]
type = "http"
interval = "300ms"
""") + f"""
[[frontend]]
name = "tls12_front"
bind = ["{VIP}:8081"]
default_backend = "tls12"
forwardfor = true

[[backend]]
name = "tls12"
[[backend.server]]
name = "app3"
address = "10.99.2.11:8444"
tls = {{ ca_file = "{self.tmp}/ca.pem", sni = "app.internal" }}

[[frontend]]
name = "untrusted_front"
bind = ["{VIP}:8080"]
default_backend = "untrusted"

[[backend]]
name = "untrusted"
retries = 1
[[backend.server]]
name = "app2"
address = "10.99.2.11:9443"
check = true
tls = {{ ca_file = "{self.tmp}/www.crt", sni = "app.internal" }}

[backend.health_check]
interval = "300ms"
""")
        for port, version in ((80, "TLSv1.3"), (8081, "TLSv1.2")):
            answers = []
            for _ in range(5):
                res = self.lab.run("client", "curl", "-sS", "--max-time", "10", f"http://{VIP}:{port}/",
                                   check=False, timeout=20)
                self.assertEqual(res.returncode, 0, res.stderr + self.dplb.output())
                answers.append(res.stdout)
            for a in answers:
                self.assertIn(f"tls-server {version}", a, answers)
                self.assertIn("sni=app.internal alpn=http/1.1 proto=http", a, answers)
            self.assertIn("reused=.", answers[0], answers)
            self.assertGreaterEqual(sum("reused=r" in a for a in answers), 3, answers)
        # Through the TLS bind too.
        self.assertIn("proto=https", self.curl(f"https://{WWW}/").stdout)
        bad = self.lab.run("client", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                           f"http://{VIP}:8080/", check=False, timeout=20)
        self.assertEqual(bad.stdout, "503", bad.stderr)
        report = self.show("show", "tls")
        m = re.search(r"(?m)^\s+web_servers/app1\s+(\d+)\s+(\d+)\s+(\S+)", report)
        self.assertIsNotNone(m, report)
        self.assertGreaterEqual(int(m.group(2)), 3, report)
        self.assertEqual(m.group(3), "-", report)
        # The request found app2 refused by its connection or already down by its checks.
        self.assertRegex(report, r"(?m)^\s+untrusted/app2\s+0\s+0\s")
        # check_ssl (on by default with tls): an HTTP check over TLS passes at layer 7, a TCP check
        # against the untrusted certificate fails at layer 6 and takes the server down.
        time.sleep(1.5)
        stat = self.show("show", "stat")
        app1 = next(l for l in stat.splitlines() if l.startswith("web_servers,app1,"))
        app2 = next(l for l in stat.splitlines() if l.startswith("untrusted,app2,"))
        self.assertIn(",L7OK,", app1, stat)
        self.assertIn(",UP,", app1, stat)
        self.assertIn(",L6RSP,", app2, stat)
        self.assertIn(",DOWN,", app2, stat)
        self.assertIn("TLS handshake failed: unknown-ca", self.show("show", "servers"))

    def test_sslscan_inventory(self):
        """The protocol and cipher inventory as a scanner sees it: no SSLv2/SSLv3/TLS 1.0/1.1, TLS 1.2
        and 1.3 on, and every TLS 1.2 suite accepted is ECDHE with an AEAD."""
        self.boot()
        res = self.lab.run("client", "sslscan", "--no-colour", "--no-fallback", "--no-renegotiation",
                           "--no-compression", "--no-heartbleed", "--no-groups", f"{VIP}:443",
                           check=False, timeout=120)
        out = res.stdout
        for proto in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"):
            self.assertRegex(out, rf"(?m)^{re.escape(proto)}\s+disabled", out)
        for proto in ("TLSv1.2", "TLSv1.3"):
            self.assertRegex(out, rf"(?m)^{re.escape(proto)}\s+enabled", out)
        suites = re.findall(r"(?m)^(?:Preferred|Accepted)\s+(TLSv1\.[0-3])\s+\d+ bits\s+(\S+)", out)
        self.assertTrue(suites, out)
        for proto, suite in suites:
            self.assertIn(proto, ("TLSv1.2", "TLSv1.3"), out)
            if proto == "TLSv1.2":
                self.assertTrue(suite.startswith("ECDHE-") and ("GCM" in suite or "CHACHA20" in suite),
                                f"{suite} accepted:\n{out}")
        # The appliance still serves after a scanner's hundreds of handshakes.
        self.curl(f"https://{WWW}/")

    def test_ocsp_stapling(self):
        self.boot()
        res = self.s_client("-servername", WWW, "-status", stdin="Q\n")
        text = res.stdout + res.stderr
        self.assertIn("OCSP Response Status: successful", text, text)
        self.assertIn("Cert Status: good", text, text)
        self.assertIn("ocsp        stapled", self.show("show", "tls", "certs"))

    def test_client_certificates(self):
        """verify = "optional" and "required" with ca_file: a certificate from the CA is accepted and
        its subject reaches the server in X-SSL-Client-DN (a client's own X-SSL-Client-DN never does);
        none is fine when optional and refused when required; one from another CA is refused."""
        self.start_tls_nginx()
        frontends = "".join(f"""
[[frontend]]
name = "mtls_{verify}"
bind = ["{VIP}:{port}"]
default_backend = "app"

[frontend.tls]
certificates = ["{self.tmp}/www.pem"]
verify = "{verify}"
ca_file = "{self.tmp}/ca.pem"
""" for verify, port in (("optional", 9443), ("required", 9444)))
        self.dplb = self.start(self._testMethodName, extra=tls_config(self.tmp) + frontends + f"""
[[backend]]
name = "app"
[[backend.server]]
name = "app1"
address = "10.99.2.11:8443"
tls = {{ ca_file = "{self.tmp}/ca.pem", sni = "app.internal" }}
""")
        t = self.tmp
        alice = ["--cert", f"{t}/alice.crt", "--key", f"{t}/alice.key"]
        mallory = ["--cert", f"{t}/mallory.crt", "--key", f"{t}/mallory.key"]
        spoof = ["-H", "X-SSL-Client-DN: /CN=admin"]
        for port in (9443, 9444):
            res = self.curl(*alice, *spoof, f"https://{WWW}:{port}/dn", check=False)
            self.assertEqual(res.stdout, "dn=/CN=alice\n", f"{port}: {res.stderr}")
        res = self.curl(*spoof, f"https://{WWW}:9443/dn", check=False)
        self.assertEqual(res.stdout, "dn=\n", res.stderr)
        for args, port in ((mallory, 9443), (mallory, 9444), ([], 9444)):
            res = self.curl(*args, f"https://{WWW}:{port}/dn", check=False)
            self.assertNotEqual(res.returncode, 0, f"{port} {args}: {res.stdout}")
            self.assertNotIn("dn=", res.stdout)
        report = self.show("show", "tls")
        self.assertRegex(report, r"(unknown-ca|bad-certificate)=[1-9]", report)


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
