"""Shared pieces of the integration suites: a lab in network namespaces
(tools/lab.py), dplb started in lb1 with its output captured, `dplb ctl`,
and checks that a stopped dplb left nothing behind.

Each test module calls run_module(), which parses --dplb and --source-root,
skips (TAP "1..0 # SKIP") without root, and reports each case in TAP.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

READY_TIMEOUT = 20   # seconds until the control socket must answer
EXIT_TIMEOUT = 10    # seconds dplb gets to exit after quit/SIGTERM
LB_FRONT_ADDR = "10.99.1.2"
LB_FRONT_MAC = "02:99:01:00:01:01"  # lab.py's MAC of lb1's `front`
# A dplb log record, e.g. "2026-...Z dplb[42]: info: EAL arguments: ..."
LOG_RECORD = re.compile(r"\bdplb\[\d+\]: (emerg|alert|crit|err|warning|notice|info|debug): ")
# An error dplb itself reports (not one of DPDK's, which carry "dpdk:").
OWN_ERROR = re.compile(r"\bdplb\[\d+\]: (emerg|alert|crit|err): (?!dpdk:)")

DPLB = None    # path of the binary under test, from --dplb
SOURCE_ROOT = None  # the repository, from --source-root
lab = None     # tools/lab.py, imported from --source-root

CONFIG = """\
[dataplane]
workers = [1]
control_lcore = 0
hugepages = false
memory_mb = 256
idle_sleep_us = 100
{dataplane_extra}
[console]
socket = "{socket}"

[[port]]
name = "front"
device = "{front_device}"
address = "10.99.1.2/24"

[[port]]
name = "back"
device = "net_af_packet1,iface=back"
address = "10.99.2.2/24"
"""


def port_block(show_ports: str, name: str) -> str:
    """The lines of `show ports` output that belong to port `name` (from `port N name` on)."""
    blocks = re.split(r"(?m)^(?=port\s+\d+\s)", show_ports)
    for block in blocks:
        if re.match(rf"port\s+\d+\s+{re.escape(name)}\b", block):
            return block
    return ""


def port_counter(show_ports: str, name: str, counter: str):
    """Value of e.g. rx-packets for port `name`, or None when absent."""
    m = re.search(rf"\b{re.escape(counter)}\s+(\d+)\b", port_block(show_ports, name))
    return int(m.group(1)) if m else None


PORT_DRIVER = os.environ.get("DPLB_PORT_DRIVER", "af_packet")


def for_port_driver(text: str, driver: str = "") -> str:
    """A config's lab ports on `driver` (default: what DPLB_PORT_DRIVER names): the suites are
    written for net_af_packet, and DPLB_PORT_DRIVER=af_xdp runs them on net_af_xdp instead
    (qpairs=N becomes queue_count=N, which a veth cannot give: see test_multicore.py)."""
    if (driver or PORT_DRIVER) != "af_xdp":
        return text

    def swap(m):
        queues = f",queue_count={m.group(3)}" if m.group(3) else ""
        return f"net_af_xdp{m.group(1)},iface={m.group(2)}{queues}"
    return re.sub(r"net_af_packet(\d+),iface=([\w.-]+)(?:,qpairs=(\d+))?", swap, text)


class DplbRun:
    """One dplb process in the lb1 namespace, its output captured in files."""

    def __init__(self, case, tag: str, conf: str, *extra):
        if PORT_DRIVER != "af_packet":
            with open(conf) as f:
                text = f.read()
            with open(conf, "w") as f:
                f.write(for_port_driver(text))
        self.tag = tag
        self.out_path = os.path.join(case.tmp, f"{tag}.stdout")
        self.err_path = os.path.join(case.tmp, f"{tag}.stderr")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            # ip netns exec execs dplb: proc.pid is dplb itself, so signals reach it directly.
            self.proc = case.lab.popen("lb1", DPLB, "-c", conf, *extra,
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def output(self) -> str:
        parts = []
        for label, path in (("stdout", self.out_path), ("stderr", self.err_path)):
            try:
                with open(path, errors="replace") as f:
                    parts.append(f"--- dplb {self.tag} {label} ---\n{f.read()}")
            except OSError:
                pass
        return "\n".join(parts)

    def stderr(self) -> str:
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait(self, timeout: float):
        """Exit status, or None if still running after `timeout`."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


