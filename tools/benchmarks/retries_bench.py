#!/usr/bin/env python3
"""Layer-7 retries against server faults, HAProxy 2.6 and dplb in the same lab
and the same run: failed requests per fault. Prints figures, never passes or fails.

    tools/bench retries [--duration=S] [--connections=N] [--only=NAME] [--fault=kill|term|stop]

The lab is tools/bench http's (a client, lb1, three nginx servers; the load
balancer on CPU 0). For each load balancer and each fault, a fresh load balancer
and a full set of nginx servers; wrk makes keep-alive GET requests for
--duration seconds; one second in, server2's nginx is
  kill  SIGKILLed (the kernel resets its connections, later connects are refused),
  term  SIGTERMed (nginx's fast shutdown: listeners closed, connections dropped),
  stop  SIGSTOPped, and SIGCONTed two seconds later (a hung server).
Both sides keep the reference's `check` on every server, at the default
intervals (2 s, 3 failures to go down): the faults fall before a check notices.

The load balancers:
  haproxy             the reference's backend as it stands: retry-on
                      all-retryable-errors, retries 3, disable-l7-retry if
                      METH_POST, no `option redispatch` (retries stay on the
                      server that failed).
  haproxy-redispatch  the same with `option redispatch 1` (every retry may go
                      to another server), HAProxy's best case.
  dplb                the same backend in TOML (redispatch is dplb's default:
                      the last retry), with timeout_per_try 500ms and a budget
                      floor sized for wrk's connections (docs/operations.md 11a).
  dplb-redispatch     the same with `redispatch = 1`, as haproxy-redispatch.

Failed = wrk's non-2xx/3xx responses plus its socket errors (connect, read,
write, timeout at --timeout). Also requests done, p99 latency (wrk --latency)
and, for dplb, its retry counters.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tools", "benchmarks"))
import http_bench as hb  # noqa: E402

labmod = hb.labmod
VIP = hb.VIP
URL = hb.URL
FAULTS = ("kill", "term", "stop")
LBS = ("haproxy", "haproxy-redispatch", "dplb", "dplb-redispatch")

HAPROXY_CFG = """\
# tools/bench retries: the reference's backend, one thread, no logging.
global
    maxconn 8000
    nbthread 1
    pidfile {tmp}/haproxy.pid

defaults
    mode http
    option http-keep-alive
    timeout connect 5000
    timeout client 50000
    timeout server 50000

frontend http_front
    bind {vip}:80
    default_backend web_servers

backend web_servers
    balance roundrobin
    retry-on all-retryable-errors
    http-request disable-l7-retry if METH_POST
{redispatch}    server server1 10.99.2.11:80 check
    server server2 10.99.2.12:80 check
    server server3 10.99.2.13:80 check
"""

DPLB_CFG = """\
# tools/bench retries: the reference's backend in dplb's terms, one worker on CPU 0.
[dataplane]
workers = [1]
control_lcore = 0
hugepages = false
memory_mb = 512
idle_sleep_us = {idle_sleep_us}
eal_args = ["--lcores", "0@{cpu},1@{cpu}"]

[console]
socket = "{socket}"

[log]
level = "notice"

[[port]]
name = "front"
device = "net_af_packet0,iface=front"
address = "{vip}/24"

[[port]]
name = "back"
device = "net_af_packet1,iface=back"
address = "{back}/24"

[[frontend]]
name = "http_front"
bind = ["{vip}:80"]
default_backend = "web_servers"
timeout_client = "50s"

[[backend]]
name = "web_servers"
balance = "roundrobin"
timeout_connect = "5s"
timeout_server = "50s"
retry_on = ["all-retryable-errors"]
timeout_per_try = "500ms"
redispatch = {redispatch}
retry_budget = {{ percent = 20, min_concurrent = {budget_floor} }}

