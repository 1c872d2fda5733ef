#!/usr/bin/env python3
"""VRRP with real peers: two dplb boxes sharing the reference's virtual
address 10.99.1.10 (lb1 MASTER 101, lb2 BACKUP 50, v2 with PASS auth), their
takeovers (process killed, cable cut, clean stop, operator commands, tracked
backend lost), and keepalived (Debian's) as the peer in both roles with v2 and
v3. A tshark capture on the client checks every advert and gratuitous ARP dplb
sent decodes without warnings.

    python3 tests/integration/test_vrrp.py --dplb build/dplb --source-root .
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

VIP = "10.99.1.10"
URL = f"http://{VIP}/"
STATE = re.compile(r"\bstate\s+(MASTER|BACKUP|FAULT|INIT|STOP)\b")


def dplb_config(i, socket, state, priority, version=2, advert_int="1.0", extra_vrrp="", extra=""):
    auth = 'auth_pass = "12345678"' if version == 2 else ""
    return f"""
[dataplane]
workers = [1]
control_lcore = 0
hugepages = false
memory_mb = 256
idle_sleep_us = 100

[console]
socket = "{socket}"

[tcp]
time_wait = "1s"

[[port]]
name = "front"
device = "net_af_packet0,iface=front"
address = "10.99.1.{1 + i}/24"

[[port]]
name = "back"
device = "net_af_packet1,iface=back"
address = "10.99.2.{1 + i}/24"

[[vrrp]]
name = "VI_1"
port = "front"
state = "{state}"
virtual_router_id = 101
priority = {priority}
version = {version}
advert_int = {advert_int}
{auth}
preempt = true
virtual_addresses = ["{VIP}/24"]
{extra_vrrp}

