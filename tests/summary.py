#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', for meson test logs (*.json, one
result a line) and for count files (*.counts: 'passed failed skipped', as tests/vm/run writes).
With --details first, it also prints, for each failed TAP test, its 'not ok' lines and the
diagnostics under them (meson's --print-errorlogs shows only stderr for TAP tests)."""
import json
import os
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
failed = []  # what failed, named, so that the last lines of a long log say where to look
for path in args:
    if not os.path.exists(path):  # a run that ended before writing its log
        counts["failed"] += 1
        failed.append(f"{path}: no log")
        continue
    with open(path) as f:
        if path.endswith(".counts"):
            for key, n in zip(("passed", "failed", "skipped"), f.read().split()):
                counts[key] += int(n)
                if key == "failed" and int(n):
                    failed.append(os.path.basename(path)[: -len(".counts")])
            continue
        for line in f:
            test = json.loads(line)
            key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(
                test["result"], "failed")
            counts[key] += 1
            if key == "failed":
                log = os.path.basename(os.path.dirname(os.path.dirname(path)))
                failed.append(f"{log}/{os.path.basename(path)[: -len('.json')]}: {test['name']}")
            if details and key == "failed":
                print_details(test)
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
for name in failed:
    print(f"failed: {name}")
sys.exit(1 if counts["failed"] else 0)
