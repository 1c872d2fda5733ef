#!/usr/bin/env python3
"""VRRP failover in the lab: how long the VIP stops answering when the master
load balancer dies, loses its link or stops, for the reference (keepalived +
HAProxy 2.6) and for a pair of dplb. Prints figures; never passes or fails.

    tools/bench failover [--only reference|dplb] [--version 2|3] [--case kill|link|stop]
                         [--prefix P] [--dplb PATH] [-v]

The lab (tools/lab.py): a client, lb1 and lb2, three nginx servers, two bridges.
Both stacks run the reference's VRRP instance: VI_1, virtual_router_id 101, lb1
MASTER priority 101, lb2 BACKUP priority 50, preempt, VIP 10.99.1.10/24 on
`front`. Two settings:
  v2: VRRPv2, advert_int 1 s, auth PASS 12345678 (the reference files as they are);
  v3: VRRPv3, advert_int 0.1 s, no authentication (v3 has none).

Stacks:
  reference  Debian's keepalived and HAProxy 2.6 in lb1 and lb2. keepalived from
             /work/shared/reference/keepalived-lbN.conf (plus, for v3, `version 3`,
             advert_int 0.1 and no authentication block; plus a `notify` script that
             records the state); HAProxy from the reference haproxy.cfg without the
             :443 ssl bind and the https redirect (no certificates in the lab, and the
             redirect would answer every plain-HTTP probe with a 302); the stats
             socket moved to a per-instance path. The lb namespaces get kernel
             addresses 10.99.1.2/.3 and 10.99.2.2/.3 and net.ipv4.ip_nonlocal_bind=1.
  dplb       build/release/dplb in lb1 and lb2, net_af_packet on front/back, the same
             addresses, a [[vrrp]] section per the issue's contract, a frontend on
             10.99.1.10:80 and the three servers with `check = true`.
lb1's processes run on CPU 0, lb2's on CPU 1 (taskset; dplb also maps its two
lcores onto that CPU with EAL --lcores, as tools/bench http does).

Cases, each from a converged state (lb1 MASTER, lb2 BACKUP, the VIP answering):
  kill  the master process dies: SIGKILL. Reference: every keepalived process of
        lb1 (parent and VRRP child, stopped first with SIGSTOP so the parent cannot
        respawn the child and the child cannot react to its parent's death) and
        HAProxy, at once. keepalived gets no chance to remove the VIP, so it stays on
        lb1's kernel, which answers SYNs to VIP:80 with RSTs until lb2's gratuitous
        ARPs move the client. dplb: SIGKILL of dplb.
  link  the master's cable is cut: the switch-side veth end `lb1-front` is set down,
        so lb1's `front` stays administratively up and loses its carrier (the same
        for both stacks).
  stop  the master stops cleanly: SIGTERM (keepalived sends priority 0 adverts and
        removes the VIP; HAProxy gets SIGTERM at the same moment; dplb the same
        signal, once).
Each case: the prober (tests/integration/vip_prober.py in the client namespace:
a new connection and GET / to 10.99.1.10:80 every 20 ms, 0.5 s timeout: below
the 1 s SYN retransmission, so a probe only succeeds if its first SYN is answered) runs from
1 s before the fault until lb2 is MASTER plus a settling time; the figure is its
longest outage (from the start of the last probe answered before the failure to
the start of the first one answered after it, so a resolution of 20 ms). Then lb1
is restored (restarted, or its link brought up), a second prober measures the
outage while lb1 takes the VIP back (preempt), and the next case waits until lb1
is MASTER again. A wait for a state never lasts more than ~20 s: past that the
row says "did not converge" and the run goes on.

Who is MASTER: keepalived's notify script writes the state to a file, believed
while keepalived runs (a killed keepalived shows as DEAD); dplb's `dplb ctl show
vrrp` line matching `state MASTER|BACKUP|...`.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tools"))
import lab as labmod  # noqa: E402
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import threads_placement  # noqa: E402

PROBER = os.path.join(ROOT, "tests", "integration", "vip_prober.py")
REFERENCE = "/work/shared/reference"
KEEPALIVED = "/usr/sbin/keepalived"
HAPROXY = "/usr/sbin/haproxy"

VIP = "10.99.1.10"
VIP_CIDR = f"{VIP}/24"
VRID = 101
LBS = (1, 2)
CPU = {1: 0, 2: 1}
ROLE = {1: ("MASTER", 101), 2: ("BACKUP", 50)}
PROBE_INTERVAL = 0.02
# Below the client's initial SYN retransmission timeout (1 s): with 1 s, a probe started
# before the takeover could still succeed through its retransmitted SYN, end the outage at
# its start and split one outage into several.
PROBE_TIMEOUT = 0.5
CONVERGE_TIMEOUT = 20.0
BASELINE = 1.0          # seconds of probing before the fault
STATE_POLL = 0.02       # seconds between two looks at the VRRP states

SETTINGS = {2: {"advert_int": 1.0}, 3: {"advert_int": 0.1}}
CASES = ("kill", "link", "stop")
CASE_TEXT = {"kill": "SIGKILL", "link": "cable cut", "stop": "SIGTERM"}
STATE_RE = re.compile(r"\bstate\s+(MASTER|BACKUP|FAULT|INIT\w*|STOP\w*)", re.I)

# The issue's targets, printed beside the figures (never enforced). None: "no worse than
# keepalived with the same settings" only.
TARGETS = {(2, "kill"): None, (2, "link"): None, (2, "stop"): 1.0,
           (3, "kill"): None, (3, "link"): 0.5, (3, "stop"): 0.15}
TARGET_TEXT = {(2, "kill"): "<= keepalived", (2, "link"): "<= keepalived (~3.8 s)",
               (2, "stop"): "< 1 s", (3, "kill"): "<= keepalived", (3, "link"): "< 0.5 s",
               (3, "stop"): "< 0.15 s"}


class BenchError(RuntimeError):
    pass


class StackUnavailable(RuntimeError):
    """The stack cannot run here at all (missing binary, configuration refused)."""


VERBOSE = False


def log(msg):
    print(f"# {msg}", flush=True)


def vlog(msg):
    if VERBOSE:
        print(f"#   {msg}", flush=True)


def tail(path, chars=3000):
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    return text[-chars:]


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def signal_pids(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_procs(procs, timeout):
    """Waits for Popen objects to exit; kills what is left after `timeout`."""
    deadline = time.monotonic() + timeout
    for proc in procs:
        if proc is None:
            continue
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


# --- the two stacks ---------------------------------------------------------------------------

HAPROXY_CFG = """\
# tools/bench failover: /work/shared/reference/haproxy.cfg for lb{n}, minimally adapted:
# no :443 ssl bind and no https redirect (no certificates here), stats socket per instance.
global
    maxconn 8000
    nbthread 1
    stats socket {dir}/haproxy-lb{n}.sock mode 660 level admin

