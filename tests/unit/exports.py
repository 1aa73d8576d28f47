#!/usr/bin/env python3
"""libnsutil's ABI is its public headers (lib/README.md, "ABI and soname"): every symbol that
libnsutil.so exports must be a function, a member that is not private, or the typeinfo or vtable
of a class, that lib/include/nsutil/ declares; and debian/libnsutilN.symbols (the file named by
the soname's number) must list exactly the exported symbols.

  exports.py SOURCE_ROOT LIBRARY CLANG++

The declarations come from clang's AST of the public headers (their mangled names), the exports
from nm -D. Prints each symbol at fault and fails on any; exits 77 (skipped) without clang++."""
import json
import pathlib
import re
import shutil
import subprocess
import sys

SKIP = 77


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    # Lines are "VALUE TYPE NAME"; every defined code and data symbol counts.
    return {line.split()[2].split("@")[0] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] in "TDBRVWiu"}


def demangle(names):
    names = sorted(names)
    out = subprocess.run(["c++filt"], input="\n".join(names), check=True, capture_output=True,
                         text=True).stdout.splitlines()
    return dict(zip(names, out))


def walk(node, scope, private, found, classes):
    """Collects the mangled names of the declarations a caller can name, and the classes."""
    kind = node.get("kind")
    name = node.get("name", "")
    in_nsutil = scope[:1] == ["nsutil"] and "detail" not in scope
    if (kind in ("FunctionDecl", "CXXMethodDecl", "CXXConstructorDecl", "CXXDestructorDecl")
            and in_nsutil and not private and "mangledName" in node):
        found.add(node["mangledName"])
    if kind == "NamespaceDecl":
        for child in node.get("inner", []):
            walk(child, scope + [name], private, found, classes)
    elif kind == "CXXRecordDecl":
        if in_nsutil and name and not private:
            classes.add("::".join(scope + [name]))
        # The AST gives no member its access: each follows the last access specifier before it,
        # or the class key's default.
        access = "private" if node.get("tagUsed") == "class" else "public"
        for child in node.get("inner", []):
            if child.get("kind") == "AccessSpecDecl":
                access = child["access"]
            else:
                walk(child, scope + [name], private or access == "private", found, classes)
    elif kind in ("LinkageSpecDecl", "TranslationUnitDecl"):
        for child in node.get("inner", []):
            walk(child, scope, private, found, classes)


def declared(root, clang):
    headers = sorted((root / "lib/include/nsutil").glob("*.hpp"))
    tu = "".join(f"#include <nsutil/{h.name}>\n" for h in headers)
    ast = subprocess.run(
        [clang, "-std=c++20", "-fsyntax-only", "-I", str(root / "lib/include"), "-x", "c++", "-",
         "-Xclang", "-ast-dump=json"],
        input=tu, check=True, capture_output=True, text=True).stdout
    found, classes = set(), set()
    walk(json.loads(ast), [], False, found, classes)
    return found, classes


def normalise(symbol):
    # The base-object constructor and destructor and the deleting destructor are the variants
    # the compiler emits for the one declaration clang names by its complete-object form.
    return re.sub(r"([CD])[0245](E|I)", lambda m: ("C1" if m[1] == "C" else "D1") + m[2], symbol)


def listed(root, soname):
    number = soname.rsplit(".", 1)[1]
    path = root / f"debian/libnsutil{number}.symbols"
    names = set()
    for line in path.read_text().splitlines():
        m = re.match(r'^ \(c\+\+[^)]*\)"(.*)@Base" ', line)
        if m:
            names.add(m[1])
    return path, names


def main():
    root, library, clang = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if not shutil.which(clang):
        print(f"exports.py: {clang} not found: cannot read the headers' declarations")
        return SKIP
    symbols = exported(library)
    names = demangle(symbols)
    functions, classes = declared(root, clang)
    bad = []
    for sym in sorted(symbols):
        m = re.match(r"^_ZT[ISV](N6nsutil.*)$", sym)
        if m:
            klass = re.sub(r"^(typeinfo name for|typeinfo for|vtable for) ", "", names[sym])
            if klass not in classes:
                bad.append(f"{names[sym]}: a class no public header declares")
        elif normalise(sym) not in functions and sym not in functions:
            bad.append(f"{names[sym]} ({sym}): no public header declares it (or it is private)")
    for line in bad:
        print("exported, not public:", line)

    readelf = subprocess.run(["readelf", "-d", library], check=True, capture_output=True,
                             text=True).stdout
    soname = re.search(r"\(SONAME\).*\[(.*)\]", readelf)[1]
    path, in_file = listed(root, soname)
    wrong = 0
    for name in sorted(set(names.values()) - in_file):
        print(f"exported, missing from {path.relative_to(root)}: {name}")
        wrong += 1
    for name in sorted(in_file - set(names.values())):
        print(f"listed in {path.relative_to(root)}, not exported: {name}")
        wrong += 1
    print(f"exports.py: {len(symbols)} exported symbols of {soname}, {len(functions)} public "
          f"declarations; {len(bad)} not public, {wrong} differences with {path.name}")
    return 1 if bad or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
