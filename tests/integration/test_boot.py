#!/usr/bin/env python3
"""Boot tests: dplb on net_af_packet ports inside the namespace lab (tools/lab.py).

    python3 tests/integration/test_boot.py --dplb build/dplb --source-root .

Needs root (network namespaces); reports a TAP skip otherwise.
Each dplb run logs its stdout/stderr into a temp dir, shown when a test fails.
"""

import os
import re
import shutil
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dplb_harness as h  # noqa: E402


class BootTest(h.LabTestCase):
    # tests

    def test_a_check_valid_config(self):
        conf = self.write_config("check-valid")
        res = self.lab.run("lb1", h.DPLB, "-c", conf, "--check", check=False)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 0, out)
        self.assertIn("configuration is valid", out)

    def test_a_check_unknown_key(self):
        conf = self.write_config("check-unknown", dataplane_extra="no_such_key = 1")
        with open(conf) as f:
            line = 1 + f.read().splitlines().index("no_such_key = 1")
        res = self.lab.run("lb1", h.DPLB, "-c", conf, "--check", check=False)
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
            rx = h.port_counter(shown, "front", "rx-packets")
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
        run = h.DplbRun(self, "bad-device", conf)
        self.addCleanup(run.kill)
        rc = run.wait(h.READY_TIMEOUT)
        self.assertIsNotNone(rc, f"dplb kept running with a bad device\n{run.output()}")
        self.assertNotEqual(rc, 0, run.output())
        # dplb says what failed in exactly one error line that names the port.
        self.assertIn("port 'front'", self.own_error_line(run), run.output())

    def test_every_command_is_documented(self):
        """Every command `help` lists has its own heading in docs/console.md."""
        run = self.start("help")
        listed = self.ctl("help").stdout
        with open(os.path.join(h.SOURCE_ROOT, "docs", "console.md")) as f:
            headings = [l for l in f.read().splitlines() if l.startswith("### `")]
        for line in listed.splitlines():
            usage = re.split(r"\s{2,}", line.strip())[0]
            words = " ".join(w for w in usage.split() if not w.startswith("[") and not w.isupper())
            self.assertTrue(any(h_.startswith("### `" + words) for h_ in headings),
                            f"'{words}' has no heading in docs/console.md")
        self.assertEqual(self.ctl("quit").returncode, 0, run.output())
        self.assert_exits_cleanly(run, "quit")

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



if __name__ == "__main__":
    h.run_module(sys.modules[__name__])
