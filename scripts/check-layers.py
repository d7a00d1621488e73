#!/usr/bin/env python3
"""The module layering of src/, checked: no module imports one that imports it.

Top-level modules sit in layers (LAYERS, lowest first); a module may name, through
`crate::<module>`, only modules of lower layers. Inside each folder, the sibling
files may not import each other in a circle (through `super::<sibling>` or
`crate::<folder>::<sibling>`); a parent's `mod.rs` re-exporting its children is not
an import. Test modules (`tests.rs`, `tests/`, and what follows `#[cfg(test)]`) are
left out: they may reach anything they test. Exit 1 on any violation.

    python3 scripts/check-layers.py [src]
"""
import os
import re
import sys
from collections import defaultdict

# Lowest first. The README's "Layout" section describes the same order.
LAYERS = [
    ["secret"],
    ["domain"],
    ["config", "metrics", "clock"],
    ["telemetry", "storage"],
    ["readiness", "keys"],
    ["status"],
    ["tokens"],
    ["sessions"],
    ["state"],
    ["http"],
    ["startup"],
    ["cli"],
]
ROOT_FILES = {"main.rs", "lib.rs"}
CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)(?:::([a-z_][a-z0-9_]*))?")
SUPER_PATH = re.compile(r"\bsuper::([a-z_][a-z0-9_]*)")
SUPER_GROUP = re.compile(r"\bsuper::\{([^}]*)\}")


def source_without_tests(path):
    text = open(path, encoding="utf-8").read()
    cut = text.find("#[cfg(test)]")
    return text if cut == -1 else text[:cut]


def module_files(root):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "tests"]
        for name in files:
            if name.endswith(".rs") and name != "tests.rs":
                yield os.path.join(folder, name)


def unit_of(root, path):
    """(folder, module) a file is: src/a/b.rs -> ("a", "b"); src/a/b/c.rs -> ("a/b", "c");
    src/a/mod.rs -> (".", "a"); src/a.rs -> (".", "a")."""
    rel = os.path.relpath(path, root)
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "/".join(parts[:-1]) or ".", parts[-1]


def siblings(root, folder):
    base = root if folder == "." else os.path.join(root, folder)
    names = set()
    for entry in os.listdir(base):
        if entry.endswith(".rs") and entry not in ROOT_FILES and entry != "mod.rs":
            names.add(entry[:-3])
        elif os.path.isdir(os.path.join(base, entry)) and entry != "tests":
            names.add(entry)
    return names


def cycles(edges):
    """Strongly connected groups of more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    layer_of = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    problems = []
    tops = siblings(root, ".")
    for missing in sorted(tops - set(layer_of)):
        problems.append(f"src/{missing}: not in LAYERS; give it a layer")
    inner = defaultdict(lambda: defaultdict(set))  # folder -> module -> siblings it names
    for path in module_files(root):
        rel = os.path.relpath(path, root)
        if rel in ROOT_FILES:
            continue
        folder, module = unit_of(root, path)
        top = rel.split(os.sep)[0].removesuffix(".rs")
        text = source_without_tests(path)
        for first, second in CRATE_PATH.findall(text):
            if first in layer_of and top in layer_of and first != top:
                if layer_of[first] >= layer_of[top]:
                    problems.append(f"src/{rel}: {top} (layer {layer_of[top]}) imports "
                                    f"{first} (layer {layer_of[first]})")
            if first == top and folder == top and second:
                inner[folder][module].add(second)
        if os.path.basename(path) == "mod.rs" or folder == ".":
            continue
        names = set(SUPER_PATH.findall(text))
        for group in SUPER_GROUP.findall(text):
            names.update(n.strip().split("::")[0] for n in group.split(","))
        inner[folder][module].update(names)
    for folder, edges in inner.items():
        known = siblings(root, folder)
        graph = defaultdict(set)
        for module, named in edges.items():
            graph[module].update(n for n in named if n in known and n != module)
        for group in cycles(graph):
            problems.append(f"src/{folder}: {' <-> '.join(group)} import each other")
    for p in problems:
        print(p)
    print(f"{len(problems)} layering problem(s) in {len(tops)} top-level modules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