[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web_servers"

[[backend]]
name = "web_servers"
{extra}
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


def keepalived_config(state, priority, version=2, advert_int="1", notify=""):
    auth = """    authentication {
        auth_type PASS
        auth_pass 12345678
    }""" if version == 2 else ""
    return f"""global_defs {{
    router_id keepalived_lb2
    vrrp_version {version}
    script_user root
    enable_script_security
}}
vrrp_instance VI_1 {{
    state {state}
    interface front
    virtual_router_id 101
    priority {priority}
    advert_int {advert_int}
{auth}
    virtual_ipaddress {{
        {VIP}/24
    }}
    notify {notify}
}}
"""


class Dplb:
    """dplb in lbN's namespace with its own control socket."""

    def __init__(self, case, i, conf_text, tag):
        self.case, self.i = case, i
        self.sock = os.path.join(case.tmp, f"lb{i}-{tag}.sock")
        self.conf = os.path.join(case.tmp, f"lb{i}-{tag}.toml")
        with open(self.conf, "w") as f:
            f.write(h.for_port_driver(conf_text.replace("@SOCKET@", self.sock)))
        self.out_path = os.path.join(case.tmp, f"lb{i}-{tag}.log")
        self.out = open(self.out_path, "w")
        self.proc = case.lab.popen(f"lb{i}", h.DPLB, "-c", self.conf, stdin=subprocess.DEVNULL,
                                   stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + h.READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dplb lb{i} exited with {self.proc.returncode}\n{self.log()}")
            if self.ctl("show", "vrrp").returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"dplb lb{i} did not answer on {self.sock}\n{self.log()}")

    def ctl(self, *args):
        try:
            return subprocess.run([h.DPLB, "ctl", "-s", self.sock, *args], text=True,
                                  capture_output=True, timeout=10)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(e.cmd, 1, "", "timeout")

    def state(self):
        if self.proc.poll() is not None:
            return "DEAD"
        m = STATE.search(self.ctl("show", "vrrp", "VI_1").stdout)
        return m.group(1) if m else "?"

    def log(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.out.close()
        return self.proc.returncode


class Keepalived:
    """keepalived in lbN's namespace, on the kernel's own address for `front`."""

    def __init__(self, case, i, conf_text, tag):
        self.case, self.i = case, i
        base = os.path.join(case.tmp, f"ka{i}-{tag}")
        self.state_file = base + ".state"
        notify = base + ".notify.sh"
        with open(notify, "w") as f:
            f.write(f"#!/bin/sh\necho \"$3\" > {self.state_file}\n")
        os.chmod(notify, 0o755)
        self.conf = base + ".conf"
        with open(self.conf, "w") as f:
            f.write(conf_text.replace("@NOTIFY@", notify))
        case.lab.add_lb_addresses(i)
        self.out = open(base + ".log", "w")
        self.proc = case.lab.popen(f"lb{i}", "keepalived", "-n", "-l", "-D", "--vrrp", "-f", self.conf,
                                   "-p", base + ".pid", "-r", base + ".vrrp.pid",
                                   stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT)
        self.log_path = base + ".log"

    def state(self):
        if self.proc.poll() is not None:
            return "DEAD"
        try:
            with open(self.state_file) as f:
                return f.read().strip() or "?"
        except OSError:
            return "?"

    def log(self):
        if not self.out.closed:
            self.out.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.out.close()
        self.case.lab.clear_lb_addresses(self.i)


class VrrpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = f"dplbt{os.getpid()}"
        cls.tmp = tempfile.mkdtemp(prefix=f"{cls.prefix}-")
        cls.lab = h.lab.Lab(cls.prefix, lbs=2, servers=3, nginx=True)
        try:
            cls.lab.up()
        except BaseException:
            cls.lab.down()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.down()
        subprocess.run(["rm", "-rf", cls.tmp], check=False)

    # helpers

    def dplb(self, i, state, priority, **kw):
        d = Dplb(self, i, dplb_config(i, "@SOCKET@", state, priority, **kw), self._testMethodName)
        self.addCleanup(d.stop, signal.SIGKILL)
        return d

    def keepalived(self, i, state, priority, **kw):
        self.instances = getattr(self, "instances", 0) + 1
        k = Keepalived(self, i, keepalived_config(state, priority, notify="@NOTIFY@", **kw),
                       f"{self._testMethodName}-{self.instances}")
        self.addCleanup(k.stop)
        return k

    def wait_states(self, expected, timeout, why):
        """expected: {name: (box, state)}; returns the seconds it took."""
        start = time.monotonic()
        while True:
            seen = {name: box.state() for name, (box, _) in expected.items()}
            if all(seen[name] == want for name, (_, want) in expected.items()):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                wanted = {name: want for name, (_, want) in expected.items()}
                self.fail(f"{why}: wanted {wanted}, have {seen} after {timeout} s\n" + self.logs(expected))
            time.sleep(0.05)

    def logs(self, boxes):
        return "\n".join(f"--- {n} ---\n{b.log()[-4000:]}" for n, (b, _) in boxes.items())

    def curl_vip(self, timeout=3):
        res = self.lab.run("client", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                           "--max-time", str(timeout), URL, check=False, timeout=timeout + 5)
        return res.stdout.strip()

    def wait_vip(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.curl_vip(2) == "200":
                return True
            time.sleep(0.2)
        return False

    def start_capture(self, name):
        path = os.path.join(self.tmp, name)
        proc = self.lab.popen("client", "tshark", "-q", "-i", "eth0", "-w", path, "-f", "vrrp or arp",
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)  # tshark opens the interface
        return proc, path

    def stop_capture(self, proc):
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)

    def adverts_in(self, path):
        """(source MAC, version, priority, auth type, checksum status) of every VRRP frame."""
        res = self.lab.run("client", "tshark", "-r", path, "-Y", "vrrp", "-T", "fields", "-e", "eth.src",
                           "-e", "vrrp.version", "-e", "vrrp.prio", "-e", "vrrp.auth_type",
                           "-e", "vrrp.checksum.status", check=False)
        return [r.split("\t") for r in res.stdout.strip().splitlines() if r]

    def assert_no_expert_warnings(self, path):
        expert = self.lab.run("client", "tshark", "-r", path, "-q", "-z", "expert,warn", check=False).stdout
        self.assertNotRegex(expert, r"(?i)\b(Warning|Error)s? \(\d+\)", expert)

    def vip_mac_on_client(self):
        out = self.lab.run("client", "ip", "neigh", "show", VIP, check=False).stdout
        m = re.search(r"lladdr ([0-9a-f:]+)", out)
        return m.group(1) if m else None

    # the pair of dplb boxes

    def test_pair_elects_the_configured_master_and_serves_the_vip(self):
        tshark, cap = self.start_capture("pair.pcap")
        try:
            lb1 = self.dplb(1, "MASTER", 101)
            lb2 = self.dplb(2, "BACKUP", 50)
            took = self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
            print(f"# converged {took:.2f} s after both booted")
            # The client asks for the VIP afresh, so the backup sees it ask.
            self.lab.run("client", "ip", "neigh", "flush", "all", check=False)
            self.assertTrue(self.wait_vip(), "the VIP does not answer HTTP\n" + lb1.log())
            self.assertEqual(self.vip_mac_on_client(), h.lab.lb_mac(1, 1))
            show = lb2.ctl("show", "vrrp").stdout
            self.assertIn("master 10.99.1.2, priority 101", show)
            self.assertRegex(show, r"adverts sent 0, received [1-9]")
            # The backup drops what is sent to the VIP and says so.
            ports = lb2.ctl("show", "ports").stdout
            self.assertRegex(ports, r"arp-vip-not-owned [1-9]", ports)
            # A takeover, so that lb2's adverts and GARPs are in the capture too.
            lb1.stop(signal.SIGTERM)
            self.wait_states({"lb2": (lb2, "MASTER")}, 3, "lb1 stopped")
            time.sleep(1.5)
        finally:
            self.stop_capture(tshark)
        rows = self.adverts_in(cap)
        lb1_mac, lb2_mac = h.lab.lb_mac(1, 1), h.lab.lb_mac(2, 1)
        self.assertTrue(any(r[0] == lb1_mac and r[2] == "101" for r in rows), rows)
        self.assertTrue(any(r[0] == lb1_mac and r[2] == "0" for r in rows),
                        f"no priority-0 advert from the stopped master: {rows}")
        self.assertTrue(any(r[0] == lb2_mac and r[2] == "50" for r in rows), rows)
        for r in rows:
            if r[0] in (lb1_mac, lb2_mac):
                self.assertEqual(r[1:2] + r[3:], ["2", "1", "1"], f"v2, auth PASS, checksum good: {r}")
        garps = self.lab.run("client", "tshark", "-r", cap, "-Y",
                             f"arp.isgratuitous == 1 && arp.src.proto_ipv4 == {VIP}", "-T", "fields",
                             "-e", "eth.src", check=False).stdout.split()
        self.assertGreaterEqual(garps.count(lb1_mac), 5, garps)
        self.assertGreaterEqual(garps.count(lb2_mac), 5, garps)
        self.assert_no_expert_warnings(cap)

    def test_use_vmac_on_af_packet_is_a_boot_error(self):
        path = os.path.join(self.tmp, "vmac.toml")
        with open(path, "w") as f:
            f.write(h.for_port_driver(dplb_config(1, os.path.join(self.tmp, "vmac.sock"), "MASTER", 101,
                                                  extra_vrrp="use_vmac = true")))
        res = self.lab.run("lb1", h.DPLB, "-c", path, check=False, timeout=60)
        self.assertNotEqual(res.returncode, 0)
        self.assertRegex(res.stdout + res.stderr,
                         r"port 'front' \(net_af_(packet|xdp)0[^)]*\): cannot add the virtual MAC 00:00:5e:00:01:65 for "
                         r"\[\[vrrp\]\] VI_1: .*; set use_vmac = false")

    def test_master_killed_then_back_preempts(self):
        lb1 = self.dplb(1, "MASTER", 101)
        lb2 = self.dplb(2, "BACKUP", 50)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
        lb1.stop(signal.SIGKILL)
        took = self.wait_states({"lb2": (lb2, "MASTER")}, 6, "lb1 killed")
        print(f"# lb2 MASTER {took:.2f} s after lb1 was killed (master down interval 3.80 s)")
        self.assertGreater(took, 2.5, "lb2 took over before the master down interval")
        self.assertTrue(self.wait_vip(), "the VIP does not answer through lb2\n" + lb2.log())
        self.assertEqual(self.vip_mac_on_client(), h.lab.lb_mac(2, 1), "the client did not learn lb2's GARP")
        lb1 = self.dplb(1, "MASTER", 101)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "lb1 back (preempt)")
        self.assertTrue(self.wait_vip(), "the VIP does not answer through lb1 again")

    def test_clean_stop_hands_over_within_skew_time(self):
        lb1 = self.dplb(1, "MASTER", 101)
        lb2 = self.dplb(2, "BACKUP", 50)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
        # The advert group joined on the kernel interface (a NIC under net_af_packet or
        # net_af_xdp would filter the adverts out otherwise), and left at stop.
        group = "01:00:5e:00:00:12"
        self.assertIn(group, self.lab.run("lb1", "ip", "maddr", "show", "dev", "front").stdout, lb1.log())
        start = time.monotonic()
        self.assertEqual(lb1.stop(signal.SIGTERM), 0, lb1.log())
        self.assertNotIn(group, self.lab.run("lb1", "ip", "maddr", "show", "dev", "front").stdout)
        took = self.wait_states({"lb2": (lb2, "MASTER")}, 3, "lb1 stopped")
        print(f"# lb2 MASTER {time.monotonic() - start:.2f} s after SIGTERM to lb1 (skew time 0.80 s)")
        self.assertIn("Entering STOP STATE", lb1.log())
        self.assertLess(took, 2.0, "no priority-0 handover?")
        self.assertTrue(self.wait_vip())

    def test_cable_cut_puts_master_in_fault(self):
        lb1 = self.dplb(1, "MASTER", 101)
        lb2 = self.dplb(2, "BACKUP", 50)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
        self.lab.set_switch_port("lb1-front", False)
        try:
            took = self.wait_states({"lb1": (lb1, "FAULT"), "lb2": (lb2, "MASTER")}, 8, "lb1's cable cut")
            print(f"# lb1 FAULT and lb2 MASTER {took:.2f} s after the cut")
            self.assertTrue(self.wait_vip(), "the VIP does not answer through lb2")
        finally:
            self.lab.set_switch_port("lb1-front", True)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 10, "lb1's cable back")

    def test_operator_priority_and_stop(self):
        lb1 = self.dplb(1, "MASTER", 101)
        lb2 = self.dplb(2, "BACKUP", 50)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
        res = lb2.ctl("vrrp", "priority", "VI_1", "200")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.wait_states({"lb1": (lb1, "BACKUP"), "lb2": (lb2, "MASTER")}, 5, "lb2 raised to 200")
        res = lb2.ctl("vrrp", "stop", "VI_1")
        self.assertIn("priority 0", res.stdout)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "STOP")}, 3, "lb2 stopped by the operator")
        res = lb2.ctl("vrrp", "start", "VI_1")
        self.assertEqual(res.returncode, 0, res.stdout)
        self.wait_states({"lb2": (lb2, "MASTER")}, 8, "lb2 started again (priority 200 preempts)")
        for bad in (("vrrp", "priority", "VI_9", "10"), ("vrrp", "priority", "VI_1", "300"),
                    ("vrrp", "stop", "nope")):
            res = lb2.ctl(*bad)
            self.assertNotEqual(res.returncode, 0, f"{bad}: {res.stdout}")
            self.assertIn("error:", res.stdout + res.stderr)

    def test_tracked_backend_lost_gives_the_vip_away(self):
        track = 'track_backends = [ { backend = "web_servers", weight = -60 } ]'
        health = '[backend.health_check]\ntype = "http"\npath = "/health"\ninterval = "300ms"\nrise = 1\nfall = 1\n'
        lb1 = self.dplb(1, "MASTER", 101, extra_vrrp=track, extra=health)
        lb2 = self.dplb(2, "BACKUP", 50)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 8, "boot")
        # lb1 alone loses its servers: its back port's cable is cut.
        self.lab.set_switch_port("lb1-back", False)
        try:
            self.wait_states({"lb1": (lb1, "BACKUP"), "lb2": (lb2, "MASTER")}, 10, "lb1's backend down")
            self.assertIn("effective 41", lb1.ctl("show", "vrrp").stdout)
        finally:
            self.lab.set_switch_port("lb1-back", True)
        self.wait_states({"lb1": (lb1, "MASTER"), "lb2": (lb2, "BACKUP")}, 15, "lb1's servers back")

    # keepalived as the peer

    def keepalived_pair(self, version, advert_int_dplb, advert_int_ka):
        tshark, cap = self.start_capture(f"keepalived-v{version}.pcap")
        self.addCleanup(lambda: tshark.poll() is None and tshark.kill())
        lb1 = self.dplb(1, "MASTER", 101, version=version, advert_int=advert_int_dplb)
        ka = self.keepalived(2, "BACKUP", 50, version=version, advert_int=advert_int_ka)
        self.wait_states({"dplb": (lb1, "MASTER"), "keepalived": (ka, "BACKUP")}, 10,
                         f"dplb MASTER with keepalived BACKUP, v{version}")
        self.assertTrue(self.wait_vip())
        # dplb leaves cleanly: keepalived takes over.
        lb1.stop(signal.SIGTERM)
        self.wait_states({"keepalived": (ka, "MASTER")}, 3, f"dplb stopped, v{version}")
        ka.stop()
        # Roles the other way round: keepalived the master, dplb the backup.
        ka = self.keepalived(2, "MASTER", 150, version=version, advert_int=advert_int_ka)
        self.wait_states({"keepalived": (ka, "MASTER")}, 10, "keepalived alone")
        lb1 = Dplb(self, 1, dplb_config(1, "@SOCKET@", "BACKUP", 101, version=version, advert_int=advert_int_dplb),
                   self._testMethodName + "-2")
        self.addCleanup(lb1.stop, signal.SIGKILL)
        self.wait_states({"dplb": (lb1, "BACKUP"), "keepalived": (ka, "MASTER")}, 5,
                         f"keepalived MASTER (150) with dplb BACKUP (101), v{version}")
        # dplb has heard keepalived's adverts and accepted every one.
        deadline = time.monotonic() + 5
        while "master 10.99.1.3, priority 150" not in (show := lb1.ctl("show", "vrrp").stdout):
            self.assertLess(time.monotonic(), deadline, show)
            time.sleep(0.1)
        self.assertIn("drops: none", show, show)
        ka.stop()
        took = self.wait_states({"dplb": (lb1, "MASTER")}, 5, f"keepalived stopped, v{version}")
        print(f"# v{version}: dplb MASTER {took:.2f} s after keepalived stopped")
        time.sleep(0.5)
        self.stop_capture(tshark)
        rows = self.adverts_in(cap)
        ours = [r for r in rows if r[0] == h.lab.lb_mac(1, 1)]
        theirs = [r for r in rows if r[0] == h.lab.lb_mac(2, 1)]
        self.assertTrue(ours and theirs, rows)
        for r in ours:
            self.assertEqual(r[1], str(version), r)
            self.assertEqual(r[4], "1", f"checksum good (tshark's status 1): {r}")
        self.assert_no_expert_warnings(cap)

    def test_keepalived_peer_v2(self):
        self.keepalived_pair(2, "1.0", "1")

    def test_keepalived_peer_v3(self):
        self.keepalived_pair(3, "0.1", "0.1")


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