defaults
    mode    http
    option  httplog
    option  dontlognull
    timeout connect 5000
    timeout client  50000
    timeout server  50000

frontend http_front
    bind {vip}:80
    default_backend web_servers

backend web_servers
    balance roundrobin
    retry-on all-retryable-errors
    http-request disable-l7-retry if METH_POST
    server server1 10.99.2.11:80 check
    server server2 10.99.2.12:80 check
    server server3 10.99.2.13:80 check
"""

KEEPALIVED_CFG = """\
# tools/bench failover: /work/shared/reference/keepalived-lb{n}.conf{what}
# plus a notify script that records the state in {state_file} (and the two script
# settings keepalived wants before it runs one as root).
global_defs {{
    router_id lb{n}
    script_user root
    enable_script_security
}}
vrrp_instance VI_1 {{
    state {state}
    interface front
    virtual_router_id {vrid}
    priority {priority}
{version_line}    advert_int {advert_int}
{auth}    virtual_ipaddress {{
        {vip_cidr}
    }}
    notify "{notify} {state_file}"
}}
"""

AUTH_V2 = """\
    authentication {
        auth_type PASS
        auth_pass 12345678
    }
"""

NOTIFY_SH = """\
#!/bin/sh
# keepalived notify: $1 = state file (ours), then INSTANCE|GROUP, name, state, priority.
echo "$4" > "$1.tmp" && mv "$1.tmp" "$1"
"""


class ReferenceStack:
    name = "keepalived"
    label = "keepalived + HAProxy 2.6"

    def __init__(self, bench):
        self.b = bench
        self.lab = bench.lab
        self.dir = os.path.join(bench.tmp, "reference")
        self.haproxy = {}
        self.keepalived = {}
        self.version = None

    def check_available(self):
        for path in (KEEPALIVED, HAPROXY):
            if not os.access(path, os.X_OK):
                raise StackUnavailable(f"{path} not found (apt-get install keepalived haproxy)")

    def files(self, n):
        return {k: os.path.join(self.dir, f"{k}-lb{n}{ext}") for k, ext in
                (("haproxy", ".cfg"), ("keepalived", ".conf"), ("state", ".state"),
                 ("kapid", ".pid"), ("vrrppid", ".vrrp.pid"), ("checkpid", ".check.pid"),
                 ("kalog", ".log"), ("halog", ".haproxy.log"))}

    def setup(self, version):
        self.version = version
        os.makedirs(self.dir, exist_ok=True)
        notify = os.path.join(self.dir, "notify.sh")
        with open(notify, "w") as f:
            f.write(NOTIFY_SH)
        os.chmod(notify, 0o755)
        advert = SETTINGS[version]["advert_int"]
        for n in LBS:
            fl = self.files(n)
            state, prio = ROLE[n]
            with open(fl["haproxy"], "w") as f:
                f.write(HAPROXY_CFG.format(n=n, dir=self.dir, vip=VIP))
            with open(fl["keepalived"], "w") as f:
                f.write(KEEPALIVED_CFG.format(
                    n=n, state=state, priority=prio, vrid=VRID, vip_cidr=VIP_CIDR,
                    what=("" if version == 2 else
                          ", as VRRPv3 (version 3, advert_int 0.1, no authentication)"),
                    version_line="" if version == 2 else "    version 3\n",
                    advert_int=f"{advert:g}", auth=AUTH_V2 if version == 2 else "",
                    notify=notify, state_file=fl["state"]))
            res = labmod.sh(HAPROXY, "-c", "-q", "-f", fl["haproxy"], check=False)
            if res.returncode != 0:
                raise StackUnavailable(f"haproxy -c refuses {fl['haproxy']}:\n"
                                       f"{res.stdout}{res.stderr}")
            # In the namespace: keepalived -t checks that `front` exists.
            res = self.lab.run(f"lb{n}", KEEPALIVED, "-t", "-f", fl["keepalived"], check=False)
            if res.returncode != 0:
                raise StackUnavailable(f"keepalived -t refuses {fl['keepalived']}:\n"
                                       f"{res.stdout}{res.stderr}")
            self.lab.add_lb_addresses(n, nonlocal_bind=True)
        for n in (2, 1):
            self.start(n)

    def start(self, n):
        fl = self.files(n)
        for key in ("state",):
            try:
                os.unlink(fl[key])
            except FileNotFoundError:
                pass
        cpu = str(CPU[n])
        with open(fl["halog"], "a") as out:
            # -db: foreground, no master-worker: the Popen pid is HAProxy's own.
            self.haproxy[n] = self.lab.popen(f"lb{n}", "taskset", "-c", cpu, HAPROXY, "-db",
                                             "-f", fl["haproxy"], stdin=subprocess.DEVNULL,
                                             stdout=out, stderr=subprocess.STDOUT)
        with open(fl["kalog"], "a") as out:
            # -n: the parent stays in the foreground (the Popen pid); it forks the VRRP child.
            self.keepalived[n] = self.lab.popen(
                f"lb{n}", "taskset", "-c", cpu, KEEPALIVED, "-n", "-l", "-D", "-P",
                "-f", fl["keepalived"], "-p", fl["kapid"], "-r", fl["vrrppid"],
                "-c", fl["checkpid"], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT)
        vlog(f"lb{n}: started haproxy {self.haproxy[n].pid}, keepalived {self.keepalived[n].pid}")

    def keepalived_pids(self, n):
        return [p for p in labmod.namespace_pids(self.lab.ns(f"lb{n}"))
                if proc_comm(p) == "keepalived"]

    def kill(self, n):
        kpids = self.keepalived_pids(n)
        hp = self.haproxy.get(n)
        signal_pids(kpids, signal.SIGSTOP)
        signal_pids(kpids + ([hp.pid] if hp else []), signal.SIGKILL)
        return f"SIGKILL to keepalived {kpids} and haproxy {hp.pid if hp else '-'}"

    def stop(self, n):
        pids = [p.pid for p in (self.keepalived.get(n), self.haproxy.get(n))
                if p is not None and p.poll() is None]
        signal_pids(pids, signal.SIGTERM)
        return f"SIGTERM to keepalived and haproxy {pids}"

    def running(self, n):
        p = self.keepalived.get(n)
        return p is not None and p.poll() is None

    def wait_exit(self, n, timeout=10):
        wait_procs([self.keepalived.get(n), self.haproxy.get(n)], timeout)
        for pid in self.keepalived_pids(n):  # a VRRP child left behind
            signal_pids([pid], signal.SIGKILL)

    def has_vip(self, n):
        res = self.lab.run(f"lb{n}", "ip", "-4", "-o", "addr", "show", "dev", "front",
                           check=False, timeout=5)
        return f" {VIP}/" in res.stdout

    def state(self, n):
        if not self.running(n):
            return "DEAD"
        try:
            with open(self.files(n)["state"]) as f:
                return f.read().strip().upper() or "INIT"
        except OSError:
            return "INIT"

    def extra_after(self, n, case):
        """What the row should also say about lb n after a fault."""
        if case == "kill" and self.has_vip(n):
            return "VIP left on lb1's kernel"
        return ""

    def teardown(self):
        for n in LBS:
            self.stop(n)
        for n in LBS:
            self.wait_exit(n)
            self.lab.clear_lb_addresses(n)

    def logs(self, n):
        fl = self.files(n)
        return (f"--- keepalived lb{n} ({fl['kalog']}) ---\n{tail(fl['kalog'])}\n"
                f"--- haproxy lb{n} ---\n{tail(fl['halog'], 1500)}")


DPLB_CFG = """\
# tools/bench failover: dplb on lb{n}, the reference's VRRP instance and proxy.
[dataplane]
workers = [1]
control_lcore = 0
hugepages = false
memory_mb = 256
idle_sleep_us = 100
# Both lcores of this instance on CPU {cpu} (tools/bench http does the same on CPU 0).
eal_args = ["--lcores", "0@{cpu},1@{cpu}"]

