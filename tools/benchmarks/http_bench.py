#!/usr/bin/env python3
"""HAProxy 2.6 and dplb as HTTP load balancers, one after the other, on the
same lab (tools/lab.py: a client, lb1, three nginx servers), the same nginx
servers and the same wrk client. Prints figures, never passes or fails.

    tools/bench http [--duration=S] [--connections=N] [--only=haproxy|dplb]
                     [--mode=keepalive|close] [--idle-sleep-us=N] ...

What runs where:
  CPU 0: the load balancer alone. HAProxy (`nbthread 1`) under `taskset -c 0`;
         dplb under `taskset -c 0` with EAL `--lcores 0@0,1@0`, so its
         control lcore (0) and its one worker (lcore 1) both run on CPU 0.
  CPU 1: the three nginx servers (re-pinned after the lab starts them) and
         wrk (`taskset -c 1` inside `ip netns exec`).
By default (--rps=on) every receiving veth end is given an RPS mask so that
the kernel's receive work for a packet runs on its receiver's CPU: lb1's
`front`/`back` on CPU 0, everything else (the switch's bridge ports, the
client's and the servers' eth0) on CPU 1. Without it, a veth delivers on the
sender's CPU: CPU 0 would be charged the peers' TCP receive processing and
not the load balancer's own (see docs/performance.md, "HTTP proxy").

For each load balancer and mode (keep-alive: wrk's default; close: wrk -H
"Connection: close", one request per connection) a freshly started load
balancer gets a warm-up, then wrk -t1 -cN -dS --latency. Printed per run:
requests/s, wrk's latency percentiles, errors (socket errors and non-2xx),
and the CPU 0 time per request two ways: from the /proc/stat busy fields
(user + nice + system + irq + softirq + steal; idle and iowait excluded),
which the kernel samples at each tick, and as wall-clock time minus idle and
iowait, which a tickless kernel keeps exactly. The first misses much of the
work done in short bursts between idle periods (dplb's worker sleeping
idle_sleep_us), so read the second. Also the load balancer process's own
time, CPU 1's load, and the CPU time other programs took meanwhile: a run
they disturbed is run again (--retries), after waiting for a quiet machine.
For dplb, its own counters after each run: TIME_WAIT, failed connections to
the servers, retransmissions, drops.

HAProxy gets lb1's addresses (10.99.1.2/24 on front, 10.99.2.2/24 on back)
only while it runs; dplb opens the same links through net_af_packet with
the kernel's addresses removed. After each load balancer stops, what the
servers and the client still hold towards lb1 is dropped (ss -K): dplb does
not reset its connections when it stops.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tools"))
import lab as labmod  # noqa: E402

VIP = "10.99.1.2"
BACK_ADDR = "10.99.2.2"
URL = f"http://{VIP}/"
LB_CPU = 0
PEER_CPU = 1
HAPROXY = "/usr/sbin/haproxy"
USER_HZ = os.sysconf("SC_CLK_TCK")
STAT_FIELDS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
BUSY_FIELDS = ["user", "nice", "system", "irq", "softirq", "steal"]

HAPROXY_CFG = """\
# tools/bench http: the lab's proxy as HAProxy 2.6 runs it, one thread, no logging.
global
    maxconn 8000
    nbthread 1
    pidfile {tmp}/haproxy.pid

defaults
    mode http
    option http-keep-alive
    http-reuse safe
    timeout connect 5000
    timeout client 50000
    timeout server 50000

frontend http_front
    bind {vip}:80
{tls_bind}    default_backend web_servers

backend web_servers
    balance roundrobin
    server server1 10.99.2.11:80
    server server2 10.99.2.12:80
    server server3 10.99.2.13:80
"""

# workers = [1] and control_lcore = 0 keep the configuration valid; the
# --lcores override maps both lcores onto CPU 0 (dataplane/port/eal_arguments.cc:
# an eal_args option replaces the derived options of its kind, here -l).
DPLB_CFG = """\
# tools/bench http: dplb with one worker on CPU 0, sharing it with the control lcore.
[dataplane]
workers = [1]
control_lcore = 0
hugepages = false
memory_mb = 512
idle_sleep_us = {idle_sleep_us}
idle_sleep_max_us = {idle_sleep_max_us}
eal_args = ["--lcores", "0@{cpu},1@{cpu}"]

[console]
socket = "{socket}"

[log]
level = "notice"

[tcp]
{time_wait}# Linux keeps up to net.ipv4.tcp_max_tw_buckets (131072 on this machine)
# TIME_WAIT sockets on top of its open connections; dplb counts TIME_WAIT in
# max_connections (default 65536), which a close-mode run at several thousand
# connections/s would fill (a TIME_WAIT on each side of every request).
max_connections = {max_connections}

[[port]]
name = "front"
device = "{front_device}"
address = "{vip}/24"

[[port]]
name = "back"
device = "{back_device}"
address = "{back}/24"

[[frontend]]
name = "http_front"
bind = {binds}
default_backend = "web_servers"
maxconn = 8000
timeout_client = "50s"
{tls_table}
[[backend]]
name = "web_servers"
balance = "roundrobin"
http_reuse = "safe"
timeout_connect = "5s"
timeout_server = "50s"

