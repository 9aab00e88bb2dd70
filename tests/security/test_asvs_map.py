"""docs/security/asvs.md stays true: every ASVS 5.0 V6 and V7 requirement is there once, at its
level, with a status; every test it names still exists; the counts it states are the table's."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs/security/asvs.md"
# ASVS 5.0.0: requirements per section of V6 (Authentication) and V7 (Session Management).
SECTIONS = {"V6.1": 3, "V6.2": 12, "V6.3": 8, "V6.4": 6, "V6.5": 8, "V6.6": 4, "V6.7": 2, "V6.8": 4,
            "V7.1": 3, "V7.2": 4, "V7.3": 2, "V7.4": 5, "V7.5": 3, "V7.6": 2}
LEVEL_1 = {"V6.1.1", *(f"V6.2.{n}" for n in range(1, 9)), "V6.3.1", "V6.3.2", "V6.4.1", "V6.4.2",
           *(f"V7.2.{n}" for n in range(1, 5)), "V7.4.1", "V7.4.2"}
LEVEL_3 = {*(f"V6.3.{n}" for n in range(5, 9)), "V6.4.5", "V6.4.6", "V6.5.6", "V6.5.7", "V6.5.8", "V6.6.4",
           "V6.7.1", "V6.7.2", "V7.5.3"}
ROW = re.compile(r"^\| (V\d+\.\d+\.\d+) \| ([123]) \| (.+?) \| (met|n/a|open|not claimed) \| (.+) \|$")
TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def rows() -> list[tuple[str, str, str, str]]:
    found = []
    for line in DOC.read_text().splitlines():
        if line.startswith("| V"):
            match = ROW.match(line)
            assert match, f"malformed row: {line}"
            found.append((match.group(1), match.group(2), match.group(4), match.group(5)))
    return found


def test_every_requirement_is_listed_once_at_its_level() -> None:
    expected = {f"{section}.{n}" for section, count in SECTIONS.items() for n in range(1, count + 1)}
    listed = Counter(identifier for identifier, *_ in rows())
    assert set(listed) == expected and max(listed.values()) == 1, set(listed) ^ expected
    for identifier, level, status, _ in rows():
        assert level == ("1" if identifier in LEVEL_1 else "3" if identifier in LEVEL_3 else "2"), identifier
        assert status != "not claimed" or level == "3", f"{identifier}: only level 3 may be left unclaimed"


def test_met_rows_name_tests_and_every_named_test_exists() -> None:
    defined: dict[str, set[str]] = {}
    for identifier, _, status, evidence in rows():
        named = TEST_ID.findall(evidence)
        assert named or status != "met", f"{identifier} is met but names no test"
        assert len(evidence.strip()) > 10, f"{identifier} needs evidence or a reason"
        for path, name in named:
            if path not in defined:
                file = ROOT / path
                assert file.exists(), f"{identifier}: {path} does not exist"
                tree = ast.parse(file.read_text())
                defined[path] = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
            assert name in defined[path], f"{identifier}: {path}::{name} no longer exists"


def test_the_stated_counts_are_the_tables() -> None:
    table = rows()
    low = Counter(status for identifier, level, status, _ in table if level != "3")
    high = Counter(status for identifier, level, status, _ in table if level == "3")
    stated = DOC.read_text()
    assert (f"L1/L2: {low['met']} met, {low['n/a']} n/a, {low['open']} open, 0 unmapped. "
            f"L3: {high['met']} met, {high['n/a']} n/a, {high['not claimed']} not claimed.") in stated.replace("\n", " ")
    assert f"Counts: {len(table)} requirements" in stated
