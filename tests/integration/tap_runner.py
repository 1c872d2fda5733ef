"""Runs a unittest module and reports each test case in TAP, so meson (and
tools/test's closing line) count integration cases one by one."""

import os
import sys
import time
import traceback
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.number = 0
        self.started = 0.0

    def startTest(self, test):
        super().startTest(test)
        self.started = time.monotonic()
        print(f"# running {test.id()}", flush=True)

    def _report(self, ok, test, detail=""):
        self.number += 1
        took = time.monotonic() - self.started
        print(f"{'ok' if ok else 'not ok'} {self.number} - {test.id()} ({took:.1f}s)", flush=True)
        for line in detail.splitlines():
            print(f"# {line}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._report(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._report(False, test, "".join(traceback.format_exception(*err)))

    def addError(self, test, err):
        super().addError(test, err)
        self._report(False, test, "".join(traceback.format_exception(*err)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.number += 1
        print(f"ok {self.number} - {test.id()} # SKIP {reason}", flush=True)


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def run(module) -> int:
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    # DPLB_TEST_FILTER=word: only the cases whose name contains it (by hand, while working on one).
    word = os.environ.get("DPLB_TEST_FILTER")
    if word:
        suite = unittest.TestSuite(t for t in _flatten(suite) if word in t.id())
    print(f"1..{suite.countTestCases()}", flush=True)
    result = TapResult()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1
