#!/usr/bin/env python3
"""The README's library example, built against the library and run.

    readme_example.py extract README.md OUT.cpp   writes the README's C++ block to OUT.cpp
    readme_example.py run PROGRAM                  runs it on a path that is no namespace file:
                                                   it must fail with status 1 and one line
                                                   'join: open '...': ...' (the library's error)
"""
import re
import subprocess
import sys


def extract(readme, out):
    blocks = re.findall(r"```cpp\n(.*?)```", open(readme, encoding="utf-8").read(), re.S)
    if len(blocks) != 1:
        sys.exit(f"{readme}: {len(blocks)} C++ blocks, expected the one library example")
    with open(out, "w", encoding="utf-8") as f:
        f.write(blocks[0])


def run(program):
    missing = "/nonexistent/nsutil-readme-example"
    done = subprocess.run([program, missing, "true"], capture_output=True, text=True)
    want = f"join: open '{missing}': "
    print(f"status {done.returncode}, stderr {done.stderr!r}")
    ok = done.returncode == 1 and done.stderr.startswith(want) and done.stderr.count("\n") == 1
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        extract(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2]))
    else:
        sys.exit(__doc__)
