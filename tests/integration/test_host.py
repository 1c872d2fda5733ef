#!/usr/bin/env python3
"""dplb as a host on its front port, against the kernel's own tools in the
client namespace: ping (default and full-MTU sizes), arping, and tshark
decoding every frame dplb sent without a malformed or checksum warning.

    python3 tests/integration/test_host.py --dplb build/dplb --source-root .
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402


class HostTest(h.LabTestCase):
    servers = 1
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.run_ = None

    def setUp(self):
        if HostTest.run_ is None or HostTest.run_.proc.poll() is not None:
            # Short ARP timers so aging and confirmation happen within a test.
            HostTest.run_ = self.start("host", dataplane_extra='arp_timeout = "2s"\narp_retry = "300ms"')
            # One dplb serves every test of the class; it is stopped in tearDownClass.
            self._cleanups.clear()

    @classmethod
    def tearDownClass(cls):
        if cls.run_ is not None:
            subprocess.run([h.DPLB, "ctl", "-s", cls.sock, "quit"], capture_output=True, timeout=10)
            cls.run_.wait(h.EXIT_TIMEOUT)
            cls.run_.kill()
        super().tearDownClass()

    def received(self, ping_output: str) -> int:
        m = re.search(r"(\d+) (packets )?received", ping_output)
        return int(m.group(1)) if m else -1

    def test_ping_every_reply(self):
        res = self.lab.run("client", "ping", "-c", "20", "-i", "0.05", "-W", "1", h.LB_FRONT_ADDR,
                           check=False, timeout=30)
        self.assertEqual(self.received(res.stdout), 20, res.stdout + res.stderr + self.run_.output())

    def test_ping_full_mtu(self):
        res = self.lab.run("client", "ping", "-c", "5", "-s", "1472", "-M", "do", "-i", "0.1", "-W", "1",
                           h.LB_FRONT_ADDR, check=False, timeout=30)
        self.assertEqual(self.received(res.stdout), 5, res.stdout + res.stderr + self.run_.output())

    def test_arping_answered(self):
        res = self.lab.run("client", "arping", "-c", "3", h.LB_FRONT_ADDR, check=False, timeout=20)
        self.assertEqual(self.received(res.stdout), 3, res.stdout + res.stderr)
        self.assertIn(h.LB_FRONT_MAC, res.stdout.lower())

    def test_replies_counted(self):
        self.lab.run("client", "ping", "-c", "3", "-i", "0.1", "-W", "1", h.LB_FRONT_ADDR, check=False)
        shown = self.ctl("show", "ports").stdout
        self.assertGreaterEqual(h.port_counter(shown, "front", "icmp-echo-replies"), 3, shown)
        self.assertGreaterEqual(h.port_counter(shown, "front", "tx-packets"), 3, shown)
        self.assertEqual(h.port_counter(shown, "front", "tx-full"), 0, shown)

    def arp_entry(self, address: str):
        """(mac, state) of `address` in `show arp`, or None."""
        for line in self.ctl("show", "arp").stdout.splitlines():
            fields = line.split()
            if fields and fields[0] == address:
                return fields[1], fields[3]
        return None

    def test_neighbour_learned_then_confirmed_by_probe(self):
        self.lab.run("client", "ip", "neigh", "flush", "dev", "eth0", check=False)
        self.lab.run("client", "ping", "-c", "1", "-W", "1", h.LB_FRONT_ADDR, check=False)
        entry = self.arp_entry("10.99.1.100")
        self.assertIsNotNone(entry, self.ctl("show", "arp").stdout)
        self.assertEqual(entry[0], "02:99:01:01:00:64")  # lab.py's client MAC
        # After arp_timeout (2 s) the entry goes stale and dplb asks the client by unicast;
        # the client's kernel answers, so the entry is reachable again and probes were sent.
        time.sleep(3.5)
        shown = self.ctl("show", "arp").stdout
        self.assertEqual(self.arp_entry("10.99.1.100"), ("02:99:01:01:00:64", "reachable"), shown)
        sent = int(re.search(r"probes-sent (\d+)", shown).group(1))
        self.assertGreaterEqual(sent, 1, shown)

    def test_static_entries_from_the_console(self):
        res = self.ctl("arp", "add", "10.99.1.50", "02:00:00:00:00:50")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(self.arp_entry("10.99.1.50"), ("02:00:00:00:00:50", "permanent"))
        time.sleep(2.5)  # permanent entries never age
        self.assertEqual(self.arp_entry("10.99.1.50"), ("02:00:00:00:00:50", "permanent"))
        self.assertEqual(self.ctl("arp", "del", "10.99.1.50").returncode, 0)
        self.assertIsNone(self.arp_entry("10.99.1.50"))
        bad = self.ctl("arp", "add", "192.0.2.1", "02:00:00:00:00:50")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not inside any port's subnet", bad.stderr)

    def test_udp_to_a_closed_port_is_refused(self):
        probe = ("import socket\n"
                 "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "s.settimeout(3)\n"
                 "s.connect(('10.99.1.2', 9))\n"
                 "s.send(b'hello')\n"
                 "try:\n"
                 "    s.recv(100)\n"
                 "    print('answered')\n"
                 "except ConnectionRefusedError:\n"
                 "    print('refused')\n"
                 "except socket.timeout:\n"
                 "    print('timeout')\n")
        res = self.lab.run("client", "python3", "-c", probe, check=False, timeout=20)
        self.assertEqual(res.stdout.strip(), "refused", res.stdout + res.stderr)
        shown = self.ctl("show", "ports").stdout
        self.assertGreaterEqual(h.port_counter(shown, "front", "icmp-port-unreachable"), 1, shown)

    def test_appliance_pings_a_server_through_the_other_port(self):
        res = self.ctl("ping", "10.99.2.11", "count", "3", "interval", "50", timeout=30)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("from 10.99.2.2 port back", res.stdout)
        self.assertIn("3 packets transmitted, 3 received", res.stdout)
        entry = self.arp_entry("10.99.2.11")
        self.assertIsNotNone(entry)
        self.assertEqual(entry[0], "02:99:02:01:00:0b")  # lab.py's srv1 MAC, learned by resolution

    def test_routes(self):
        shown = self.ctl("show", "routes").stdout
        self.assertRegex(shown, r"(?m)^10\.99\.1\.0/24\s+-\s+front\s+connected\s+active", shown)
        self.assertRegex(shown, r"(?m)^10\.99\.2\.0/24\s+-\s+back\s+connected\s+active", shown)
        self.assertEqual(self.ctl("show", "routes", "10.99.2.11").stdout.strip(), "10.99.2.11 is on-link port back")
        res = self.ctl("show", "routes", "8.8.8.8")
        self.assertEqual(res.returncode, 1)
        self.assertIn("no route to 8.8.8.8", res.stderr)

    def test_tshark_decodes_every_frame_cleanly(self):
        capture = os.path.join(self.tmp, "wire.pcapng")
        # Capture on the switch side of lb1's veths: exactly what dplb put on both wires.
        tshark = self.lab.popen("sw", "tshark", "-q", "-i", "lb1-front", "-i", "lb1-back", "-a", "duration:7",
                                "-w", capture, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2)  # tshark needs a moment before it captures
        self.lab.run("client", "ip", "neigh", "flush", "dev", "eth0", check=False)
        self.lab.run("client", "ping", "-c", "5", "-i", "0.1", "-W", "1", h.LB_FRONT_ADDR, check=False)
        self.lab.run("client", "ping", "-c", "2", "-s", "1472", "-W", "1", h.LB_FRONT_ADDR, check=False)
        self.lab.run("client", "arping", "-c", "2", h.LB_FRONT_ADDR, check=False, timeout=20)
        # From the appliance: ARP requests and echo requests out of the back port.
        self.ctl("arp", "del", "10.99.2.11")
        self.ctl("ping", "10.99.2.11", "count", "2", "interval", "100", timeout=20)
        _, err = tshark.communicate(timeout=30)
        ours = "(eth.src == 02:99:01:00:01:01 || eth.src == 02:99:02:00:01:01)"  # lb1 front and back
        count = subprocess.run(["tshark", "-r", capture, "-Y", ours], capture_output=True, text=True)
        frames = [l for l in count.stdout.splitlines() if l.strip()]
        self.assertGreaterEqual(len(frames), 12, f"too few frames from dplb\n{count.stdout}\n{err}")
        self.assertTrue(any("Who has 10.99.2.11" in f for f in frames), count.stdout)
        self.assertTrue(any("Echo (ping) request" in f for f in frames), count.stdout)
        bad = subprocess.run(
            ["tshark", "-r", capture, "-o", "ip.check_checksum:TRUE", "-o", "icmp.validate_checksum:TRUE",
             "-Y", f"{ours} && (_ws.malformed || _ws.expert.severity >= warning)"],
            capture_output=True, text=True)
        self.assertEqual(bad.stdout.strip(), "", f"frames with warnings:\n{bad.stdout}")


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