[console]
socket = "{socket}"

[log]
level = "notice"

[[port]]
name = "front"
device = "net_af_packet0,iface=front"
address = "{front}/24"

[[port]]
name = "back"
device = "net_af_packet1,iface=back"
address = "{back}/24"

[[vrrp]]
name = "VI_1"
port = "front"
state = "{state}"
virtual_router_id = {vrid}
priority = {priority}
version = {version}
advert_int = {advert_int}
{auth}preempt = true
virtual_addresses = ["{vip_cidr}"]

[[frontend]]
name = "http_front"
bind = ["{vip}:80"]
default_backend = "web_servers"
maxconn = 8000
timeout_client = "50s"

[[backend]]
name = "web_servers"
balance = "roundrobin"
timeout_connect = "5s"
timeout_server = "50s"

[[backend.server]]
name = "server1"
address = "10.99.2.11:80"
check = true

[[backend.server]]
name = "server2"
address = "10.99.2.12:80"
check = true

[[backend.server]]
name = "server3"
address = "10.99.2.13:80"
check = true
"""


class DplbStack:
    name = "dplb"
    label = "dplb"

    def __init__(self, bench):
        self.b = bench
        self.lab = bench.lab
        self.binary = bench.args.dplb
        self.dir = os.path.join(bench.tmp, "dplb")
        self.procs = {}
        self.version = None

    def check_available(self):
        if not os.access(self.binary, os.X_OK):
            raise StackUnavailable(f"{self.binary} not found (ninja -C build/release dplb)")

    def files(self, n):
        return {"conf": os.path.join(self.dir, f"dplb-lb{n}.toml"),
                "sock": os.path.join(self.dir, f"dplb-lb{n}.sock"),
                "out": os.path.join(self.dir, f"dplb-lb{n}.out")}

    def setup(self, version):
        self.version = version
        os.makedirs(self.dir, exist_ok=True)
        advert = SETTINGS[version]["advert_int"]
        for n in LBS:
            fl = self.files(n)
            state, prio = ROLE[n]
            with open(fl["conf"], "w") as f:
                f.write(DPLB_CFG.format(
                    n=n, cpu=CPU[n], socket=fl["sock"], front=self.lab.lb_front_addr(n),
                    back=self.lab.lb_back_addr(n), state=state, vrid=VRID, priority=prio,
                    version=version, advert_int=f"{advert:.1f}",
                    auth='auth_pass = "12345678"\n' if version == 2 else "",
                    vip_cidr=VIP_CIDR, vip=VIP))
            res = labmod.sh(self.binary, "-c", fl["conf"], "--check", check=False)
            if res.returncode != 0:
                text = (res.stdout + res.stderr).strip()
                hint = ""
                if "vrrp" in text.lower():
                    hint = ("\n(this dplb does not accept the [[vrrp]] section yet: VRRP has "
                            "not landed in this build)")
                raise StackUnavailable(f"dplb --check refuses {fl['conf']} (exit "
                                       f"{res.returncode}):\n{text}{hint}")
            self.lab.clear_lb_addresses(n)
        for n in (2, 1):
            self.start(n)
        for n in LBS:
            self.wait_socket(n)
            vlog(f"lb{n}: dplb threads (allowed CPUs/last CPU): {threads_placement(self.procs[n].pid)}")
        # Once here, so a dplb whose VRRP does not work yet fails the stack in ~20 s with
        # its own words, instead of every case waiting for a convergence that cannot come.
        if not self.b.wait_converged(self):
            st = self.b.states(self)
            hint = ""
            if "?" in st.values():
                hint = ("\n(`dplb ctl show vrrp` gave no `state ...` line: is VRRP wired into "
                        "this build's control socket?)")
            raise StackUnavailable(
                f"lb1 MASTER, lb2 BACKUP and the VIP answering not reached within "
                f"{CONVERGE_TIMEOUT:.0f} s ({self.b.fmt_states(st)}; VIP answering: "
                f"{self.b.curl_ok()}){hint}\n" + "\n".join(self.logs(n) for n in LBS))

    def start(self, n):
        fl = self.files(n)
        with open(fl["out"], "a") as out:
            # ip netns exec and taskset exec: the Popen pid is dplb's own.
            self.procs[n] = self.lab.popen(f"lb{n}", "taskset", "-c", str(CPU[n]), self.binary,
                                           "-c", fl["conf"], stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=subprocess.STDOUT)
        vlog(f"lb{n}: started dplb {self.procs[n].pid}")

    def wait_socket(self, n, timeout=CONVERGE_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running(n):
                raise StackUnavailable(f"dplb on lb{n} exited with status "
                                       f"{self.procs[n].returncode} while booting\n"
                                       + self.logs(n))
            if self.ctl(n, "show", "ports") is not None:
                return
            time.sleep(0.2)
        raise StackUnavailable(f"dplb on lb{n}: control socket silent after {timeout:.0f} s\n"
                               + self.logs(n))

    def ctl(self, n, *words, timeout=2.0):
        try:
            res = subprocess.run([self.binary, "ctl", "-s", self.files(n)["sock"], *words],
                                 text=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError):
            return None
        return res.stdout if res.returncode == 0 else None

    def running(self, n):
        p = self.procs.get(n)
        return p is not None and p.poll() is None

    def kill(self, n):
        if self.running(n):
            self.procs[n].send_signal(signal.SIGKILL)
        return f"SIGKILL to dplb {self.procs[n].pid if n in self.procs else '-'}"

    def stop(self, n):
        if self.running(n):
            self.procs[n].send_signal(signal.SIGTERM)
        return f"SIGTERM to dplb {self.procs[n].pid if n in self.procs else '-'}"

    def wait_exit(self, n, timeout=10):
        wait_procs([self.procs.get(n)], timeout)

    def state(self, n):
        if not self.running(n):
            return "DEAD"
        out = self.ctl(n, "show", "vrrp")
        if out is None:
            return "?"
        m = STATE_RE.search(out)
        return m.group(1).upper() if m else "?"

    def extra_after(self, n, case):
        return ""

    def restart_lb(self, n):
        self.start(n)

    def teardown(self):
        for n in LBS:
            self.stop(n)
        for n in LBS:
            self.wait_exit(n)

    def logs(self, n):
        fl = self.files(n)
        text = f"--- dplb lb{n} ({fl['out']}) ---\n{tail(fl['out'])}"
        vrrp = self.ctl(n, "show", "vrrp") if self.running(n) else None
        if vrrp:
            text += f"\n--- dplb lb{n} show vrrp ---\n{vrrp}"
        return text


# --- the bench --------------------------------------------------------------------------------

# Runs in the client namespace: prints one JSON line per VRRP advert seen on eth0 (the bridge
# floods them), time-stamped with time.monotonic() (CLOCK_MONOTONIC: the bench's clock too).
ADVERT_WATCHER = r"""
import ctypes, json, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
# classic BPF: IPv4 and protocol 112 (VRRP) only
code = [(0x28, 0, 0, 12), (0x15, 0, 3, 0x0800), (0x30, 0, 0, 23), (0x15, 0, 1, 112),
        (0x06, 0, 0, 65535), (0x06, 0, 0, 0)]
