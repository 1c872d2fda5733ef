#!/usr/bin/env python3
"""dplb on net_af_xdp ports (DPDK's AF_XDP driver) on the lab's veths: the XDP program
attached at start and removed at stop, the proxy end to end, and the ways the kernel can
refuse (another XDP program, a missing interface, too few queues).

    python3 tests/integration/test_af_xdp.py --dplb build/dplb --source-root .

The other suites run on net_af_xdp too with DPLB_PORT_DRIVER=af_xdp (see
tests/integration/dplb_harness.py); this one runs in the default test command so the
driver is covered in every CI run.
"""

import hashlib
import os
import re
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

VIP = h.LB_FRONT_ADDR
PROXY = f"""
[[frontend]]
name = "http_front"
bind = ["{VIP}:80"]
default_backend = "web"

[[backend]]
name = "web"
[[backend.server]]
name = "server1"
address = "10.99.2.11:80"
"""
# Any XDP program not made for AF_XDP sockets stands for an operator's own: libxdp ships
# a few (xdp-filter's "allow all").
FOREIGN_PROGRAM = "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o"


class AfXdpTest(h.LabTestCase):
    servers = 1

    def write_config(self, tag, front_device="net_af_packet0,iface=front", dataplane_extra="",
                     extra=""):
        path = super().write_config(tag, front_device, dataplane_extra, extra)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(h.for_port_driver(text, "af_xdp"))
        return path

    def xdp_program(self, iface):
        """(id, name) of the XDP program on lb1's `iface`, or None."""
        out = self.lab.run("lb1", "ip", "-d", "link", "show", "dev", iface).stdout
        m = re.search(r"prog/xdp id (\d+) name (\S+)", out)
        return (int(m.group(1)), m.group(2)) if m else None

    def curl(self, *args, timeout=60):
        return self.lab.run("client", "curl", "-sS", "--max-time", str(timeout - 5), *args,
                            check=False, timeout=timeout)

    def boot_failure(self, tag, conf):
        """Runs dplb to its exit and returns its single own error line."""
        run = h.DplbRun(self, tag, conf)
        self.addCleanup(run.kill)
        rc = run.wait(h.READY_TIMEOUT)
        self.assertIsNotNone(rc, f"dplb kept running\n{run.output()}")
        self.assertNotEqual(rc, 0, run.output())
        return self.own_error_line(run), run

    # tests

    def test_a_serves_through_xdp_and_detaches_at_stop(self):
        run = self.start("serve", extra=PROXY)
        log = run.stderr()
        for iface in ("front", "back"):
            prog = self.xdp_program(iface)
            self.assertIsNotNone(prog, f"no XDP program on {iface} while dplb runs\n{log}")
            self.assertRegex(log, rf"interface {iface} runs XDP program {prog[0]} \({prog[1]}\), "
                                  r"(native|generic \(skb\)) mode; this process holds \d+ AF_XDP socket")
        strays = [l for l in log.splitlines() if l.strip() and not h.LOG_RECORD.search(l)]
        self.assertEqual(strays, [], "libbpf/libxdp lines must go through dplb's log")
        # 8 MB through the proxy, hashed on arrival.
        size = 8 << 20
        www = os.path.join(self.lab.nginx_dir(1), "www")
        os.makedirs(www, exist_ok=True)
        data = os.urandom(size)
        with open(os.path.join(www, "xdp.bin"), "wb") as f:
            f.write(data)
        res = self.lab.run("client", "sh", "-c", f"curl -sS --max-time 50 http://{VIP}/files/xdp.bin | sha256sum",
                           check=False, timeout=60)
        self.assertEqual(res.stdout.split()[0] if res.stdout else "", hashlib.sha256(data).hexdigest(),
                         f"{res.stderr}\n{run.output()}")
        ping = self.lab.run("client", "ping", "-c", "3", "-i", "0.2", "-W", "1", VIP, check=False)
        self.assertIn(" 0% packet loss", ping.stdout, ping.stdout)
        ports = self.ctl("show", "ports").stdout
        self.assertIn("driver net_af_xdp", ports)
        self.assertIn("link up  carrier (kernel interface front)", ports)
        self.assertGreater(h.port_counter(ports, "back", "rx-bytes") or 0, size)
        self.assertEqual(self.ctl("quit").returncode, 0, run.output())
        self.assert_exits_cleanly(run, "quit")
        for iface in ("front", "back"):
            self.assertIsNone(self.xdp_program(iface), f"XDP program left on {iface}\n{run.output()}")
        self.assertNotIn("still has XDP program", run.stderr())

    def test_b_program_left_by_a_killed_dplb_is_taken_over(self):
        run = self.start("killed")
        left = self.xdp_program("front")
        run.proc.send_signal(signal.SIGKILL)
        run.wait(10)
        self.assertEqual(self.xdp_program("front"), left, "SIGKILL cannot detach: the program stays")
        again = self.start("after-kill", extra=PROXY)
        res = self.curl(f"http://{VIP}/")
        self.assertEqual(res.stdout.strip(), "server1", f"{res.stderr}\n{again.output()}")
        self.assertEqual(self.ctl("quit").returncode, 0)
        self.assert_exits_cleanly(again, "quit")
        self.assertIsNone(self.xdp_program("front"))

    def test_c_foreign_program_is_refused_and_left_alone(self):
        if not os.path.exists(FOREIGN_PROGRAM):
            self.skipTest(f"{FOREIGN_PROGRAM} missing (libxdp1)")
        self.lab.run("lb1", "ip", "link", "set", "dev", "front", "xdp", "obj", FOREIGN_PROGRAM, "sec", "xdp")
        self.addCleanup(lambda: self.lab.run("lb1", "ip", "link", "set", "dev", "front", "xdp", "off",
                                             check=False))
        before = self.xdp_program("front")
        self.assertIsNotNone(before)
        error, run = self.boot_failure("foreign", self.write_config("foreign"))
        self.assertIn("port 'front'", error)
        self.assertIn(f"already runs XDP program {before[0]} ({before[1]})", error)
        self.assertIn("ip link set dev front xdp off", error)
        self.assertEqual(self.xdp_program("front"), before, f"the operator's program was touched\n{run.output()}")

    def test_d_missing_interface_and_too_many_queues(self):
        error, _ = self.boot_failure("nosuch", self.write_config("nosuch", front_device="net_af_packet0,iface=nosuch"))
        self.assertIn("port 'front' (net_af_xdp0,iface=nosuch): interface 'nosuch': No such device", error)
        # lb1's veths have one queue: asking for two is DPDK's probe error, named by dplb.
        error, run = self.boot_failure("queues", self.write_config(
            "queues", front_device="net_af_packet0,iface=front,qpairs=2"))
        self.assertIn("port 'front' (net_af_xdp0,iface=front,queue_count=2): virtual device net_af_xdp0 did not start",
                      error)
        self.assertIn("larger than combined queue count 1", run.stderr())
        for iface in ("front", "back"):
            self.assertIsNone(self.xdp_program(iface), f"XDP program left on {iface} after a failed boot")


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
