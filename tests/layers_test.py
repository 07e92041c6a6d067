#!/usr/bin/python3
"""Each folder under src/ is one layer and one CMake library whose direct dependencies are
exactly the layers its code includes: none missing (a layer must not lean on what another
happens to pull in), none unused (a dependency no code needs only slows the build and hides a
wrong edge), and no cycle. The compiler enforces the direction (each layer's headers sit
behind an include root of its own); this checks that the declared edges say what the code
does. Tests (*_test.cc and fixtures) are left out: they may use src/testing and more."""
import glob
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The public headers in include/ferry/ ship with core. ferry/object_store.h is also the
# interface whose shared methods src/store implements: above store, including it is using store;
# below it (core, s3), only its value types are used.
INTERFACE_HEADER = "object_store.h"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def declared_layers():
    """{layer folder: its CMake target} from the ferry_layer_headers calls."""
    layers = {}
    for cmake in glob.glob(os.path.join(ROOT, "src", "*", "CMakeLists.txt")):
        for target, layer in re.findall(r"ferry_layer_headers\((\w+)\s+(\w+)\)", read(cmake)):
            layers[layer] = target
    return layers


def declared_dependencies(layers):
    """{layer: set of layers its target links directly}."""
    layer_of_target = {t: l for l, t in layers.items()}
    deps = {layer: set() for layer in layers}
    for cmake in glob.glob(os.path.join(ROOT, "src", "*", "CMakeLists.txt")):
        for target, args in re.findall(r"target_link_libraries\((\w+)([^)]*)\)", read(cmake)):
            if target in layer_of_target:
                deps[layer_of_target[target]].update(
                    layer_of_target[t] for t in re.findall(r"\bferry_\w+", args)
                    if t in layer_of_target)
    return deps


def below(layer, deps):
    """Every layer that layer depends on, directly or not."""
    seen, todo = set(), [layer]
    while todo:
        for dep in deps[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def included_layers(layer, layers, deps):
    """The other layers that layer's library code includes."""
    used = set()
    above_store = layer != "store" and layer not in below("store", deps)
    folder = os.path.join(ROOT, "src", layer)
    for path in glob.glob(os.path.join(folder, "*.cc")) + glob.glob(os.path.join(folder, "*.h")):
        name = os.path.basename(path)
        if name.endswith("_test.cc") or "fixture" in name:
            continue
        for included in re.findall(r'#include "([\w/]+\.h)"', read(path)):
            first, _, rest = included.partition("/")
            if first == "ferry":
                used.add("store" if rest == INTERFACE_HEADER and above_store else "core")
            elif first in layers:
                used.add(first)
    used.discard(layer)
    return used


class LayersTest(unittest.TestCase):
    def setUp(self):
        self.layers = declared_layers()
        self.deps = declared_dependencies(self.layers)

    def test_every_folder_is_a_layer(self):
        folders = {d for d in os.listdir(os.path.join(ROOT, "src"))
                   if os.path.isdir(os.path.join(ROOT, "src", d))}
        # preload is a shared object preloaded into training commands: no headers, no users.
        self.assertEqual(folders - set(self.layers), {"preload"})

    def test_dependencies_are_exactly_what_the_code_includes(self):
        wrong = []
        for layer in sorted(self.layers):
            used = included_layers(layer, self.layers, self.deps)
            missing = used - self.deps[layer]
            unused = self.deps[layer] - used
            if missing or unused:
                wrong.append(f"{layer}: missing {sorted(missing)}, unused {sorted(unused)}")
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_no_cycles(self):
        state = {}

        def visit(layer, path):
            if state.get(layer) == "done":
                return
            self.assertNotEqual(state.get(layer), "open", " -> ".join(path + [layer]))
            state[layer] = "open"
            for dep in sorted(self.deps[layer]):
                visit(dep, path + [layer])
            state[layer] = "done"

        for layer in sorted(self.layers):
            visit(layer, [])

    def test_only_the_cli_links_the_concrete_stores(self):
        for store in ("localstore", "s3client"):
            users = sorted(l for l, d in self.deps.items() if store in d and l != "testing")
            self.assertEqual(users, ["cli"], store)


if __name__ == "__main__":
    sys.exit(unittest.main())
