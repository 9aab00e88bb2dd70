"""Storage per feature, and no cycle between packages.

A feature that has tables declares them in its own `models.py`; only modules inside that package
import them (`bastion/schema.py` gathers them all, for Alembic and the ORM). Other features go
through the owning feature's functions. Nothing under `bastion/web` imports SQLAlchemy or a models
module: routes and pages call the features. No two packages under `bastion/` import each other,
directly or through others, counting imports made inside functions: a lower feature that needs a
higher one declares a plug (`bastion/plugs.py`). The import-linter contracts are a separate check.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASTION = ROOT / "bastion"
GATHERER = "bastion.schema"

# Cross-feature reads that remain, importer → the models modules it imports. Each entry is a debt:
# the test below fails on any new one, and on an entry that is no longer needed, so the list only shrinks.
# It is empty: every feature reads another's rows through the owner's repository (accounts.repo, devices
# and onetime, signin.attempts, sessions.repo, recovery.repo, audit.repo), typed by a Protocol declared
# beside the reader, or, where one round trip matters, in its own statement over the columns the owner
# hands over (accounts.repo's and recovery.repo's COLUMNS).
KNOWN_CROSS_FEATURE: dict[str, set[str]] = {}

def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str) -> set[str]:
    """Every module a source imports; `from a import b` counts as `a` and as `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def bastion_imports() -> dict[str, set[str]]:
    return {module_name(path): imported_names(path.read_text()) for path in sorted(BASTION.rglob("*.py"))}


def owned_models(modules: set[str]) -> set[str]:
    return {name for name in modules if name.endswith(".models")}


def cross_feature_imports(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importer → the models modules of other features it imports (the gatherer aside)."""
    models = owned_models(set(imports))
    found: dict[str, set[str]] = {}
    for importer, names in imports.items():
        if importer == GATHERER:
            continue
        foreign = {name for name in names & models
                   if not (importer + ".").startswith(name.removesuffix("models"))}
        if foreign:
            found[importer] = foreign
    return found


def test_cross_feature_imports_are_found() -> None:
    imports = {
        "bastion.risk.models": set(), "bastion.risk.trust": {"bastion.risk.models"},
        "bastion.mfa.totp.models": set(), "bastion.mfa.totp.repo": {"bastion.mfa.totp.models"},
        "bastion.mfa.factors": {"bastion.mfa.totp", "bastion.mfa.totp.models"},
        "bastion.support.search": {"bastion.risk", "bastion.risk.models"},
        GATHERER: {"bastion.risk.models", "bastion.mfa.totp.models"},
    }
    assert cross_feature_imports(imports) == {"bastion.mfa.factors": {"bastion.mfa.totp.models"},
                                              "bastion.support.search": {"bastion.risk.models"}}


def test_no_feature_imports_another_features_models_beyond_the_known_debts() -> None:
    found = cross_feature_imports(bastion_imports())
    new = {importer: sorted(names - KNOWN_CROSS_FEATURE.get(importer, set())) for importer, names in found.items()}
    assert {importer: names for importer, names in new.items() if names} == {}, (
        "go through the owning feature's functions instead of its tables")


def test_every_known_debt_is_still_there() -> None:
    found = cross_feature_imports(bastion_imports())
    paid = {importer: sorted(names - found.get(importer, set())) for importer, names in KNOWN_CROSS_FEATURE.items()}
    assert {importer: names for importer, names in paid.items() if names} == {}, (
        "remove the entries that are no longer needed from KNOWN_CROSS_FEATURE")


def package_of(module: str) -> str:
    """The package under bastion/ a module belongs to (bastion.web.pages.login -> bastion.web); a module
    at the top is its own."""
    return ".".join(module.split(".")[:2])


def package_graph(imports: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """Package → the packages it imports → the module imports that make the edge ("a.b → c.d")."""
    modules = set(imports) - {"bastion"}
    graph: dict[str, dict[str, list[str]]] = {package_of(module): {} for module in modules}
    for importer, names in imports.items():
        here = package_of(importer)
        for name in sorted(names & modules):
            there = package_of(name)
            if there != here:
                graph[here].setdefault(there, []).append(f"{importer} → {name}")
    return graph


def package_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Each group of packages that import each other, directly or through others (sorted)."""
    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for there in graph.get(todo.pop(), {}):
                if there not in seen:
                    seen.add(there)
                    todo.append(there)
        return seen

    reach = {package: reachable(package) for package in graph}
    groups = {tuple(sorted(other for other in reach[package] if package in reach[other]))
              for package in graph if package in reach[package]}
    return sorted(list(group) for group in groups)


def describe_cycle(graph: dict[str, dict[str, list[str]]], members: list[str]) -> str:
    edges = [f"  {source} -> {target}: {', '.join(graph[source][target][:3])}"
             for source in members for target in sorted(graph[source]) if target in members]
    return ", ".join(members) + "\n" + "\n".join(edges)


def test_a_cycle_between_packages_is_found_through_a_function_level_import() -> None:
    sources = {
        "bastion": "",
        "bastion.first": "from bastion.second.api import go\n",
        "bastion.second": "",
        "bastion.second.api": "def go():\n    from bastion.third import value\n    return value\n",
        "bastion.third": "import bastion.first\nvalue = 1\n",
        "bastion.fourth": "from bastion import first\n",
    }
    graph = package_graph({module: imported_names(source) for module, source in sources.items()})
    assert graph["bastion.second"] == {"bastion.third": ["bastion.second.api → bastion.third"]}
    assert package_cycles(graph) == [["bastion.first", "bastion.second", "bastion.third"]]


def test_no_two_packages_import_each_other_not_even_through_others() -> None:
    # Alembic loads the migrations by path, to read every table (bastion.schema): no package imports them.
    graph = package_graph({module: names for module, names in bastion_imports().items() if ".migrations" not in module})
    found = package_cycles(graph)
    assert found == [], "packages that import each other:\n" + "\n".join(describe_cycle(graph, members)
                                                                           for members in found)


def test_the_web_layer_imports_neither_sqlalchemy_nor_any_models() -> None:
    offending = {}
    for importer, names in bastion_imports().items():
        if importer.startswith("bastion.web."):
            bad = {name for name in names if name.split(".")[0] == "sqlalchemy" or name.endswith(".models")}
            if bad:
                offending[importer] = sorted(bad)
    assert offending == {}


def test_the_schema_gathers_every_features_models() -> None:
    from bastion.schema import MODELS, metadata

    assert {module.__name__ for module in MODELS} == owned_models(set(bastion_imports()))
    declared = {table for module in MODELS for table in vars(module).values()
                if getattr(table, "__module__", None) == module.__name__ and hasattr(table, "__table__")}
    assert {model.__table__.name for model in declared} == set(metadata.tables)
