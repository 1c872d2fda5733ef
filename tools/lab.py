#!/usr/bin/env python3
"""Build the reference lab (client, load balancers, nginx servers) in network namespaces.

Topology, every name derived from a prefix P (default "dplb-lab"):

    P-client  eth0 10.99.1.100/24 --+
    P-lb1..N  front (no IP)  -------+-- br-front --+
                                                   |  (both bridges live in P-sw)
    P-lb1..N  back  (no IP)  -------+-- br-back  --+
    P-srv1..N eth0 10.99.2.1N/24 ---+

The load balancer namespaces keep their interfaces up but unaddressed and with
IPv6 off, so the kernel never answers or sends anything there: a DPDK process
using net_af_packet on `front`/`back` owns those links alone.

Nothing is created in the root namespace; state files live under /tmp/P/.

CLI:   lab.py up|down|status [--prefix P] [--lbs N] [--servers N] [--no-nginx]
Module:
    with Lab("dplbt123", lbs=1, servers=0) as lab:
        lab.run("client", "ping", "-c1", "10.99.1.2", check=False)
"""

import argparse
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import time

DEFAULT_PREFIX = "dplb-lab"

FRONT_NET = "10.99.1"
BACK_NET = "10.99.2"
CLIENT_ADDR = f"{FRONT_NET}.100"
PREFIX_LEN = 24
NGINX = "/usr/sbin/nginx"

# Segment numbers used inside the MAC addresses: 02:99:<segment>:...
FRONT_SEG = 1
BACK_SEG = 2


class LabError(RuntimeError):
    pass


def lb_mac(lb: int, segment: int) -> str:
    """Deterministic MAC of a load balancer port, e.g. lb1 front = 02:99:01:00:01:01."""
    return f"02:99:{segment:02x}:00:{lb:02x}:01"


def host_mac(segment: int, host: int) -> str:
    """Deterministic MAC of a client/server iface; the 01 in byte 4 keeps it apart from lb_mac."""
    return f"02:99:{segment:02x}:01:00:{host:02x}"


def server_addr(index: int) -> str:
    """Address of server N (1-based): 10.99.2.11, .12, ..."""
    return f"{BACK_NET}.{10 + index}"


def sh(*cmd, check=True, timeout=30, capture=True, **kw) -> subprocess.CompletedProcess:
    """Run a command; on failure raise LabError carrying the command and its stderr."""
    try:
        res = subprocess.run([str(c) for c in cmd], text=True, timeout=timeout,
                             capture_output=capture, **kw)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {' '.join(map(str, cmd))}") from e
    if check and res.returncode != 0:
        detail = (res.stderr or res.stdout or "").strip() if capture else ""
        raise LabError(f"command failed ({res.returncode}): {' '.join(map(str, cmd))}"
                       + (f"\n{detail}" if detail else ""))
    return res


def list_namespaces(prefix: str) -> list:
    """Namespaces belonging to `prefix`: P-<role> where role has no dash.

    The no-dash rule keeps prefix "dplb-lab" from claiming "dplb-lab-x-sw" of prefix "dplb-lab-x".
    """
    res = sh("ip", "netns", "list", check=False)
    names = []
    for line in res.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(prefix + "-") and "-" not in name[len(prefix) + 1:]:
            names.append(name)
    return names


def namespace_pids(ns: str) -> list:
    res = sh("ip", "netns", "pids", ns, check=False)
    me = os.getpid()
    return [int(p) for p in res.stdout.split() if p.isdigit() and int(p) != me]


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a zombie holds no resources)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def kill_pids(pids: list, grace: float = 3.0) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL whatever is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            pids = [p for p in pids if pid_alive(p)]
            if not pids:
                return
            time.sleep(0.05)


# --- teardown on exit/interrupt -------------------------------------------------------------

_active = {}            # prefix -> Lab that is up and must be torn down if we die
_previous_handlers = {}


def _teardown_all() -> None:
    for lab in list(_active.values()):
        try:
            lab.down()
        except Exception as e:  # keep tearing down the others
            print(f"lab: teardown of {lab.prefix} failed: {e}", file=sys.stderr)


def _on_signal(signum, frame):
    _teardown_all()
    prev = _previous_handlers.pop(signum, signal.SIG_DFL)
    signal.signal(signum, prev)
    if callable(prev):
        prev(signum, frame)  # e.g. SIGINT's default raises KeyboardInterrupt
    raise SystemExit(128 + signum)


