#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', for meson test logs (*.json, one
result a line) and for count files (*.counts: 'passed failed skipped', as tests/vm/run writes).
With --details first, it also prints, for each failed TAP test, its 'not ok' lines and the
diagnostics under them (meson's --print-errorlogs shows only stderr for TAP tests)."""
import json
import sys

DETAIL_LINES = 60


def print_details(test):
    out, lines = [], test.get("stdout") or ""
    keep = False
    for line in lines.splitlines():
        if line.startswith("not ok"):
            keep = True
        elif not line.startswith("#"):
            keep = False
        if keep:
            out.append(line)
    if out:
        print(f"--- {test['name']}: failed checks")
        print("\n".join(out[:DETAIL_LINES]))


args = sys.argv[1:]
details = bool(args) and args[0] == "--details"
if details:
    args = args[1:]
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in args:
    with open(path) as f:
        if path.endswith(".counts"):
            for key, n in zip(("passed", "failed", "skipped"), f.read().split()):
                counts[key] += int(n)
            continue
        for line in f:
            test = json.loads(line)
            key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(
                test["result"], "failed")
            counts[key] += 1
            if details and key == "failed":
                print_details(test)
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
