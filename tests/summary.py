#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', for meson test logs (*.json, one
result a line) and for count files (*.counts: 'passed failed skipped', as tests/vm/run writes)."""
import json
import sys

counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    with open(path) as f:
        if path.endswith(".counts"):
            for key, n in zip(("passed", "failed", "skipped"), f.read().split()):
                counts[key] += int(n)
            continue
        for line in f:
            r = json.loads(line)["result"]
            key = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(r, "failed")
            counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
