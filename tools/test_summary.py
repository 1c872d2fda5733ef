#!/usr/bin/env python3
"""Counts test cases from meson's logs and prints the closing line of tools/test.

Cases come from meson's JUnit log, which holds each GoogleTest case and each
TAP case of the integration suites. A test program that failed without a
failing case (a crash, a timeout, a build of the list that died) counts as
one failure of its own, so nothing that went wrong is left out of the count.
"""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    logs = Path(sys.argv[1])
    runs = {}
    for line in (logs / "testlog.json").read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            runs[record["name"]] = record["result"]

    passed = failed = skipped = 0
    failures = []
    counted_failure = {name: False for name in runs}
    cases_seen = {name: 0 for name in runs}
    tree = ET.parse(logs / "testlog.junit.xml")
    for suite in tree.getroot().iter("testsuite"):
        # JUnit suites are named "<project>.<meson test name>[.<gtest suite>]".
        matches = [n for n in runs if n in suite.get("name", "")]
        owner = max(matches, key=len) if matches else None
        for case in suite.iter("testcase"):
            tags = {child.tag for child in case}
            if owner:
                cases_seen[owner] += 1
            if "failure" in tags or "error" in tags:
                failed += 1
                failures.append(f"{case.get('classname')} {case.get('name')}")
                if owner:
                    counted_failure[owner] = True
            elif "skipped" in tags:
                skipped += 1
            else:
                passed += 1

    for name, result in runs.items():
        if result in ("OK", "EXPECTEDFAIL"):
            if cases_seen[name] == 0:
                passed += 1
        elif result == "SKIP":
            skipped += 1 if cases_seen[name] == 0 else 0
        elif not counted_failure[name]:
            failed += 1
            failures.append(f"{name}: {result} (see meson-logs/testlog.txt)")

    for f in failures:
        print(f"FAILED: {f}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
