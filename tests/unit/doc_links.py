#!/usr/bin/env python3
"""Checks that every relative link and every path of the tree that the documents name exists.

    doc_links.py SOURCE_ROOT

The documents are every *.md file and debian/README.source under SOURCE_ROOT (build
directories left out). In each, a Markdown link [text](target) that is not a URL must name a
file or directory relative to the document; a path that starts with a top-level directory of
the tree (lib/..., tests/..., .ci/...) must exist relative to the root or to the document. A
path with a placeholder (<layer>, NAME, PID) is not checked; one with * must match something.
Prints each broken reference as FILE:LINE: TARGET and exits 1 when there is one."""
import glob
import os
import re
import sys

TOP = r"(?:\.ci|lib|tools|man|tests|debian|completions)"
# A path of the tree, not part of a longer path or word (/usr/lib/..., build-fuzz/tests/...).
PATH = re.compile(r"(?<![\w/.~$-])(" + TOP + r"/[\w.@/<>*+-]*)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PLACEHOLDER = re.compile(r"<|\b[A-Z][A-Z_]{2,}\b|\.\.\.")


def documents(root):
    for top, dirs, files in os.walk(root):
        dirs[:] = [
            d for d in dirs
            if (d == ".ci" or not d.startswith(".")) and
            not os.path.exists(os.path.join(top, d, "meson-private"))
        ]
        for name in files:
            path = os.path.join(top, name)
            if name.endswith(".md") or os.path.relpath(path, root) == "debian/README.source":
                yield path


def exists(candidate):
    if "*" in candidate:
        return bool(glob.glob(candidate))
    return os.path.exists(candidate)


def broken(root, doc):
    here = os.path.dirname(doc)
    with open(doc, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            bad = []
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue
                target = target.split("#", 1)[0]
                if not exists(os.path.join(here, target)):
                    bad.append(target)
            for path in PATH.findall(line):
                path = path.rstrip(".,:;")
                if PLACEHOLDER.search(path) or path in bad:
                    continue
                if not (exists(os.path.join(root, path)) or exists(os.path.join(here, path))):
                    bad.append(path)
            for target in bad:
                yield number, target


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    root = sys.argv[1]
    docs = sorted(documents(root))
    bad = [f"{os.path.relpath(doc, root)}:{number}: {target}"
           for doc in docs for number, target in broken(root, doc)]
    print("\n".join(bad + [f"{len(docs)} documents, {len(bad)} broken references"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