class LabTestCase(unittest.TestCase):
    """A lab with one load balancer and `servers` nginx servers, shared by the class."""

    servers = 0

    @classmethod
    def setUpClass(cls):
        cls.prefix = f"dplbt{os.getpid()}"
        cls.tmp = tempfile.mkdtemp(prefix=f"{cls.prefix}-")
        cls.lab = lab.Lab(cls.prefix, lbs=1, servers=cls.servers, nginx=cls.servers > 0)
        try:
            cls.lab.up()
        except BaseException:
            cls.lab.down()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        # The lab's state dir is removed by down(), taking a stale socket with it.
        cls.sock = os.path.join(cls.lab.state_dir, "dplb.sock")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.lab.down()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # helpers

    def write_config(self, tag: str, front_device="net_af_packet0,iface=front",
                     dataplane_extra="", extra="") -> str:
        """`extra` is TOML appended after the ports, e.g. '[tcp]\ntime_wait = "1s"'."""
        path = os.path.join(self.tmp, f"{tag}.toml")
        with open(path, "w") as f:
            f.write(CONFIG.format(socket=self.sock, front_device=front_device,
                                  dataplane_extra=dataplane_extra))
            if extra:
                f.write("\n" + extra.strip("\n") + "\n")
        return path

    def ctl(self, *args, timeout=10) -> subprocess.CompletedProcess:
        # The socket is a file, reachable from the root namespace.
        return subprocess.run([DPLB, "ctl", "-s", self.sock, *args], text=True,
                              capture_output=True, timeout=timeout)

    def start(self, tag: str, dataplane_extra: str = "", extra: str = "") -> DplbRun:
        """Start dplb with the lab config and wait until its control socket answers.
        `extra`: more TOML tables, appended to the config (see write_config)."""
        run = DplbRun(self, tag, self.write_config(tag, dataplane_extra=dataplane_extra,
                                                   extra=extra))
        self.addCleanup(run.kill)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if run.proc.poll() is not None:
                self.fail(f"dplb exited with {run.proc.returncode} during startup\n"
                          + run.output())
            try:
                if self.ctl("show", "ports", timeout=5).returncode == 0:
                    return run
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.2)
        self.fail(f"control socket {self.sock} did not answer within {READY_TIMEOUT} s\n"
                  + run.output())

    def own_error_line(self, run: DplbRun) -> str:
        """The one error line dplb itself wrote on stderr, after checking that every
        stderr line is a dplb log record (DPDK's, libbpf's and libxdp's messages are
        routed through dplb's logger, tagged)."""
        lines = [l for l in run.stderr().splitlines() if l.strip()]
        strays = [l for l in lines if not LOG_RECORD.search(l)]
        self.assertEqual(strays, [], f"stderr lines outside the log format\n{run.output()}")
        own_errors = [l for l in lines if OWN_ERROR.search(l)]
        self.assertEqual(len(own_errors), 1, f"want one dplb error line\n{run.output()}")
        return own_errors[0]

    def assert_exits_cleanly(self, run: DplbRun, why: str) -> None:
        rc = run.wait(EXIT_TIMEOUT)
        if rc is None:
            self.fail(f"dplb still running {EXIT_TIMEOUT} s after {why}\n{run.output()}")
        self.assertEqual(rc, 0, f"dplb exit status after {why}\n{run.output()}")
        left = lab.namespace_pids(self.lab.ns("lb1"))
        self.assertEqual(left, [], f"processes left in lb1 after {why}\n{run.output()}")
        self.assertFalse(os.path.exists(self.sock),
                         f"control socket {self.sock} left after {why}\n{run.output()}")
        if os.path.isdir("/dev/hugepages"):
            stale = [f for f in os.listdir("/dev/hugepages") if "rtemap" in f]
            self.assertEqual(stale, [], f"hugepage files left after {why}")

    def send_traffic(self) -> None:
        """At least 10 frames from the client to lb1's front port, answered or not.

        A static neighbour entry makes every ping an IPv4 frame on the wire: without it the
        kernel would only send a few ARP requests while dplb does not answer ARP.
        """
        self.lab.run("client", "ip", "neigh", "replace", LB_FRONT_ADDR, "lladdr",
                     LB_FRONT_MAC, "dev", "eth0", "nud", "permanent")
        self.lab.run("client", "ping", "-c", "10", "-i", "0.2", "-W", "1", LB_FRONT_ADDR,
                     check=False, timeout=20)
        if shutil.which("arping"):
            # No interface option: iputils and Habets arping spell it differently, and
            # eth0 is the only route anyway.
            self.lab.run("client", "arping", "-c", "3", LB_FRONT_ADDR, check=False,
                         timeout=15)



def run_module(module) -> None:
    global DPLB, SOURCE_ROOT, lab
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--dplb", required=True, help="dplb binary under test")
    ap.add_argument("--source-root", required=True, help="repository root (for tools/lab.py)")
    args, _ = ap.parse_known_args()
    if os.geteuid() != 0:
        print("1..0 # SKIP network namespaces need root")
        sys.exit(0)
    DPLB = os.path.abspath(args.dplb)
    SOURCE_ROOT = os.path.abspath(args.source_root)
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.join(os.path.abspath(args.source_root), "tools"))
    import lab as lab_module
    lab = lab_module
    import tap_runner
    sys.exit(tap_runner.run(module))