[[backend.server]]
name = "server1"
address = "10.99.2.11:80"

[[backend.server]]
name = "server2"
address = "10.99.2.12:80"

[[backend.server]]
name = "server3"
address = "10.99.2.13:80"
"""


class BenchError(RuntimeError):
    pass


def log(msg):
    print(f"# {msg}", flush=True)


# --- CPU accounting ---------------------------------------------------------------------------

def cpu_stat(cpu):
    """The /proc/stat line of one CPU, in USER_HZ ticks."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                values = [int(v) for v in line.split()[1:1 + len(STAT_FIELDS)]]
                return dict(zip(STAT_FIELDS, values))
    raise BenchError(f"no cpu{cpu} line in /proc/stat")


def process_ticks(pid):
    """utime + stime of a process, all its threads, in USER_HZ ticks (0 if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


PF_KTHREAD = 0x00200000


def user_process_ticks(exclude):
    """{pid: (start time, utime + stime + cutime + cstime)} of every user-space process but
    those in `exclude`. A process that exits is counted in its parent's cutime once reaped."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in exclude:
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[6]) & PF_KTHREAD:
            continue
        out[int(name)] = (fields[19], sum(int(v) for v in fields[11:15]))
    return out


def foreign_ticks(a, b):
    """CPU ticks other programs used between two user_process_ticks() snapshots. A process
    that exited in between took its whole time (before the first snapshot too) into its
    parent's cutime: that earlier part is taken off again."""
    total = 0
    for pid, (start, ticks) in b.items():
        before = a.get(pid)
        total += ticks - before[1] if before is not None and before[0] == start else ticks
    for pid, (start, ticks) in a.items():
        after = b.get(pid)
        if after is None or after[0] != start:
            total -= ticks
    return max(0, total)


class CpuSample:
    """CPU 0 and CPU 1 counters, the load balancer's CPU time, and every other user-space
    program's (not the load balancer, nginx, this script or its children such as wrk),
    at one instant."""

    def __init__(self, pid=None, exclude=()):
        self.t = time.monotonic()
        self.lb = cpu_stat(LB_CPU)
        self.peer = cpu_stat(PEER_CPU)
        self.proc = process_ticks(pid) if pid else 0
        self.others = user_process_ticks(set(exclude) | {pid, os.getpid()})


class CpuDelta:
    def __init__(self, a, b):
        self.seconds = b.t - a.t
        self.lb = {k: b.lb[k] - a.lb[k] for k in STAT_FIELDS}
        self.peer = {k: b.peer[k] - a.peer[k] for k in STAT_FIELDS}
        self.proc = b.proc - a.proc
        self.foreign = foreign_ticks(a.others, b.others)

    @staticmethod
    def us(ticks):
        return ticks * 1e6 / USER_HZ

    def busy(self, which="lb"):
        d = self.lb if which == "lb" else self.peer
        return sum(d[k] for k in BUSY_FIELDS)

    def pct(self, ticks):
        """Ticks as % of one CPU over the interval."""
        return 100.0 * self.us(ticks) / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def util(self, which="lb"):
        return self.pct(self.busy(which))

    def wall_busy(self, which="lb"):
        """Busy ticks as the wall-clock time minus idle and iowait, which the kernel keeps
        exactly on a tickless CPU (the busy fields themselves are sampled at each tick, and a
        tick does not fire in work done between two idle periods)."""
        d = self.lb if which == "lb" else self.peer
        return max(0.0, self.seconds * USER_HZ - d["idle"] - d["iowait"])


def wait_quiet(pid, exclude, threshold, max_wait):
    """Waits until other programs use at most `threshold` % of one CPU (both CPUs
    together), for at most `max_wait` seconds. Returns the last figure seen."""
    deadline = time.monotonic() + max_wait
    said = 0.0
    while True:
        a = CpuSample(pid, exclude)
        time.sleep(1.0)
        d = CpuDelta(a, CpuSample(pid, exclude))
        foreign = d.pct(d.foreign)
        if foreign <= threshold or time.monotonic() >= deadline:
            if foreign > threshold:
                log(f"WARNING: the machine is busy ({foreign:.0f} % of a CPU used by other "
                    f"programs); the figures below are disturbed")
            return foreign
        if time.monotonic() - said >= 30:
            said = time.monotonic()
            log(f"waiting for a quiet machine ({foreign:.0f} % of a CPU used by other programs)")
        time.sleep(1.0)


def threads_placement(pid):
    """'name: allowed CPUs / last CPU' for every thread of a process."""
    out = []
    try:
        tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return "(process gone)"
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                allowed = re.search(r"Cpus_allowed_list:\s*(\S+)", f.read()).group(1)
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                last = f.read().rsplit(")", 1)[1].split()[36]
        except (OSError, AttributeError, IndexError):
            continue
        out.append(f"{name} {allowed}/{last}")
    return ", ".join(out)


# --- wrk ------------------------------------------------------------------------------------

UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}


def to_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS_US[m.group(2)] if m else float("nan")


