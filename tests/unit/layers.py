#!/usr/bin/env python3
"""libnsutil's layers (lib/README.md): each file of lib/src/LAYER/ and each public header may
include only from its own layer and those below it. Prints one line per upward include and fails
on any; run from meson with the source root as its argument."""
import pathlib
import re
import sys

LAYERS = ["base", "processes", "namespaces", "discovery", "containers"]
# The layer each public header belongs to: the folder of lib/src/ that implements it.
PUBLIC = {
    "export": "base", "error": "base", "unique_fd": "base", "ns_type": "base",
    "process": "processes", "supervise": "processes", "init": "processes",
    "ns_handle": "namespaces", "unshare": "namespaces", "enter": "namespaces",
    "enter_plan": "namespaces", "persist": "namespaces", "idmap": "namespaces",
    "credentials": "namespaces", "netnsid": "namespaces",
    "discovery": "discovery", "mounts": "discovery", "watch": "discovery",
    "containers": "containers",
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of_include(kind, name):
    if kind == "<" and name.startswith("nsutil/"):
        stem = pathlib.PurePath(name).stem
        if stem not in PUBLIC:
            raise SystemExit(f"tests/unit/layers.py: no layer for public header {name}")
        return PUBLIC[stem]
    if kind == '"' and name.split("/")[0] in LAYERS:
        return name.split("/")[0]
    return None  # the system's, or a file beside the includer (the BPF loader's)


def main():
    root = pathlib.Path(sys.argv[1])
    checked = []
    for path in sorted((root / "lib/src").rglob("*")):
        if path.suffix in (".cpp", ".hpp", ".c", ".h"):
            checked.append((path, path.relative_to(root / "lib/src").parts[0]))
    for path in sorted((root / "lib/include/nsutil").glob("*.hpp")):
        checked.append((path, PUBLIC.get(path.stem)))
    bad = 0
    for path, layer in checked:
        if layer not in LAYERS:
            print(f"{path.relative_to(root)}: not in a layer")
            bad += 1
            continue
        for kind, name in INCLUDE.findall(path.read_text()):
            to = layer_of_include(kind, name)
            if to is not None and LAYERS.index(to) > LAYERS.index(layer):
                print(f"{path.relative_to(root)}: {layer} includes {name} ({to}, a higher layer)")
                bad += 1
    print(f"{len(checked)} files checked, {bad} upward includes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