prog = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *c) for c in code))
s.setsockopt(socket.SOL_SOCKET, 26, struct.pack("HL", len(code), ctypes.addressof(prog)))
print("watching", flush=True)
while True:
    f = s.recv(2048)
    t = time.monotonic()
    if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 112:
        continue
    v = f[14 + (f[14] & 15) * 4:]
    print(json.dumps({"t": t, "src": socket.inet_ntoa(f[26:30]), "version": v[0] >> 4,
                      "vrid": v[1], "priority": v[2]}), flush=True)
"""


class AdvertWatcher:
    """The VRRP adverts on the front segment, as the client sees them."""

    def __init__(self, lab):
        self.adverts = []
        self.cond = threading.Condition()
        self.proc = lab.popen("client", sys.executable, "-c", ADVERT_WATCHER,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "watching":
            self.proc.kill()
            raise BenchError(f"advert watcher did not start: {line!r} "
                             f"{self.proc.stderr.read()[-800:]}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                a = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.adverts.append(a)
                if len(self.adverts) > 100000:
                    del self.adverts[:50000]
                self.cond.notify_all()

    def wait(self, src, after, timeout, min_priority=0):
        """The first advert from `src` at or after monotonic time `after`, waiting up to
        `timeout` seconds; None if none came."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for a in self.adverts:
                    if a["src"] == src and a["t"] >= after and a["priority"] >= min_priority:
                        return a
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def since(self, after):
        with self.cond:
            return [a for a in self.adverts if a["t"] >= after]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class Prober:
    """vip_prober.py in the client namespace."""

    def __init__(self, lab):
        self.proc = lab.popen("client", sys.executable, PROBER, "--target", f"{VIP}:80",
                              "--interval", str(PROBE_INTERVAL), "--timeout",
                              str(PROBE_TIMEOUT), "--duration", "90",
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "probing":
            self.proc.kill()
            raise BenchError(f"vip_prober.py did not start: {line!r} {self.proc.stderr.read()}")

    def finish(self):
        """Stops the prober; its JSON report, or None."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return None
        for line in reversed(out.splitlines()):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    break
        vlog(f"prober said: {out[-500:]} {err[-500:]}")
        return None


class Row:
    def __init__(self, stack, version, case):
        self.stack, self.version, self.case = stack, version, case
        self.outage = None        # longest outage, seconds
        self.failed = None
        self.probes = None
        self.outages = 0
        self.unfinished = False
        self.detect = None        # fault -> lb2 seen MASTER, seconds (our polling)
        self.takeover = None      # fault -> lb2's first advert seen by the client, seconds
        self.aligned = None       # fault - lb1's last advert before it, seconds
        self.after = ""
        self.back = None          # longest outage while lb1 takes the VIP back
        self.note = ""

    def fmt_outage(self):
        if self.outage is None:
            return "-"
        return f"{self.outage:.2f}" + ("+" if self.unfinished else "")


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="dplb-failover-")
        self.lab = None
        self.rows = []
        self.watcher = None
        self.failed_something = False
        self.unavailable = False    # a stack could not run at all

    # states

    def states(self, stack):
        return {n: stack.state(n) for n in LBS}

    @staticmethod
    def fmt_states(st):
        return ", ".join(f"lb{n} {st[n]}" for n in LBS)

    def curl_ok(self):
        res = self.lab.run("client", "curl", "-sS", "--max-time", "1", f"http://{VIP}/",
                           check=False, timeout=5)
        return res.returncode == 0 and res.stdout.startswith("server")

    def wait_for(self, what, predicate, timeout):
        """Polls `predicate` every STATE_POLL s; elapsed seconds when true, None on timeout."""
        t0 = time.monotonic()
        while True:
            if predicate():
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                vlog(f"timed out waiting for {what}")
                return None
            time.sleep(STATE_POLL)

    def converged(self, stack, need_http=True):
        st = self.states(stack)
        if st[1] != "MASTER" or st[2] != "BACKUP":
            return False
        if isinstance(stack, ReferenceStack) and stack.has_vip(2):
            return False
        return self.curl_ok() if need_http else True

    def wait_converged(self, stack, timeout=CONVERGE_TIMEOUT):
        # States first (cheap), then the VIP answering.
        return self.wait_for("lb1 MASTER, lb2 BACKUP, VIP answering",
                             lambda: self.converged(stack), timeout) is not None

    # one case

    def fault(self, stack, case):
        if case == "kill":
            return stack.kill(1)
        if case == "stop":
            return stack.stop(1)
        self.lab.set_switch_port("lb1-front", up=False)
        return "switch port lb1-front down"

    def restore(self, stack, case):
        if case == "link":
            self.lab.set_switch_port("lb1-front", up=True)
            return
        stack.wait_exit(1, timeout=10)
        stack.start(1)

    def run_case(self, stack, version, case):
        row = Row(stack.name, version, case)
        self.rows.append(row)
        if not self.wait_converged(stack):
            row.note = f"did not converge before the case ({self.fmt_states(self.states(stack))})"
            self.failed_something = True
            log(f"{stack.name} v{version} {case}: {row.note}")
            if self.args.verbose:
                for n in LBS:
                    print(stack.logs(n))
            return row
        settle = max(1.0, 3 * SETTINGS[version]["advert_int"])
        advert = SETTINGS[version]["advert_int"]
        lb1_addr, lb2_addr = self.lab.lb_front_addr(1), self.lab.lb_front_addr(2)
        prober = Prober(self.lab)
        try:
            time.sleep(BASELINE)
            last = None
            if self.args.phase == "advert":
                # Just after one of lb1's adverts: the backup then waits its whole
                # Master_Down_Interval, the worst (and repeatable) case.
                last = self.watcher.wait(lb1_addr, time.monotonic(), 2 * advert + 1.0,
                                         min_priority=1)
                if last is None:
                    row.note = "no advert from lb1 seen: fault not aligned"
            t_fault = time.monotonic()
            how = self.fault(stack, case)
            if last is not None:
                row.aligned = t_fault - last["t"]
            vlog(f"{stack.name} v{version} {case}: {how}"
                 + (f", {row.aligned * 1000:.1f} ms after lb1's advert" if last else ""))
            row.detect = self.wait_for("lb2 MASTER", lambda: stack.state(2) == "MASTER",
                                       CONVERGE_TIMEOUT)
            if row.detect is None:
                row.note = "did not converge: lb2 never became MASTER"
            time.sleep(settle)
        finally:
            report = prober.finish()
        first = self.watcher.wait(lb2_addr, t_fault, 0, min_priority=1)
        if first is not None:
            row.takeover = first["t"] - t_fault
        if case == "stop":
            zero = [a for a in self.watcher.since(t_fault)
                    if a["src"] == lb1_addr and a["priority"] == 0]
            if not zero:
                row.note = (row.note + "; " if row.note else "") + "no priority-0 advert from lb1"
            elif zero[0]["t"] - t_fault > 0.05:
                row.note = (row.note + "; " if row.note else "") + \
                    f"lb1's priority-0 advert came {zero[0]['t'] - t_fault:.2f} s after SIGTERM"
        vlog("adverts after the fault: " + ", ".join(
            f"+{a['t'] - t_fault:.3f} {a['src']} v{a['version']} prio {a['priority']}"
            for a in self.watcher.since(t_fault)[:8]))
        after = self.states(stack)
        masters = [f"lb{n}" for n in LBS if after[n] == "MASTER"]
        row.after = ("+".join(masters) or "none") + f" ({self.fmt_states(after)})"
        extra = stack.extra_after(1, case)
        if extra:
            row.note = (row.note + "; " if row.note else "") + extra
        self.take_report(row, report, t_fault)
        self.print_row(row, live=True)

        # Restore lb1 and measure the preemption back, then wait for the converged state.
        prober = Prober(self.lab)
        try:
            time.sleep(0.5)
            self.restore(stack, case)
            back = self.wait_for("lb1 MASTER again",
                                 lambda: self.converged(stack, need_http=False),
                                 CONVERGE_TIMEOUT + (10 if case != "link" else 0))
            time.sleep(settle)
        finally:
            report = prober.finish()
        if back is None:
            row.note = (row.note + "; " if row.note else "") + \
                "lb1 did not become MASTER again: " + self.fmt_states(self.states(stack))
            self.failed_something = True
            log(f"{stack.name} v{version} {case}: {row.note}")
        if report:
            row.back = report.get("longest", 0.0)
            vlog(f"restore: {report['failures']}/{report['probes']} probes failed, outages "
                 f"{report['outages']}")
        return row

    def take_report(self, row, report, t_fault):
        if report is None:
            row.note = (row.note + "; " if row.note else "") + "no prober report"
            return
        row.probes = report["probes"]
        row.failed = report["failures"]
        row.outage = report["longest"]
        row.outages = len(report["outages"])
        row.unfinished = any(o.get("unfinished") for o in report["outages"])
        if row.unfinished:
            row.note = (row.note + "; " if row.note else "") + "VIP not answering at the end"
        fault_at = t_fault - report["t0"] if "t0" in report else None
        vlog(f"fault at {fault_at:.3f} s on the prober's clock; outages {report['outages']}"
             if fault_at is not None else f"outages {report['outages']}")
        if fault_at is not None and report["outages"]:
            longest = max(report["outages"], key=lambda o: o["seconds"])
            if longest["end"] < fault_at - PROBE_INTERVAL:
                row.note = (row.note + "; " if row.note else "") + \
                    "the longest outage came before the fault"

    # output

    HEADER = (f"{'stack':<10} {'vrrp':<8} {'case':<5} {'outage s':>8} {'failed':>6} "
              f"{'probes':>6} {'lb2 adv':>7} {'lb2 MST':>7} {'back s':>6}  {'target':<30} "
              f"{'master after'}")

    def verdict(self, row):
        target = TARGETS[(row.version, row.case)]
        if row.outage is None or row.unfinished:
            return ""
        ref = self.find("keepalived", row.version, row.case)
        parts = []
        if target is not None:
            parts.append("meets" if row.outage < target else "over")
        if row.stack != "keepalived" and ref is not None and ref.outage is not None:
            parts.append("<= ka" if row.outage <= ref.outage else "> ka")
        return ", ".join(parts)

    def find(self, stack, version, case):
        """The row of a case, or with --repeat a row holding the median outage of its runs
        (median failed probes and times too; the notes of every run)."""
        rows = [r for r in self.rows
                if r.stack == stack and r.version == version and r.case == case]
        if len(rows) <= 1:
            return rows[0] if rows else None
        m = Row(stack, version, case)

        def median(key):
            values = sorted(getattr(r, key) for r in rows if getattr(r, key) is not None)
            return values[len(values) // 2] if values else None
        for key in ("outage", "failed", "probes", "takeover", "detect", "back"):
            setattr(m, key, median(key))
        m.unfinished = any(r.unfinished for r in rows)
        outages = [r.outage for r in rows if r.outage is not None]
        m.after = rows[-1].after
        m.note = (f"median of {len(rows)}; outages {min(outages):.2f}-{max(outages):.2f} s"
                  if outages else f"{len(rows)} runs")
        return m

    def print_row(self, row, live=False):
        adv = SETTINGS[row.version]["advert_int"]
        detect = f"{row.detect:.2f}" if row.detect is not None else "-"
        takeover = f"{row.takeover:.2f}" if row.takeover is not None else "-"
        back = f"{row.back:.2f}" if row.back is not None else "-"
        target = TARGET_TEXT[(row.version, row.case)]
        verdict = self.verdict(row)
        if verdict:
            target += f" [{verdict}]"
        line = (f"{row.stack:<10} {f'v{row.version} {adv:g}s':<8} {row.case:<5} "
                f"{row.fmt_outage():>8} {row.failed if row.failed is not None else '-':>6} "
                f"{row.probes if row.probes is not None else '-':>6} {takeover:>7} "
                f"{detect:>7} {back:>6}  {target:<30} {row.after}")
        if row.note:
            line += f"  -- {row.note}"
        print(line, flush=True)

    def summary(self):
        if not self.rows:
            return
        print()
        print(self.HEADER)
        for row in self.rows:
            self.print_row(row)
        if self.args.repeat > 1:
            print()
            print("medians:")
            print(self.HEADER)
            seen = []
            for r in self.rows:
                if (r.stack, r.version, r.case) not in seen:
                    seen.append((r.stack, r.version, r.case))
                    self.print_row(self.find(r.stack, r.version, r.case))
        ratios = []
        for version in sorted({r.version for r in self.rows}):
            for case in CASES:
                k, d = self.find("keepalived", version, case), self.find("dplb", version, case)
                if k and d and k.outage and d.outage is not None:
                    ratios.append(f"ratio v{version} {case}: dplb/keepalived outage = "
                                  f"{d.outage / k.outage:.2f} ({d.fmt_outage()} / "
                                  f"{k.fmt_outage()} s)")
        if ratios:
            print()
            print("\n".join(ratios))

    # the run

    def run(self):
        a = self.args
        self.lab = labmod.Lab(a.prefix, lbs=2, servers=3, nginx=True, verbose=a.verbose)
        self.lab.up()
        stacks = []
        if a.only in (None, "reference"):
            stacks.append(ReferenceStack)
        if a.only in (None, "dplb"):
            stacks.append(DplbStack)
        versions = [a.version] if a.version else [2, 3]
        cases = [a.case] if a.case else list(CASES)
        self.watcher = AdvertWatcher(self.lab)
        print(self.HEADER, flush=True)
        unavailable = set()
        for version in versions:
            for cls in stacks:
                if cls.name in unavailable:
                    continue
                stack = cls(self)
                try:
                    stack.check_available()
                    log(f"{stack.label}, VRRPv{version}, advert_int "
                        f"{SETTINGS[version]['advert_int']:g} s: starting lb1 and lb2")
                    stack.setup(version)
                    for case in cases:
                        for _ in range(a.repeat):
                            self.run_case(stack, version, case)
                except StackUnavailable as e:
                    print(f"tools/bench failover: {stack.label} cannot run: {e}", file=sys.stderr,
                          flush=True)
                    unavailable.add(cls.name)
                    self.failed_something = True
                    self.unavailable = True
                finally:
                    self.between_stacks(stack)
        self.summary()

    def between_stacks(self, stack):
        """Stops a stack and puts the lab back as it was (link up, no neighbour left). After
        Ctrl-C the lab is already gone: nothing to do then."""
        try:
            stack.teardown()
            self.lab.set_switch_port("lb1-front", up=True)
            self.lab.run("client", "ip", "neigh", "flush", "all", check=False)
            for i in (1, 2, 3):
                self.lab.run(f"srv{i}", "ip", "neigh", "flush", "all", check=False)
        except labmod.LabError:
            if labmod.list_namespaces(self.lab.prefix):
                raise

    def down(self):
        if self.watcher is not None:
            self.watcher.close()
        if self.lab is not None:
            self.lab.down()
        if self.failed_something or self.args.verbose:
            log(f"configurations and logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def versions_line():
    def first(cmd):
        try:
            res = subprocess.run(cmd, text=True, capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return "?"
        return ((res.stdout or res.stderr).strip().splitlines() or ["?"])[0]
    return f"{first([KEEPALIVED, '--version'])}; {first([HAPROXY, '-v'])}"


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(
        prog="tools/bench failover",
        description="VRRP failover outages in the lab, keepalived + HAProxy against dplb. "
                    "Prints figures; never fails on them.")
    ap.add_argument("--only", choices=["reference", "dplb"], help="run one stack")
    ap.add_argument("--version", type=int, choices=[2, 3],
                    help="2: VRRPv2 advert_int 1 s; 3: VRRPv3 advert_int 0.1 s (default both)")
    ap.add_argument("--case", choices=list(CASES), help="run one case (default all)")
    ap.add_argument("--phase", choices=["advert", "any"], default="advert",
                    help="advert (default): apply each fault just after one of lb1's adverts, "
                         "so the backup waits its whole Master_Down_Interval (the worst case, "
                         "repeatable); any: whenever the baseline ends (the outage then varies "
                         "by up to one advert interval)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each case N times and also print medians (default 1); the "
                         "ratios then compare medians")
    ap.add_argument("--prefix", default=f"dplbf{os.getpid()}", help="lab namespace prefix")
    ap.add_argument("--dplb", default=os.path.join(ROOT, "build/release/dplb"),
                    help="the dplb binary (tools/bench passes build/release/dplb)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every step, the prober's outages, and keep the logs")
    args = ap.parse_args(argv)
    if not 1 <= args.repeat <= 20:
        ap.error("--repeat must be 1..20")
    VERBOSE = args.verbose
    args.dplb = os.path.abspath(args.dplb)
    if os.geteuid() != 0:
        print("tools/bench failover: needs root (network namespaces)", file=sys.stderr)
        return 1
    for tool in ("curl", "taskset", "ip"):
        if shutil.which(tool) is None:
            print(f"tools/bench failover: {tool} is missing (tools/setup installs it)",
                  file=sys.stderr)
            return 1
    log(f"{os.cpu_count()} CPUs, kernel {os.uname().release}; {versions_line()}")
    log(f"prober: new connection + GET / to {VIP}:80 every {PROBE_INTERVAL * 1000:.0f} ms "
        f"({PROBE_TIMEOUT:g} s timeout) in the client namespace; lb1 on CPU {CPU[1]}, lb2 on "
        f"CPU {CPU[2]}")
    log("columns: outage s = longest outage seen by the prober (+: still out at the end); "
        "failed/probes; lb2 adv = seconds from the fault to lb2's first advert seen by the "
        "client; lb2 MST = seconds from the fault until lb2 reported MASTER (polled every "
        f"{STATE_POLL * 1000:.0f} ms); back s = longest outage while lb1 took the VIP back "
        "(preempt) after being restored")
    log(f"faults applied {'just after one of lb1s adverts' if args.phase == 'advert' else 'at any phase'}"
        " (--phase)")
    bench = Bench(args)
    status = 0
    try:
        bench.run()
        if bench.unavailable:
            status = 1
    except (BenchError, labmod.LabError) as e:
        print(f"tools/bench failover: {e}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("tools/bench failover: interrupted", file=sys.stderr)
        status = 130
    finally:
        bench.down()
    return status


if __name__ == "__main__":
    sys.exit(main())