def _install_guards() -> None:
    """atexit plus SIGTERM/SIGINT handlers, so an interrupted test still tears its lab down."""
    if getattr(_install_guards, "done", False):
        return
    _install_guards.done = True
    atexit.register(_teardown_all)
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            current = signal.getsignal(sig)
            # Respect a handler someone else installed, and signals deliberately ignored.
            if current in (signal.SIG_DFL, signal.default_int_handler):
                _previous_handlers[sig] = current
                signal.signal(sig, _on_signal)
        except ValueError:
            pass  # not the main thread: atexit alone has to do


# --- the lab ---------------------------------------------------------------------------------

class Lab:
    def __init__(self, prefix: str = DEFAULT_PREFIX, lbs: int = 2, servers: int = 3,
                 nginx: bool = True, keep: bool = False, verbose: bool = False):
        """keep=True leaves the lab running when this process exits (the CLI's `up`)."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", prefix):
            raise LabError(f"bad prefix {prefix!r}")
        self.prefix = prefix
        self.lbs = lbs
        self.servers = servers
        self.nginx = nginx
        self.keep = keep
        self.verbose = verbose
        self.state_dir = f"/tmp/{prefix}"
        self._procs = []
        # Interface names are limited to 15 chars; the longest we make is "lbNN-front".
        if lbs > 99 or servers > 89:
            raise LabError("at most 99 load balancers and 89 servers")

    # names and addresses

    def ns(self, name: str) -> str:
        """Full namespace name of a role: lab.ns('lb1') -> 'dplb-lab-lb1'."""
        return f"{self.prefix}-{name}"

    def server_addr(self, index: int) -> str:
        return server_addr(index)

    # running things inside namespaces

    def run(self, name: str, *cmd, check: bool = True, timeout: float = 30,
            capture: bool = True, **kw) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", self.ns(name), *cmd, check=check, timeout=timeout,
                  capture=capture, **kw)

    def popen(self, name: str, *cmd, **kw) -> subprocess.Popen:
        """Start a process in a namespace; down() stops it if it is still running."""
        kw.setdefault("text", True)
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(name), *map(str, cmd)], **kw)
        self._procs.append(proc)
        return proc

    def _ip(self, name: str, *args) -> None:
        sh("ip", "-n", self.ns(name), *args)

    def _log(self, msg: str) -> None:
        if self.verbose:
            print(f"lab: {msg}", file=sys.stderr)

    # lifecycle

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()
        return False

    def up(self) -> "Lab":
        self.down()  # idempotent: clear leftovers of an interrupted run first
        _active[self.prefix] = self
        _install_guards()
        try:
            os.makedirs(self.state_dir, exist_ok=True)
            self._make_switch()
            self._make_host("client", "eth0", "c-eth0", "br-front",
                            f"{CLIENT_ADDR}/{PREFIX_LEN}", host_mac(FRONT_SEG, 100))
            for i in range(1, self.lbs + 1):
                self._make_lb(i)
            for i in range(1, self.servers + 1):
                self._make_host(f"srv{i}", "eth0", f"s{i}-eth0", "br-back",
                                f"{server_addr(i)}/{PREFIX_LEN}",
                                host_mac(BACK_SEG, 10 + i))
                if self.nginx:
                    self._start_nginx(i)
        except BaseException:
            self.down()
            raise
        if self.keep:
            _active.pop(self.prefix, None)
        return self

    def down(self) -> None:
        """Kill everything inside our namespaces, delete them and the state dir. Never fails."""
        _active.pop(self.prefix, None)
        namespaces = list_namespaces(self.prefix)
        pids = [pid for ns in namespaces for pid in namespace_pids(ns)]
        if pids:
            self._log(f"stopping {len(pids)} process(es)")
            kill_pids(pids)
        self._reap_own()
        for ns in namespaces:
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def _reap_own(self) -> None:
        """Collect processes started with popen() so none stays a zombie."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._procs = []

    # building blocks

    def _add_ns(self, name: str, ipv6: bool) -> None:
        sh("ip", "netns", "add", self.ns(name))
        if not ipv6:
            # Before any link exists, so "default" covers the links made later too.
            self.run(name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                     "net.ipv6.conf.default.disable_ipv6=1")
        self._ip(name, "link", "set", "lo", "up")

    def _make_switch(self) -> None:
        self._log("switch")
        self._add_ns("sw", ipv6=False)
        # With br_netfilter loaded, the bridges would hand frames to netfilter, which drops
        # bad IPv4 headers and holds fragments for reassembly: a switch forwards them as
        # they are (tests/integration/test_hostile.py sends such frames to dplb).
        if os.path.isdir("/proc/sys/net/bridge"):
            self.run("sw", "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0",
                     "net.bridge.bridge-nf-call-arptables=0", check=False)
        for br in ("br-front", "br-back"):
            # STP off: ports forward at once. Multicast snooping off: VRRP adverts and
            # anything else multicast simply flood, like on a dumb switch.
            self._ip("sw", "link", "add", br, "type", "bridge", "stp_state", "0",
                     "mcast_snooping", "0")
            self._ip("sw", "link", "set", br, "up")

    def _plug(self, name: str, ifname: str, sw_end: str, bridge: str, mac: str) -> None:
        """Create a veth whose one end `sw_end` sits on `bridge` in P-sw and other end is
        `ifname` in namespace `name`; both ends created in place (none in the root ns)."""
        self._ip("sw", "link", "add", sw_end, "type", "veth",
                 "peer", "name", ifname, "netns", self.ns(name))
        self._ip("sw", "link", "set", sw_end, "master", bridge)
        self._ip("sw", "link", "set", sw_end, "up")
        self._ip(name, "link", "set", ifname, "address", mac)
        self._ip(name, "link", "set", ifname, "up")

    def _no_offloads(self, name: str, ifname: str) -> None:
        # veth leaves TCP/UDP checksums unfilled (CHECKSUM_PARTIAL) and passes 64 KiB TSO
        # frames as they are; a DPDK af_packet peer would read both as they are. Have the
        # kernel hosts send finished, MTU-sized frames instead.
        if shutil.which("ethtool"):
            self.run(name, "ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off",
                     check=False)
        else:
            print("lab: warning: ethtool missing, veth offloads stay on", file=sys.stderr)

    def _make_host(self, name: str, ifname: str, sw_end: str, bridge: str,
                   cidr: str, mac: str) -> None:
        self._log(f"{name} {cidr}")
        self._add_ns(name, ipv6=False)
        self._plug(name, ifname, sw_end, bridge, mac)
        self._ip(name, "addr", "add", cidr, "dev", ifname)
        self._no_offloads(name, ifname)

    def _make_lb(self, i: int) -> None:
        self._log(f"lb{i}")
        name = f"lb{i}"
        self._add_ns(name, ipv6=False)
        self._plug(name, "front", f"lb{i}-front", "br-front", lb_mac(i, FRONT_SEG))
        self._plug(name, "back", f"lb{i}-back", "br-back", lb_mac(i, BACK_SEG))
        # VLAN tags in the frame, as a switch port delivers them to a NIC that does not
        # strip them: the kernel untags 802.1Q frames into skb metadata at the bridge, and a
        # veth hands them on that way unless its TX VLAN offload is off. net_af_packet reads
        # such metadata back; XDP (net_af_xdp) sees only the bytes.
        if shutil.which("ethtool"):
            for ifname in (f"lb{i}-front", f"lb{i}-back"):
                self.run("sw", "ethtool", "-K", ifname, "txvlan", "off", check=False)
            for ifname in ("front", "back"):
                self.run(name, "ethtool", "-K", ifname, "rxvlan", "off", check=False)

    # optional helpers for kernel-stack load balancers (HAProxy + keepalived) and link faults;
    # nothing above calls them, so the lab itself stays as described at the top

    def lb_front_addr(self, i: int) -> str:
        """A kernel address for lbN's `front` when a kernel-stack LB runs there: 10.99.1.(1+N)."""
        return f"{FRONT_NET}.{1 + i}"

    def lb_back_addr(self, i: int) -> str:
        """A kernel address for lbN's `back`: 10.99.2.(1+N)."""
        return f"{BACK_NET}.{1 + i}"

    def add_lb_addresses(self, i: int, nonlocal_bind: bool = False) -> None:
        """Gives lbN's front and back their kernel addresses (lb_front_addr/lb_back_addr, /24),
        for HAProxy/keepalived; nonlocal_bind lets a proxy bind a VIP the box does not hold."""
        name = f"lb{i}"
        self._ip(name, "addr", "replace", f"{self.lb_front_addr(i)}/{PREFIX_LEN}", "dev", "front")
        self._ip(name, "addr", "replace", f"{self.lb_back_addr(i)}/{PREFIX_LEN}", "dev", "back")
        if nonlocal_bind:
            self.run(name, "sysctl", "-q", "-w", "net.ipv4.ip_nonlocal_bind=1")

    def clear_lb_addresses(self, i: int) -> None:
        """Back to the lab's default for lbN: no kernel address on front/back (for dplb),
        no neighbour entries, ip_nonlocal_bind off. Never fails."""
        name = f"lb{i}"
        for ifname in ("front", "back"):
            sh("ip", "-n", self.ns(name), "addr", "flush", "dev", ifname, check=False)
        sh("ip", "-n", self.ns(name), "neigh", "flush", "all", check=False)
        self.run(name, "sysctl", "-q", "-w", "net.ipv4.ip_nonlocal_bind=0", check=False)

    def set_switch_port(self, port: str, up: bool) -> None:
        """Brings a switch-side veth end (e.g. "lb1-front") down or up: a cable cut as the
        host sees it (its interface stays administratively up and loses its carrier)."""
        self._ip("sw", "link", "set", port, "up" if up else "down")

    # nginx

    def nginx_dir(self, i: int) -> str:
        return os.path.join(self.state_dir, f"srv{i}")

    def _nginx_conf(self, i: int) -> str:
        d = self.nginx_dir(i)
        return f"""\
# Generated by tools/lab.py for {self.ns(f'srv{i}')}; everything lives under {d}.
user root;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    # Buffered so logging costs little during load tests. $connection and
    # $connection_requests show how a proxy reuses connections.
    log_format lab '$remote_addr $connection $connection_requests "$request" $status $body_bytes_sent';
    access_log {d}/access.log lab buffer=64k flush=1s;
    default_type text/plain;
    keepalive_requests 100000;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;

    server {{
        listen {server_addr(i)}:80;
        location = /health {{
            return 200 "ok\\n";
        }}
        # A health endpoint of a broken application.
        location = /broken {{
            return 500 "broken\\n";
        }}
        # What a proxy added: X-Forwarded-* and the Connection header it sent.
        location = /headers {{
            return 200 "xff=$http_x_forwarded_for proto=$http_x_forwarded_proto port=$http_x_forwarded_port connection=$http_connection\\n";
        }}
        # What HTTP rules changed on the way (tests/integration/test_rules.py).
        location /rules/ {{
            return 200 "uri=$uri args=$args start=$http_x_request_start ua=$http_user_agent\\n";
        }}
        # Large files written by tests.
        location /files/ {{
            alias {d}/www/;
        }}
        location / {{
            return 200 "server{i}\\n";
        }}
    }}
}}
"""

    def _start_nginx(self, i: int) -> None:
        if not os.access(NGINX, os.X_OK):
            raise LabError(f"{NGINX} not found (apt-get install nginx-light) or use --no-nginx")
        d = self.nginx_dir(i)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(self._nginx_conf(i))
        # -e: the compiled-in error log (/var/log/nginx) is opened before the config is read.
        # nginx binds its socket before it daemonizes, so once this returns it is listening.
        self.run(f"srv{i}", NGINX, "-p", d + "/", "-e", f"{d}/error.log", "-c", conf)

    # reporting

    def status(self) -> str:
        lines = []
        for ns in sorted(list_namespaces(self.prefix)):
            lines.append(f"== {ns}")
            res = sh("ip", "-n", ns, "-br", "addr", check=False)
            lines += ["   " + l for l in res.stdout.splitlines()]
            for pid in namespace_pids(ns):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                except OSError:
                    continue
                lines.append(f"   pid {pid}: {cmd}")
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [f"lab {self.prefix} is up (state in {self.state_dir})",
                 f"  {self.ns('client'):<24} eth0 {CLIENT_ADDR}/{PREFIX_LEN}"]
        for i in range(1, self.lbs + 1):
            lines.append(f"  {self.ns(f'lb{i}'):<24} front {lb_mac(i, FRONT_SEG)}, "
                         f"back {lb_mac(i, BACK_SEG)} (no IPs: for dplb)")
        for i in range(1, self.servers + 1):
            web = " nginx :80" if self.nginx else ""
            lines.append(f"  {self.ns(f'srv{i}'):<24} eth0 {server_addr(i)}/{PREFIX_LEN}{web}")
        lines.append(f"  {self.ns('sw'):<24} bridges br-front, br-back")
        return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="dplb lab in network namespaces")
    ap.add_argument("action", choices=["up", "down", "status"])
    ap.add_argument("--prefix", default=DEFAULT_PREFIX)
    ap.add_argument("--lbs", type=int, default=2)
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    if os.geteuid() != 0:
        print("lab.py: must run as root", file=sys.stderr)
        return 1
    lab = Lab(args.prefix, lbs=args.lbs, servers=args.servers, nginx=not args.no_nginx,
              keep=True, verbose=args.verbose)
    try:
        if args.action == "up":
            lab.up()
            print(lab.summary())
        elif args.action == "down":
            lab.down()
        else:
            text = lab.status()
            if not text:
                print(f"no lab with prefix {args.prefix}")
                return 1
            print(text)
    except LabError as e:
        print(f"lab.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
