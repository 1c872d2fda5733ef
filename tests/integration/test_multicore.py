#!/usr/bin/env python3
"""Two workers on net_af_packet with qpairs=2 (the kernel's fanout spreads
flows over the two queues). dplb's own ping sends its echo requests from the
workers in turn, each with an identifier that worker owns; the replies of one
flow all land on one queue, so those owned by the other worker must be
redirected to it, counted on both sides, and still reported.

On a 2-CPU machine both workers share CPU 1 (--lcores 0@0,1@1,2@1).
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402

TWO_WORKERS = """\
[dataplane]
workers = [1, 2]
control_lcore = 0
hugepages = false
memory_mb = 512
idle_sleep_us = 100
eal_args = ["--lcores", "0@0,1@1,2@1"]

[console]
socket = "{socket}"

[[port]]
name = "front"
device = "net_af_packet0,iface=front,qpairs=2"
address = "10.99.1.2/24"

[[port]]
name = "back"
device = "net_af_packet1,iface=back,qpairs=2"
address = "10.99.2.2/24"
"""


class MulticoreTest(h.LabTestCase):
    servers = 1

    def write_config(self, tag, front_device=None, dataplane_extra=""):
        path = os.path.join(self.tmp, f"{tag}.toml")
        with open(path, "w") as f:
            f.write(TWO_WORKERS.format(socket=self.sock))
        return path

    def flows(self, shown: str):
        """Per worker: (redirected-out, redirected-in, echo-replies-received)."""
        return [tuple(int(x) for x in m) for m in re.findall(
            r"flows  redirected-out (\d+)  redirected-in (\d+)  echo-requests-sent \d+  echo-replies-received (\d+)",
            shown)]

    def test_replies_on_the_wrong_worker_are_redirected_and_answered(self):
        run = self.start("multicore")
        shown = self.ctl("show", "ports").stdout
        self.assertEqual(h.port_counter(shown, "front", "queues"), 2, shown)
        # net_af_packet has no rte_flow: the software tier must say so.
        self.assertIn("steering software redirect (the device refuses rte_flow rules", shown)
        res = self.ctl("ping", "10.99.2.11", "count", "10", "interval", "20", timeout=30)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr + run.output())
        self.assertIn("10 packets transmitted, 10 received", res.stdout)
        self.assertIn("worker=0", res.stdout)
        self.assertIn("worker=1", res.stdout)
        lcores = self.ctl("show", "lcores").stdout
        flows = self.flows(lcores)
        self.assertEqual(len(flows), 2, lcores)
        out = sum(f[0] for f in flows)
        into = sum(f[1] for f in flows)
        self.assertGreaterEqual(out, 1, f"no reply needed redirecting\n{lcores}")
        self.assertEqual(out, into, lcores)
        self.assertEqual(sum(f[2] for f in flows), 10, lcores)

    def test_both_queues_answer_the_client(self):
        self.start("multicore-client")
        res = self.lab.run("client", "ping", "-c", "10", "-i", "0.05", "-W", "1", h.LB_FRONT_ADDR, check=False,
                           timeout=30)
        self.assertIn("10 received", res.stdout, res.stdout + res.stderr)
        self.assertEqual(self.ctl("quit").returncode, 0)


if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