def parse_wrk(out):
    r = {"requests": 0, "rps": 0.0, "errors": 0, "non2xx": 0, "socket_errors": 0}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        r[f"p{pct}"] = to_us(m.group(1)) if m else float("nan")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["socket_errors"] = sum(int(g) for g in m.groups())
        r["socket_detail"] = m.group(0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        r["non2xx"] = int(m.group(1))
    r["errors"] = r["socket_errors"] + r["non2xx"]
    return r


def wrk_command(duration, connections, threads, close, url=URL):
    cmd = ["taskset", "-c", str(PEER_CPU), "wrk", f"-t{threads}", f"-c{connections}",
           f"-d{duration}s", "--latency", "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    return cmd + [url]


TLS_URL = f"https://{VIP}/"


def make_certificate(tmp, kind):
    """A self-signed certificate and its key in one PEM (HAProxy's crt layout, which dplb
    reads too): RSA-2048 or ECDSA P-256."""
    key = ["-newkey", "rsa:2048"] if kind == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    crt, keyfile, pem = (os.path.join(tmp, f"bench-{kind}.{x}") for x in ("crt", "key", "pem"))
    subprocess.run(["openssl", "req", "-x509", *key, "-nodes", "-keyout", keyfile, "-out", crt, "-days", "7",
                    "-subj", "/CN=bench.test", "-addext", "subjectAltName=DNS:bench.test"],
                   check=True, capture_output=True, timeout=60)
    with open(pem, "w") as out:
        for part in (crt, keyfile):
            with open(part) as f:
                out.write(f.read())
    return pem


# --- the bench ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.lab = None
        self.tmp = tempfile.mkdtemp(prefix="dplb-http-bench-")
        self.lb_proc = None
        self.lb_name = None
        self.addresses = False
        self.results = []   # (lb, mode, figures)
        self.peer_pids = []  # the nginx processes
        self.idle = {}      # lb -> CPU 0 % with no traffic
        self.idle_tls = {}  # lb -> resident bytes per idle TLS connection (--tls)
        # --tls: both load balancers also terminate TLS on :443 and wrk measures that; curl
        # keeps checking the plain bind on :80.
        self.pem = make_certificate(self.tmp, args.tls) if args.tls != "off" else None
        self.url = TLS_URL if self.pem else URL

    # lab and placement

    def up(self):
        self.lab = labmod.Lab(self.args.prefix, lbs=1, servers=3, nginx=True)
        self.lab.up()
        for i in (1, 2, 3):
            for pid in labmod.namespace_pids(self.lab.ns(f"srv{i}")):
                labmod.sh("taskset", "-a", "-p", "-c", str(PEER_CPU), str(pid), check=False)
                self.peer_pids.append(pid)
        if self.args.rps:
            self.set_rps()

    def set_rps(self):
        def rps(ns, ifname, cpu):
            path = f"/sys/class/net/{ifname}/queues/rx-0/rps_cpus"
            self.lab.run(ns, "sh", "-c", f"echo {1 << cpu:x} > {path}")
        rps("lb1", "front", LB_CPU)
        rps("lb1", "back", LB_CPU)
        rps("client", "eth0", PEER_CPU)
        for i in (1, 2, 3):
            rps(f"srv{i}", "eth0", PEER_CPU)
        for ifname in ("lb1-front", "lb1-back", "c-eth0", "s1-eth0", "s2-eth0", "s3-eth0"):
            rps("sw", ifname, PEER_CPU)

    def down(self):
        self.stop_lb()
        if self.lab is not None:
            self.lab.down()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add_addresses(self):
        self.lab.run("lb1", "ip", "addr", "add", f"{VIP}/24", "dev", "front")
        self.lab.run("lb1", "ip", "addr", "add", f"{BACK_ADDR}/24", "dev", "back")
        self.addresses = True

    def remove_addresses(self):
        if not self.addresses:
            return
        self.lab.run("lb1", "ip", "addr", "flush", "dev", "front", check=False)
        self.lab.run("lb1", "ip", "addr", "flush", "dev", "back", check=False)
        self.lab.run("lb1", "ip", "neigh", "flush", "all", check=False)
        self.addresses = False

    def stop_lb(self):
        proc, self.lb_proc = self.lb_proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self.lab is not None:
            self.remove_addresses()
            self.clear_peer_connections()

    def clear_peer_connections(self):
        """Drops what the servers and the client still hold towards lb1. dplb does not reset
        its connections when it stops, so nginx keeps them open (up to its keepalive_timeout);
        the next dplb would choose the same local ports, meet those stale connections and
        wait a SYN retransmission (1 s) on each."""
        for i in (1, 2, 3):
            self.lab.run(f"srv{i}", "ss", "-K", "dst", BACK_ADDR, check=False)
        self.lab.run("client", "ss", "-K", "dst", VIP, check=False)

    def curl_ok(self, timeout=2):
        res = self.lab.run("client", "curl", "-sS", "--max-time", str(timeout), URL, check=False,
                           timeout=timeout + 5)
        return res.returncode == 0 and res.stdout.startswith("server")

    def wait_serving(self, what, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.lb_proc.poll() is not None:
                raise BenchError(f"{what} exited with status {self.lb_proc.returncode}\n"
                                 + self.output(what))
            if self.curl_ok():
                return True
            time.sleep(0.5)
        return False

    def output(self, what):
        parts = []
        for stream in ("stdout", "stderr"):
            path = os.path.join(self.tmp, f"{what}.{stream}")
            try:
                with open(path, errors="replace") as f:
                    text = f.read()[-4000:]
            except OSError:
                continue
            if text.strip():
                parts.append(f"--- {what} {stream} (end) ---\n{text}")
        return "\n".join(parts)

    def popen_lb(self, what, *cmd):
        out = open(os.path.join(self.tmp, f"{what}.stdout"), "w")
        err = open(os.path.join(self.tmp, f"{what}.stderr"), "w")
        with out, err:
            # ip netns exec and taskset exec: the pid is the load balancer's own.
            self.lb_proc = self.lab.popen("lb1", "taskset", "-c", str(LB_CPU), *cmd,
                                          stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    # the two load balancers

    def start_haproxy(self):
        if not os.access(HAPROXY, os.X_OK):
            raise BenchError(f"{HAPROXY} not found (apt-get install haproxy)")
        cfg = os.path.join(self.tmp, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG.format(tmp=self.tmp, vip=VIP,
                                       tls_bind=f"    bind {VIP}:443 ssl crt {self.pem}\n" if self.pem else ""))
        labmod.sh(HAPROXY, "-c", "-q", "-f", cfg)
        self.add_addresses()
        # -db: foreground, one process; no master-worker.
        self.popen_lb("haproxy", HAPROXY, "-db", "-f", cfg)
        if not self.wait_serving("haproxy", 15):
            raise BenchError("HAProxy does not answer on " + URL + "\n" + self.output("haproxy"))

    def start_dplb(self):
        sock = os.path.join(self.tmp, "dplb.sock")
        cfg = os.path.join(self.tmp, "dplb.toml")
        with open(cfg, "w") as f:
            f.write(DPLB_CFG.format(idle_sleep_us=self.args.idle_sleep_us, idle_sleep_max_us=self.args.idle_sleep_max_us, cpu=LB_CPU, socket=sock,
                                    vip=VIP, back=BACK_ADDR,
                                    binds=(f'[{{ address = "{VIP}:80", tls = false }}, "{VIP}:443"]' if self.pem
                                           else f'["{VIP}:80"]'),
                                    tls_table=(f'\n[frontend.tls]\ncertificates = ["{self.pem}"]\n' if self.pem else ""),
                                    max_connections=self.args.max_connections,
                                    front_device=f"net_{self.args.port_driver}0,iface=front{self.args.device_args}",
                                    back_device=f"net_{self.args.port_driver}1,iface=back{self.args.device_args}",
                                    time_wait=(f'time_wait = "{self.args.dplb_time_wait}"\n'
                                               if self.args.dplb_time_wait else "")))
        res = labmod.sh(self.args.dplb, "-c", cfg, "--check", check=False)
        if res.returncode != 0:
            raise BenchError(f"dplb --check refuses the configuration:\n{res.stdout}{res.stderr}")
        self.remove_addresses()
        self.popen_lb("dplb", self.args.dplb, "-c", cfg)
        if not self.wait_serving("dplb", self.args.dplb_wait):
            raise BenchError(f"dplb does not proxy {URL} within {self.args.dplb_wait} s (is the "
                             f"proxy wired into the appliance yet?)\n" + self.output("dplb"))
        self.dplb_sock = sock
        if self.args.port_driver == "af_xdp":
            self.pin_xdp_napi()

    def pin_xdp_napi(self):
        """With an XDP program on lb1's veths, a frame sent to them is handed to the XDP
        program (and copied into dplb's UMEM) by the veth's NAPI poll, which runs on the
        sender's CPU, before RPS could move it: CPU 0 would not be charged dplb's receive
        work. Threaded NAPI runs that poll in a kthread per veth queue, pinned to CPU 0."""
        for ifname in ("front", "back"):
            self.lab.run("lb1", "sh", "-c", f"echo 1 > /sys/class/net/{ifname}/threaded")
        time.sleep(0.2)
        pinned = []
        out = labmod.sh("ps", "-eo", "pid=,comm=").stdout
        for line in out.splitlines():
            pid, _, comm = line.strip().partition(" ")
            if re.match(r"napi/(front|back)-\d+$", comm.strip()):
                labmod.sh("taskset", "-p", "-c", str(LB_CPU), pid, check=False)
                pinned.append(comm.strip())
        if len(pinned) < 2:
            raise BenchError(f"threaded NAPI: expected a kthread per veth of lb1, found {pinned}")

    def dplb_health(self):
        """dplb's own account of trouble during the run: drops, retransmissions, failed
        connections to the servers."""
        def num(text, key):
            m = re.search(rf"\b{re.escape(key)}\s+(\d+)", text)
            return int(m.group(1)) if m else 0
        try:
            tcp = self.dplb_ctl("show", "tcp")
            backends = self.dplb_ctl("show", "backends")
            ports = self.dplb_ctl("show", "ports")
        except (subprocess.SubprocessError, OSError) as e:
            return f"dplb ctl failed: {e}"
        rx_missed = sum(int(v) for v in re.findall(r"rx-missed (\d+)", ports))
        rx_nombuf = sum(int(v) for v in re.findall(r"rx-nombuf (\d+)", ports))
        tx_full = sum(int(v) for v in re.findall(r"tx-full (\d+)", ports))
        parts = [f"time-wait {num(tcp, 'time-wait')}", f"time-wait-reused {num(tcp, 'time-wait-reused')}",
                 f"no-port {num(tcp, 'no-port')}", f"connect-errors {num(backends, 'connect-errors')}",
                 f"5xx {num(backends, '5xx')}", f"retransmits {num(tcp, 'retransmits')}",
                 f"syn-retransmits {num(tcp, 'syn-retransmits')}",
                 f"resets-received {num(tcp, 'resets-received')}", f"rx-missed {rx_missed}",
                 f"rx-nombuf {rx_nombuf}", f"tx-full {tx_full}"]
        text = "dplb counters: " + ", ".join(parts)
        if num(tcp, "no-port"):
            text += ("; it ran out of local ports towards the servers (every one of them in "
                     "TIME_WAIT): requests waited for retries and some got 503")
        return text

    def dplb_ctl(self, *words):
        res = subprocess.run([self.args.dplb, "ctl", "-s", self.dplb_sock, *words], text=True,
                             capture_output=True, timeout=10)
        return res.stdout + res.stderr

    # one measurement

    def start(self, lb):
        """A fresh load balancer: no TIME_WAIT, pool or counter left from an earlier run."""
        if lb == "haproxy":
            self.start_haproxy()
        else:
            self.start_dplb()

    def idle_check(self, lb):
        """Starts the load balancer once to show where its threads run and what it costs
        with no traffic. False if it cannot be started."""
        try:
            self.start(lb)
        except BenchError as e:
            print(f"tools/bench http: {e}", file=sys.stderr)
            self.stop_lb()
            return False
        log(f"{lb} threads (allowed CPUs/last CPU): {threads_placement(self.lb_proc.pid)}")
        self.idle_load(lb)
        if self.pem and self.args.idle_tls > 0:
            self.idle_tls_memory(lb)
        self.stop_lb()
        return True

    IDLE_TLS_CLIENT = """
import socket, ssl, sys, time
n = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
held = []
for i in range(n):
    s = socket.create_connection((sys.argv[2], 443), 5)
    t = ctx.wrap_socket(s, server_hostname="bench.test")
    t.sendall(b"GET / HTTP/1.1\\r\\nHost: bench.test\\r\\n\\r\\n")
    t.recv(4096)
    held.append(t)
print("ready", flush=True)
sys.stdin.read()
"""

    def idle_tls_memory(self, lb):
        """Bytes of the load balancer's resident memory per idle established TLS connection
        (each has served one request): RSS with --idle-tls connections held open, minus RSS
        before, over their number."""
        def rss_kb():
            with open(f"/proc/{self.lb_proc.pid}/status") as f:
                return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        n = self.args.idle_tls
        before = rss_kb()
        proc = self.lab.popen("client", sys.executable, "-c", self.IDLE_TLS_CLIENT, str(n), VIP,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            if "ready" not in line:
                log(f"{lb} idle TLS: the client could not open {n} connections: {proc.stderr.read()[-500:]}")
                return
            time.sleep(1.0)
            after = rss_kb()
        finally:
            proc.kill()
            proc.wait(timeout=10)
        per = (after - before) * 1024 / n
        self.idle_tls[lb] = per
        log(f"{lb} idle TLS: {n} established connections held open add {after - before} KB of resident "
            f"memory, {per:.0f} bytes each")

    def measure(self, lb, mode):
        """Runs one case on a freshly started load balancer; runs it again (up to --retries
        times, each time on a new instance) when other programs used the CPUs during it, and
        keeps the least disturbed run."""
        best = None
        for attempt in range(self.args.retries + 1):
            self.start(lb)
            try:
                f, out = self.measure_once(lb, mode)
                f["placement"] = threads_placement(self.lb_proc.pid)
                f["health"] = self.dplb_health() if lb == "dplb" else ""
            finally:
                self.stop_lb()
            if best is None or f["disturbed"] < best[0]["disturbed"]:
                best = (f, out)
            if f["disturbed"] <= self.args.disturbed_limit:
                break
            log(f"{lb} {mode}: other programs used {f['disturbed']:.1f} % of a CPU during "
                f"the run"
                + ("; running it again" if attempt < self.args.retries else "; keeping the "
                   "least disturbed run"))
        f, out = best
        self.results.append((lb, mode, f))
        self.print_row(lb, mode, f)
        log(f"{lb} {mode}: the servers logged {f['server_requests']} requests over "
            f"{f['server_connections']} connections; threads after the run: {f['placement']}")
        if f["health"]:
            log(f"{lb} {mode}: {f['health']}")
        if f["errors"]:
            log(f"{lb} {mode}: {f.get('socket_detail', '')} non-2xx {f['non2xx']}")
        if self.args.verbose:
            print(out)

    def load_command(self, mode, seconds):
        """wrk for the closed-loop modes; rate_client for "ka@RATE" (keep-alive, RATE
        requests/s, open loop: latency from when each request was due)."""
        a = self.args
        if "@" in mode:
            rate = mode.split("@", 1)[1]
            return ["taskset", "-c", str(PEER_CPU), a.rate_client, VIP, "80", "/", rate,
                    str(a.connections), str(seconds)]
        return wrk_command(seconds, a.connections, a.threads, mode == "close", self.url)

    def measure_once(self, lb, mode):
        a = self.args
        pid = self.lb_proc.pid
        # Warm-up: connections, pools, caches; not measured.
        self.lab.run("client", *self.load_command(mode, a.warmup), check=False, timeout=a.warmup + 30)
        time.sleep(1.0)  # let the warm-up's closing connections settle
        foreign = wait_quiet(pid, self.peer_pids, a.quiet_threshold, a.wait_quiet)
        perf = self.start_perf(lb, mode)
        offsets = self.nginx_offsets()
        exclude = self.peer_pids + ([perf[0].pid] if perf else [])
        before = CpuSample(pid, exclude)
        res = self.lab.run("client", *self.load_command(mode, a.duration), check=False, timeout=a.duration + 60)
        after = CpuSample(pid, exclude)
        self.finish_perf(perf)
        if res.returncode != 0 or "requests in" not in res.stdout:
            raise BenchError(f"{'rate_client' if '@' in mode else 'wrk'} failed against {lb}: "
                             f"{res.stdout}{res.stderr}")
        w = parse_wrk(res.stdout)
        d = CpuDelta(before, after)
        n = max(w["requests"], 1)
        f = dict(w)
        f["cpu_us"] = d.us(d.busy("lb")) / n
        f["user_us"] = d.us(d.lb["user"] + d.lb["nice"]) / n
        f["kernel_us"] = d.us(d.lb["system"] + d.lb["irq"] + d.lb["softirq"]) / n
        f["steal_us"] = d.us(d.lb["steal"]) / n
        f["proc_us"] = d.us(d.proc) / n
        f["util"] = d.util("lb")
        f["peer_util"] = d.util("peer")
        f["wall_us"] = d.us(d.wall_busy("lb")) / n
        f["wall_util"] = d.pct(d.wall_busy("lb"))
        f["peer_wall_util"] = d.pct(d.wall_busy("peer"))
        f["seconds"] = d.seconds
        f["foreign_before"] = foreign
        f["disturbed"] = d.pct(d.foreign)
        f["server_requests"], f["server_connections"] = self.nginx_since(offsets)
        return f, res.stdout

    def nginx_log(self, i):
        return os.path.join(self.lab.nginx_dir(i), "access.log")

    def nginx_offsets(self):
        return {i: os.path.getsize(self.nginx_log(i)) if os.path.exists(self.nginx_log(i)) else 0
                for i in (1, 2, 3)}

    def nginx_since(self, offsets):
        """Requests the servers logged since `offsets`, and over how many of their
        connections (nginx's $connection): how the load balancer used its server side."""
        time.sleep(1.5)  # nginx flushes its buffered log every second
        requests, connections = 0, set()
        for i, offset in offsets.items():
            try:
                with open(self.nginx_log(i), errors="replace") as f:
                    f.seek(offset)
                    for line in f:
                        words = line.split()
                        if len(words) > 2:
                            requests += 1
                            connections.add((i, words[1]))
            except OSError:
                pass
        return requests, len(connections)

    def start_perf(self, lb, mode):
        """With --perf DIR: samples CPU 0 (every task, kernel included) during the run.
        The sampling costs CPU 0 time too: take figures from runs without it."""
        if not self.args.perf:
            return None
        os.makedirs(self.args.perf, exist_ok=True)
        data = os.path.join(self.args.perf, f"{lb}-{mode}.data")
        proc = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-g",
                                 "-C", str(LB_CPU), "-o", data, "--", "sleep",
                                 str(self.args.duration)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return proc, data

    def finish_perf(self, perf):
        if perf is None:
            return
        proc, data = perf
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        res = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort",
                              "comm,dso,symbol", "--stdio", "-g", "none"],
                             text=True, capture_output=True, timeout=300)
        lines = [l for l in res.stdout.splitlines() if l.strip() and not l.startswith("#")]
        log(f"perf: CPU 0 samples by task, object and function (top 40; {data}):")
        for line in lines[:40]:
            print("#   " + line.rstrip())

    def idle_load(self, lb):
        """CPU 0 % while the load balancer runs without traffic."""
        pid = self.lb_proc.pid
        wait_quiet(pid, self.peer_pids, self.args.quiet_threshold, self.args.wait_quiet)
        a = CpuSample(pid, self.peer_pids)
        time.sleep(self.args.idle_seconds)
        d = CpuDelta(a, CpuSample(pid, self.peer_pids))
        self.idle[lb] = (d.util("lb"), d.pct(d.wall_busy("lb")), d.pct(d.proc))
        log(f"{lb} idle (no traffic, {d.seconds:.0f} s): CPU 0 busy {self.idle[lb][0]:.1f} % from the "
            f"/proc/stat busy fields, {self.idle[lb][1]:.1f} % from wall minus idle; its process "
            f"{self.idle[lb][2]:.1f} %")

    # output

    HEADER = (f"{'lb':<8} {'mode':<9} {'req/s':>7} {'p50':>7} {'p90':>7} {'p99':>8} {'errors':>6} "
              f"{'cpu0%':>5} {'us/req':>7} {'user':>6} {'kernel':>6} {'steal':>5} {'busy0%':>6} "
              f"{'us/req':>7} {'proc':>6} {'busy1%':>6} {'other%':>6}")

    def print_row(self, lb, mode, f):
        def lat(us):
            return f"{us / 1000:.2f}ms" if us == us else "-"
        print(f"{lb:<8} {mode:<9} {f['rps']:>7.0f} {lat(f['p50']):>7} {lat(f['p90']):>7} "
              f"{lat(f['p99']):>8} {f['errors']:>6} {f['util']:>5.1f} {f['cpu_us']:>7.2f} "
              f"{f['user_us']:>6.2f} {f['kernel_us']:>6.2f} {f['steal_us']:>5.2f} "
              f"{f['wall_util']:>6.1f} {f['wall_us']:>7.2f} {f['proc_us']:>6.2f} "
              f"{f['peer_wall_util']:>6.1f} {f['disturbed']:>6.1f}", flush=True)

    def summary(self):
        if not self.results:
            return
        print()
        print(self.HEADER)
        for lb, mode, f in self.results:
            self.print_row(lb, mode, f)
        by = {(lb, mode): f for lb, mode, f in self.results}
        for mode in dict.fromkeys(mode for _, mode, _ in self.results):
            h, d = by.get(("haproxy", mode)), by.get(("dplb", mode))
            if h and d and h["cpu_us"] > 0 and h["wall_us"] > 0 and h["proc_us"] > 0:
                print(f"ratio {mode}: dplb/haproxy CPU 0 per request = "
                      f"{d['cpu_us'] / h['cpu_us']:.2f} from the /proc/stat busy fields "
                      f"({d['cpu_us']:.2f} / {h['cpu_us']:.2f} us), "
                      f"{d['wall_us'] / h['wall_us']:.2f} from wall minus idle "
                      f"({d['wall_us']:.2f} / {h['wall_us']:.2f} us); process time alone "
                      f"{d['proc_us'] / h['proc_us']:.2f}; requests/s "
                      f"{d['rps'] / max(h['rps'], 1e-9):.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="tools/bench http",
        description="HAProxy 2.6 and dplb in the lab, one after the other: wrk requests/s, "
                    "latency, CPU 0 time per request. Prints figures; never fails on speed.")
    ap.add_argument("--dplb", default=os.path.join(ROOT, "build/release/dplb"),
                    help="the dplb binary (tools/bench passes build/release/dplb)")
    ap.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of wrk before each run")
    ap.add_argument("--connections", type=int, default=32, help="wrk -c")
    ap.add_argument("--threads", type=int, default=1, help="wrk -t")
    ap.add_argument("--only", choices=["haproxy", "dplb"], help="run one load balancer")
    ap.add_argument("--mode", choices=["keepalive", "close"], help="run one mode")
    ap.add_argument("--idle-sleep-us", type=int, default=100,
                    help="dplb's [dataplane] idle_sleep_us (default 100: see docs/performance.md)")
    ap.add_argument("--idle-sleep-max-us", type=int, default=1000,
                    help="dplb's [dataplane] idle_sleep_max_us (default 1000; 0: the fixed idle_sleep_us)")
    ap.add_argument("--max-connections", type=int, default=262144,
                    help="dplb's [tcp] max_connections (TIME_WAIT included)")
    ap.add_argument("--dplb-time-wait", metavar="DURATION",
                    help="dplb's [tcp] time_wait (default: dplb's own, 1m). dplb closes the "
                         "server connections its pool cannot keep and holds each in TIME_WAIT; "
                         "with one request per client connection that uses up the local ports "
                         "towards each server (28232) within a run")
    ap.add_argument("--port-driver", choices=["af_packet", "af_xdp"], default="af_packet",
                    help="DPDK driver of dplb's two ports (net_af_packet or net_af_xdp)")
    ap.add_argument("--rates", default="", metavar="R1,R2,...",
                    help="also keep-alive at these fixed request rates (open loop, tools/benchmarks/"
                         "rate_client), e.g. 1000,10000: latency and CPU at a given load")
    ap.add_argument("--rate-client", default="",
                    help="the rate_client binary (default: next to --dplb, tools/benchmarks/rate_client)")
    ap.add_argument("--device-args", default="", metavar=",KEY=VALUE...",
                    help="appended to both device strings, e.g. ,busy_budget=0 for net_af_xdp")
    ap.add_argument("--rps", choices=["on", "off"], default="on",
                    help="receive work on the receiver's CPU (default on; see the module doc)")
    ap.add_argument("--quiet-threshold", type=float, default=15.0,
                    help="most %% of a CPU other processes may use before a run starts")
    ap.add_argument("--wait-quiet", type=int, default=120,
                    help="longest wait, in seconds, for the machine to become quiet")
    ap.add_argument("--retries", type=int, default=3,
                    help="runs of a case again when other programs disturbed it")
    ap.add_argument("--disturbed-limit", type=float, default=3.0,
                    help="most %% of one CPU other programs may use during a kept run")
    ap.add_argument("--idle-seconds", type=float, default=3.0,
                    help="seconds of CPU 0 sampling with no traffic, per load balancer")
    ap.add_argument("--dplb-wait", type=int, default=20,
                    help="seconds dplb gets to boot and answer through the proxy")
    ap.add_argument("--prefix", default=f"dplbhb{os.getpid()}", help="lab namespace prefix")
    ap.add_argument("--perf", metavar="DIR",
                    help="also record CPU 0 with perf during each run into DIR and print the "
                         "top functions (perturbs the figures a little)")
    ap.add_argument("--tls", choices=["off", "rsa", "ecdsa"], default="off",
                    help="measure HTTPS on :443 instead (TLS 1.3 as wrk and both load balancers "
                         "negotiate it) with an RSA-2048 or ECDSA P-256 certificate: close mode is "
                         "then one full handshake per request")
    ap.add_argument("--idle-tls", type=int, default=900,
                    help="with --tls: idle TLS connections opened to measure resident bytes per connection")
    ap.add_argument("--json", metavar="FILE", help="also write each run's figures to FILE (for tools/bench tls)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print wrk's own output")
    args = ap.parse_args(argv)
    args.rps = args.rps == "on"
    if os.geteuid() != 0:
        print("tools/bench http: needs root (network namespaces)", file=sys.stderr)
        return 1
    if os.cpu_count() is None or os.cpu_count() < 2:
        print("tools/bench http: needs two CPUs (0 for the load balancer, 1 for the peers)",
              file=sys.stderr)
        return 1
    for tool in ("wrk", "taskset", "curl"):
        if shutil.which(tool) is None:
            print(f"tools/bench http: {tool} is missing (tools/setup installs it)", file=sys.stderr)
            return 1
    lbs = [args.only] if args.only else ["haproxy", "dplb"]
    modes = [args.mode] if args.mode else ["keepalive", "close"]
    if args.rates:
        if args.tls != "off":
            print("tools/bench http: --rates speaks plain HTTP only", file=sys.stderr)
            return 2
        args.rate_client = args.rate_client or os.path.join(os.path.dirname(os.path.abspath(args.dplb)),
                                                            "tools", "benchmarks", "rate_client")
        if not os.access(args.rate_client, os.X_OK):
            print(f"tools/bench http: {args.rate_client} missing (ninja -C build/release "
                  "tools/benchmarks/rate_client)", file=sys.stderr)
            return 1
        modes += [f"ka@{int(r)}" for r in args.rates.split(",") if r.strip()]

    with open("/proc/cpuinfo") as f:
        model = re.search(r"model name\s*:\s*(.*)", f.read())
    haproxy_version = subprocess.run([HAPROXY, "-v"], text=True, capture_output=True).stdout
    haproxy_version = haproxy_version.split("\n", 1)[0] if haproxy_version else "(no haproxy)"
    log(f"{model.group(1) if model else '?'}, {os.cpu_count()} CPUs, kernel {os.uname().release}; "
        f"{haproxy_version.strip()}")
    if args.tls != "off":
        log(f"HTTPS: wrk against {TLS_URL}, TLS terminated by the load balancer with a self-signed "
            f"{'RSA-2048' if args.tls == 'rsa' else 'ECDSA P-256'} certificate; plain HTTP to the servers")
    log(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency after "
        f"{args.warmup} s of warm-up; load balancer on CPU {LB_CPU}, nginx x3 and wrk on CPU "
        f"{PEER_CPU}; RPS {'on' if args.rps else 'off'}; dplb on net_{args.port_driver}{args.device_args}"
        f"{' (threaded NAPI of lb1 veths on CPU 0)' if args.port_driver == 'af_xdp' else ''}; dplb idle_sleep_us "
        f"{args.idle_sleep_us}, idle_sleep_max_us {args.idle_sleep_max_us}, time_wait {args.dplb_time_wait or 'default'}; a fresh load "
        f"balancer for every run")
    log("columns: latency from wrk --latency; cpu0% = CPU 0 busy over the run and us/req = CPU 0 "
        "time per request, both from the /proc/stat busy fields (user+nice+system+irq+softirq+"
        "steal, sampled at each tick), split into user, kernel (system+irq+softirq) and steal; "
        "busy0% and the second us/req = the same from wall-clock time minus idle and iowait "
        "(kept exactly by the kernel); proc = the load balancer process's own utime+stime per "
        "request (softirq work that interrupted it included); busy1% = CPU 1 busy (nginx, wrk, "
        "the switch), wall minus idle; other% = CPU time of other programs during the run, in % of one CPU")

    bench = Bench(args)
    status = 0
    try:
        bench.up()
        print(Bench.HEADER, flush=True)
        for lb in lbs:
            if bench.idle_check(lb):
                for mode in modes:
                    bench.measure(lb, mode)
            else:
                status = 1
        bench.summary()
        if args.json:
            with open(args.json, "w") as f:
                json.dump([{"lb": lb, "mode": mode, **{k: v for k, v in fig.items()
                                                      if isinstance(v, (int, float, str))}}
                           for lb, mode, fig in bench.results]
                          + [{"lb": lb, "mode": "idle-tls", "bytes": b} for lb, b in bench.idle_tls.items()], f)
    except BenchError as e:
        print(f"tools/bench http: {e}", file=sys.stderr)
        status = 1
    except labmod.LabError as e:
        print(f"tools/bench http: lab: {e}", file=sys.stderr)
        status = 1
    finally:
        bench.down()
    return status


if __name__ == "__main__":
    sys.exit(main())
