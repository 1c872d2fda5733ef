#!/usr/bin/env python3
"""Boot tests: dplb on net_af_packet ports inside the namespace lab (tools/lab.py).

    python3 tests/integration/test_boot.py --dplb build/dplb --source-root .

Needs root (network namespaces); exits 77, meson's skip code, otherwise.
Each dplb run logs its stdout/stderr into a temp dir, shown when a test fails.
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

SKIP = 77
READY_TIMEOUT = 20   # seconds until the control socket must answer
EXIT_TIMEOUT = 10    # seconds dplb gets to exit after quit/SIGTERM
LB_FRONT_ADDR = "10.99.1.2"
LB_FRONT_MAC = "02:99:01:00:01:01"  # lab.py's MAC of lb1's `front`
# A dplb log record, e.g. "2026-...Z dplb[42]: info: EAL arguments: ..."
LOG_RECORD = re.compile(r"\bdplb\[\d+\]: (emerg|alert|crit|err|warning|notice|info|debug): ")
# An error dplb itself reports (not one of DPDK's, which carry "dpdk:").
OWN_ERROR = re.compile(r"\bdplb\[\d+\]: (emerg|alert|crit|err): (?!dpdk:)")

DPLB = None    # path of the binary under test, from --dplb
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


class DplbRun:
    """One dplb process in the lb1 namespace, its output captured in files."""

    def __init__(self, case, tag: str, conf: str, *extra):
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


class BootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = f"dplbt{os.getpid()}"
        cls.tmp = tempfile.mkdtemp(prefix=f"{cls.prefix}-")
        cls.lab = lab.Lab(cls.prefix, lbs=1, servers=0, nginx=False)
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
                     dataplane_extra="") -> str:
        path = os.path.join(self.tmp, f"{tag}.toml")
        with open(path, "w") as f:
            f.write(CONFIG.format(socket=self.sock, front_device=front_device,
                                  dataplane_extra=dataplane_extra))
        return path

    def ctl(self, *args, timeout=10) -> subprocess.CompletedProcess:
        # The socket is a file, reachable from the root namespace.
        return subprocess.run([DPLB, "ctl", "-s", self.sock, *args], text=True,
                              capture_output=True, timeout=timeout)

    def start(self, tag: str) -> DplbRun:
        """Start dplb with the lab config and wait until its control socket answers."""
        run = DplbRun(self, tag, self.write_config(tag))
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

    # tests

    def test_a_check_valid_config(self):
        conf = self.write_config("check-valid")
        res = self.lab.run("lb1", DPLB, "-c", conf, "--check", check=False)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 0, out)
        self.assertIn("configuration is valid", out)

    def test_a_check_unknown_key(self):
        conf = self.write_config("check-unknown", dataplane_extra="no_such_key = 1")
        with open(conf) as f:
            line = 1 + f.read().splitlines().index("no_such_key = 1")
        res = self.lab.run("lb1", DPLB, "-c", conf, "--check", check=False)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 1, out)
        m = re.search(r"(?m)^(\S+):(\d+):(\d+): ", out)
        self.assertIsNotNone(m, f"no FILE:LINE:COL: prefix in\n{out}")
        self.assertEqual(os.path.basename(m.group(1)), os.path.basename(conf), out)
        self.assertEqual(int(m.group(2)), line, out)

    def test_b_boot_count_and_quit(self):
        run = self.start("boot")
        self.send_traffic()
        # The worker counts frames as it polls; give the counters a moment to catch up.
        rx, shown = None, ""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            res = self.ctl("show", "ports")
            shown = res.stdout
            self.assertEqual(res.returncode, 0, f"show ports failed\n{res.stderr}\n"
                             + run.output())
            rx = port_counter(shown, "front", "rx-packets")
            if rx is not None and rx >= 10:
                break
            time.sleep(0.2)
        self.assertIsNotNone(rx, f"no rx-packets for port front in\n{shown}")
        self.assertGreaterEqual(rx, 10, f"show ports:\n{shown}\n{run.output()}")
        res = self.ctl("quit")
        self.assertEqual(res.returncode, 0, f"quit failed\n{res.stdout}{res.stderr}\n"
                         + run.output())
        self.assert_exits_cleanly(run, "quit")

    def test_c_sigterm(self):
        run = self.start("sigterm")
        run.proc.send_signal(signal.SIGTERM)
        self.assert_exits_cleanly(run, "SIGTERM")

    def test_d_bad_device(self):
        conf = self.write_config("bad-device",
                                 front_device="net_af_packet0,iface=doesnotexist")
        run = DplbRun(self, "bad-device", conf)
        self.addCleanup(run.kill)
        rc = run.wait(READY_TIMEOUT)
        self.assertIsNotNone(rc, f"dplb kept running with a bad device\n{run.output()}")
        self.assertNotEqual(rc, 0, run.output())
        # Everything on stderr is a dplb log record (DPDK's own messages are routed through
        # dplb's logger, tagged "dpdk:"), and dplb itself says what failed in exactly one
        # error line that names the port.
        lines = [l for l in run.stderr().splitlines() if l.strip()]
        strays = [l for l in lines if not LOG_RECORD.search(l)]
        self.assertEqual(strays, [], f"stderr lines outside the log format\n{run.output()}")
        own_errors = [l for l in lines if OWN_ERROR.search(l)]
        self.assertEqual(len(own_errors), 1, f"want one dplb error line\n{run.output()}")
        self.assertIn("port 'front'", own_errors[0], run.output())

    def test_e_bogus_command(self):
        run = self.start("bogus")
        res = self.ctl("bogus-command")
        out = res.stdout + res.stderr
        self.assertNotEqual(res.returncode, 0, out)
        self.assertRegex(out, r"(?m)^error:", out)
        self.assertIsNone(run.proc.poll(), f"dplb died on a bad command\n{run.output()}")
        self.assertEqual(self.ctl("show", "ports").returncode, 0,
                         f"dplb stopped answering\n{run.output()}")
        self.assertEqual(self.ctl("quit").returncode, 0, run.output())
        self.assert_exits_cleanly(run, "quit")


def main() -> None:
    global DPLB, lab
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--dplb", required=True, help="dplb binary under test")
    ap.add_argument("--source-root", required=True, help="repository root (for tools/lab.py)")
    args, rest = ap.parse_known_args()

    if os.geteuid() != 0:
        print("1..0 # SKIP network namespaces need root")
        sys.exit(0)
    DPLB = os.path.abspath(args.dplb)
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.join(os.path.abspath(args.source_root), "tools"))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lab as lab_module
    lab = lab_module
    import tap_runner
    sys.exit(tap_runner.run(sys.modules[__name__]))


if __name__ == "__main__":
    main()
