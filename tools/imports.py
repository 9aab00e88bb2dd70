"""Bastion's import graph, read from the source with `ast`.

Every import counts, including those inside functions (an import deferred to run time still
couples two modules). Run it to list the cycles between modules and between packages:

    .venv/bin/python tools/imports.py            # cycles, exit 1 when there is one
    .venv/bin/python tools/imports.py --edges    # every package-to-package edge
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "bastion"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name, migrations left out (Alembic loads them by path)."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        name = module_name(path, root)
        if ".migrations" not in name:
            found[name] = path
    return found


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imported(current: str, path: Path, modules: set[str]) -> Iterable[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _owner(alias.name, modules)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(current, is_package, node)
            for alias in node.names:
                # `from bastion.x import y` imports module bastion.x.y when it is one, else bastion.x.
                submodule = f"{target}.{alias.name}"
                yield submodule if submodule in modules else _owner(target, modules)


def _owner(name: str, modules: set[str]) -> str:
    """The deepest project module that `name` is or is inside, or "" for third-party names."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = source_modules(root)
    names = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in _imported(name, path, names):
            # A package's __init__ is run on the way to its modules, but that is not a dependency of the module.
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def package_of(module: str) -> str:
    """The top-level package a module belongs to (bastion.web.pages.login -> bastion.web); root modules are their own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph(graph: dict[str, set[str]], depth: int = 2) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        here = ".".join(source.split(".")[:depth])
        packages.setdefault(here, set())
        for target in targets:
            there = ".".join(target.split(".")[:depth])
            if there != here:
                packages[here].add(there)
    return packages


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _report_component(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    members = set(component)
    return [f"    {source} -> {target}" for source in component for target in sorted(graph[source] & members)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="print every package-to-package edge")
    args = parser.parse_args(argv)
    modules = module_graph()
    packages = package_graph(modules)
    if args.edges:
        for source in sorted(packages):
            for target in sorted(packages[source]):
                print(f"{source} -> {target}")
        return 0
    module_cycles, package_cycles = cycles(modules), cycles(packages)
    for title, graph, found in (("module", modules, module_cycles), ("package", packages, package_cycles)):
        print(f"{len(found)} {title} cycle(s)")
        for component in found:
            print("  " + ", ".join(component))
            print("\n".join(_report_component(graph, component)))
    return 1 if module_cycles or package_cycles else 0


if __name__ == "__main__":
    sys.exit(main())