[[backend.http_request]]
action = "disable-l7-retry"
if = "METH_POST"
""" + "".join(f'\n[[backend.server]]\nname = "server{i}"\naddress = "10.99.2.1{i}:80"\ncheck = true\n'
              for i in (1, 2, 3))


class RetriesBench(hb.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.rows = []  # (lb, fault, figures)

    def start_named(self, lb):
        if lb.startswith("haproxy"):
            cfg = os.path.join(self.tmp, "haproxy.cfg")
            with open(cfg, "w") as f:
                f.write(HAPROXY_CFG.format(tmp=self.tmp, vip=VIP, redispatch=(
                    "    option redispatch 1\n" if lb == "haproxy-redispatch" else "")))
            labmod.sh(hb.HAPROXY, "-c", "-q", "-f", cfg)
            self.add_addresses()
            self.popen_lb("haproxy", hb.HAPROXY, "-db", "-f", cfg)
            if not self.wait_serving("haproxy", 15):
                raise hb.BenchError("HAProxy does not answer on " + URL + "\n" + self.output("haproxy"))
            return
        sock = os.path.join(self.tmp, "dplb.sock")
        cfg = os.path.join(self.tmp, "dplb.toml")
        with open(cfg, "w") as f:
            f.write(DPLB_CFG.format(idle_sleep_us=self.args.idle_sleep_us, cpu=hb.LB_CPU, socket=sock, vip=VIP,
                                    back=hb.BACK_ADDR, budget_floor=self.args.budget_floor,
                                    redispatch="1" if lb == "dplb-redispatch" else "true"))
        res = labmod.sh(self.args.dplb, "-c", cfg, "--check", check=False)
        if res.returncode != 0:
            raise hb.BenchError(f"dplb --check refuses the configuration:\n{res.stdout}{res.stderr}")
        self.remove_addresses()
        self.popen_lb("dplb", self.args.dplb, "-c", cfg)
        if not self.wait_serving("dplb", self.args.dplb_wait):
            raise hb.BenchError(f"dplb does not proxy {URL} within {self.args.dplb_wait} s\n" + self.output("dplb"))
        self.dplb_sock = sock

    # server2's nginx

    def nginx2_pids(self):
        return labmod.namespace_pids(self.lab.ns("srv2"))

    def signal_server2(self, sig):
        for pid in self.nginx2_pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def restore_server2(self):
        self.signal_server2(signal.SIGCONT)
        deadline = time.monotonic() + 10
        while self.nginx2_pids() and time.monotonic() < deadline:
            res = self.lab.run("srv2", "curl", "-sS", "--max-time", "1", "http://10.99.2.12/", check=False,
                               timeout=5)
            if res.returncode == 0:
                break
            time.sleep(0.2)
        if not self.nginx2_pids():
            self.lab._start_nginx(2)
        for pid in self.nginx2_pids():
            labmod.sh("taskset", "-a", "-p", "-c", str(hb.PEER_CPU), str(pid), check=False)

    def fault(self, which):
        if which == "kill":
            self.signal_server2(signal.SIGKILL)
        elif which == "term":
            self.signal_server2(signal.SIGTERM)
        else:
            self.signal_server2(signal.SIGSTOP)

    # one run

    def run_case(self, lb, which):
        self.restore_server2()
        self.start_named(lb)
        try:
            wrk = self.lab.popen("client", "taskset", "-c", str(hb.PEER_CPU), "wrk", "-t1",
                                 f"-c{self.args.connections}", f"-d{self.args.duration}s", "--timeout",
                                 f"{self.args.timeout}s", "--latency", URL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(1.0)
                self.fault(which)
                if which == "stop":
                    time.sleep(2.0)
                    self.signal_server2(signal.SIGCONT)
                out, err = wrk.communicate(timeout=self.args.duration + self.args.timeout + 30)
            finally:
                if wrk.poll() is None:
                    wrk.kill()
                    wrk.communicate()
            figures = parse_wrk(out)
            if self.args.verbose:
                print(out + err, flush=True)
            if lb.startswith("dplb"):
                figures["counters"] = self.dplb_retry_counters()
            self.rows.append((lb, which, figures))
            print(format_row(lb, which, figures), flush=True)
        finally:
            self.stop_lb()
            self.remove_addresses()
            self.clear_peer_connections()
            self.restore_server2()

    def dplb_retry_counters(self):
        text = self.dplb_ctl("show", "backends")
        lines = [l.strip() for l in text.splitlines() if l.strip().startswith(("l7-retries", "not-retried"))]
        m = re.search(r"\bretries (\d+)\s+redispatches (\d+)", text)
        head = f"retries {m.group(1)} redispatches {m.group(2)}; " if m else ""
        return head + "; ".join(lines)


def parse_wrk(out):
    def num(pattern):
        m = re.search(pattern, out)
        return int(m.group(1)) if m else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = [int(g) for g in sock.groups()] if sock else [0, 0, 0, 0]
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M)
    return {"requests": num(r"(\d+) requests in"), "non2xx": num(r"Non-2xx or 3xx responses: (\d+)"),
            "socket": errors, "failed": num(r"Non-2xx or 3xx responses: (\d+)") + sum(errors),
            "p99": p99.group(1) if p99 else "?"}


HEADER = f"{'load balancer':<20} {'fault':<6} {'requests':>9} {'failed':>7} {'non-2xx':>8} " \
         f"{'sock c/r/w/t':>14} {'p99':>9}"


def format_row(lb, which, f):
    sock = "/".join(str(n) for n in f["socket"])
    row = (f"{lb:<20} {which:<6} {f['requests']:>9} {f['failed']:>7} {f['non2xx']:>8} {sock:>14} "
           f"{f['p99']:>9}")
    if f.get("counters"):
        row += f"\n{'':<28}dplb: {f['counters']}"
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tools/bench retries", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dplb", default=os.path.join(ROOT, "build/release/dplb"))
    ap.add_argument("--duration", type=int, default=5, help="seconds of wrk per case (the fault at 1 s)")
    ap.add_argument("--connections", type=int, default=8, help="wrk -c")
    ap.add_argument("--timeout", type=int, default=5, help="wrk --timeout, seconds: slower counts as failed")
    ap.add_argument("--only", choices=LBS, action="append", help="run this load balancer (repeatable)")
    ap.add_argument("--fault", choices=FAULTS, action="append", help="run this fault (repeatable)")
    ap.add_argument("--budget-floor", type=int, default=8, help="dplb's retry_budget min_concurrent")
    ap.add_argument("--idle-sleep-us", type=int, default=100, help="dplb's idle_sleep_us")
    ap.add_argument("--dplb-wait", type=int, default=20)
    ap.add_argument("--prefix", default=f"dplbrb{os.getpid()}", help="lab namespace prefix")
    ap.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    args = ap.parse_args(argv)
    # What http_bench's Bench reads and this benchmark does not vary.
    args.tls, args.rps = "off", True
    if os.geteuid() != 0:
        print("tools/bench retries: needs root (network namespaces)", file=sys.stderr)
        return 1
    for tool in ("wrk", "taskset", "curl"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"tools/bench retries: {tool} is missing (tools/setup installs it)", file=sys.stderr)
            return 1
    haproxy_version = subprocess.run([hb.HAPROXY, "-v"], text=True, capture_output=True).stdout.split("\n", 1)[0]
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True,
                            capture_output=True).stdout.strip()
    hb.log(f"{haproxy_version.strip()}; dplb {commit}; wrk -t1 -c{args.connections} -d{args.duration}s "
           f"--timeout {args.timeout}s, keep-alive GET; fault on server2's nginx at 1 s; dplb budget floor "
           f"{args.budget_floor}")
    bench = RetriesBench(args)
    status = 0
    try:
        bench.up()
        print(HEADER, flush=True)
        for lb in args.only or LBS:
            for which in args.fault or FAULTS:
                try:
                    bench.run_case(lb, which)
                except hb.BenchError as e:
                    print(f"tools/bench retries: {lb} {which}: {e}", file=sys.stderr)
                    status = 1
        by = {(lb, which): f for lb, which, f in bench.rows}
        for which in args.fault or FAULTS:
            text = ", ".join(f"{lb} {by[(lb, which)]['failed']}" for lb in LBS if (lb, which) in by)
            if text:
                print(f"failed on {which}: {text}", flush=True)
    except labmod.LabError as e:
        print(f"tools/bench retries: lab: {e}", file=sys.stderr)
        status = 1
    finally:
        bench.down()
    return status


if __name__ == "__main__":
    sys.exit(main())
