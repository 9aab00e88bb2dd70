"""A feature's statements live in its repository modules.

In the second factors, the OpenID provider, risk, the audit log and the support console, the flows
and methods decide and hold the transactions; the SQL statements about the feature's tables are
built in its repository: a module named `repo.py` or one in a `repo/` package
(docs/design/layers-and-plugs.md, "Repositories"). Table declarations (`models.py`), the background
jobs (`jobs.py`) and migrations are not flows. Any other module that calls SQLAlchemy's `select`,
`insert`, `update`, `delete` or `text` (or a table's `Model.__table__.insert()` and the like) fails
here, unless it is listed below with its reason.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
CHECKED_PACKAGES = ("bastion/mfa", "bastion/oidc", "bastion/risk", "bastion/audit", "bastion/support")
STATEMENT_BUILDERS = {"select", "insert", "update", "delete", "text"}
NOT_FLOWS = {"models.py", "jobs.py"}

# Modules outside a repository that still build a statement, with the reason. The test below fails on
# any new one, and on an entry that no longer builds one, so the list only shrinks.
KNOWN_STATEMENT_BUILDERS: dict[str, str] = {
    # One round trip on every sign-in: the accounts' devices and the sign-in history hand over their
    # columns (`risk_signals`), and the risk history only puts them in one SELECT of no table of its own.
    "bastion/risk/history.py": "puts the columns other features hand over into one statement",
    # One round trip per page of the case queue: recovery and the accounts hand over their columns, the
    # console its approval count (support/repo.py), and the queue only puts them in one SELECT.
    "bastion/support/queue.py": "puts the columns other features hand over into one statement",
}


def is_repository(relative: Path) -> bool:
    return relative.name == "repo.py" or "repo" in relative.parts[:-1]


def is_flow_module(relative: Path) -> bool:
    """A module that must go through a repository for its statements."""
    return not (is_repository(relative) or relative.name in NOT_FLOWS or "migrations" in relative.parts)


def statement_calls(source: str) -> list[str]:
    """The SQLAlchemy statement builders a source calls, as "line: name", found through what it imports
    from `sqlalchemy` (`from sqlalchemy import select as pick`, `import sqlalchemy as sa`,
    `from sqlalchemy.dialects import postgresql`), at module level or inside functions."""
    tree = ast.parse(source)
    builders: dict[str, str] = {}  # local name → the builder it is
    modules: set[str] = set()  # local names bound to a SQLAlchemy module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and (
                node.module == "sqlalchemy" or node.module.startswith("sqlalchemy.")):
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name in STATEMENT_BUILDERS:
                    builders[local] = alias.name
                elif isinstance(getattr(importlib.import_module(node.module), alias.name, None), ModuleType):
                    modules.add(local)  # `dialects`, `postgresql`, `sql`
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    modules.add(alias.asname or alias.name.split(".")[0])
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Name) and called.id in builders:
            found.append(f"{node.lineno}: {builders[called.id]}")
        elif isinstance(called, ast.Attribute) and called.attr in STATEMENT_BUILDERS and _builds_on(called.value,
                                                                                                     modules):
            found.append(f"{node.lineno}: {called.attr}")
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


def _builds_on(node: ast.expr, modules: set[str]) -> bool:
    """`postgresql` or `sa.dialects.postgresql`, its first name bound to a SQLAlchemy module; or a mapped
    class's table (`Passkey.__table__`)."""
    while isinstance(node, ast.Attribute):
        if node.attr == "__table__":
            return True
        node = node.value
    return isinstance(node, ast.Name) and node.id in modules


def statements_outside_repositories() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for package in CHECKED_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if is_flow_module(relative.relative_to(package)):
                calls = statement_calls(path.read_text())
                if calls:
                    found[relative.as_posix()] = calls
    return found


def test_statement_builders_are_found_however_they_are_imported() -> None:
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import select as pick, func\n"
        "from sqlalchemy.dialects import postgresql\n"
        "def go(tx, table):\n"
        "    from sqlalchemy import delete\n"
        "    tx.execute(pick(table))\n"
        "    tx.execute(sa.update(table))\n"
        "    tx.execute(postgresql.insert(table))\n"
        "    tx.execute(delete(table))\n"
        "    tx.execute(Passkey.__table__.delete())\n"
        "    return func.count()\n"
    )
    assert statement_calls(source) == ["6: select", "7: update", "8: insert", "9: delete", "10: delete"]


def test_a_call_that_is_not_sqlalchemys_is_no_statement() -> None:
    source = (
        "from bastion.mfa.totp import repo\n"
        "from selectors import select\n"
        "def update(row):\n"
        "    return row\n"
        "def go(tx, rows, account_id):\n"
        "    update(rows)\n"
        "    select([], [], [])\n"
        "    rows.update({})\n"
        "    return repo.confirmed_credential(tx, account_id)\n"
    )
    assert statement_calls(source) == []


def test_repositories_models_jobs_and_migrations_may_build_statements() -> None:
    assert not is_flow_module(Path("totp/repo.py"))
    assert not is_flow_module(Path("repo/grants.py"))
    assert not is_flow_module(Path("models.py"))
    assert not is_flow_module(Path("passkeys/jobs.py"))
    assert not is_flow_module(Path("migrations/versions/0001_start.py"))
    assert is_flow_module(Path("registry.py"))
    assert is_flow_module(Path("totp/method.py"))
    assert is_flow_module(Path("flows/second_factor.py"))


def test_flows_and_methods_leave_their_statements_to_the_repositories() -> None:
    found = statements_outside_repositories()
    new = {module: calls for module, calls in found.items() if module not in KNOWN_STATEMENT_BUILDERS}
    assert new == {}, "move these statements into the feature's repository (repo.py or repo/)"


def test_every_known_statement_builder_still_builds_one() -> None:
    found = statements_outside_repositories()
    assert sorted(set(KNOWN_STATEMENT_BUILDERS) - set(found)) == [], (
        "remove the entries that no longer build a statement from KNOWN_STATEMENT_BUILDERS")
