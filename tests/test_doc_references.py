"""Every reference to a document resolves to one in the repository.

Code, tests, benchmarks, the README and `docs/` cite the project's own documents: a path under
`docs/` (with an optional `#anchor`), and rules as `requirements §N` (docs/requirements.md). A
cited document or rule that does not exist, a citation of a document by a name it does not have
here, a relative markdown link that leads nowhere, a source path a document names that is gone,
and an HTTP contract (docs/api.md) that differs from the application's routes all fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCANNED_SUFFIXES = {".py", ".md", ".html", ".txt"}

# Documents that were once cited by these names from outside the repository.
FOREIGN_NAME = re.compile(r"\b(?:REQUIREMENTS|DESIGN|STYLE|ENVIRONMENT)\b|\b(?:API|DESIGN|STYLE|REQUIREMENTS"
                          r"|ENVIRONMENT)\.md\b")
DOC_PATH = re.compile(r"(?<![\w/.-])docs/[\w./-]*?\.md(?:#[\w-]+)?")
_RULE = r"§\d+(?:\s*[–-]\s*\d+)?"
RULE_CITATION = re.compile(rf"\brequirements\s+({_RULE}(?:\s*(?:,|and|or)\s*{_RULE})*)", re.IGNORECASE)
RULE_HEADING = re.compile(r"^### §(\d+)\. ", re.MULTILINE)
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SOURCE_PATH = re.compile(r"(?<![\w/.-])(?:bastion|tests|bench)/[\w./-]*\w")
API_ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)")


def scanned_files() -> list[Path]:
    roots = [ROOT / "bastion", ROOT / "tests", ROOT / "bench", DOCS]
    files = [ROOT / "README.md"]
    for root in roots:
        files += [path for path in root.rglob("*") if path.suffix in SCANNED_SUFFIXES and path.is_file()
                  and "__pycache__" not in path.parts]
    return sorted(files)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def where(path: Path, text: str, index: int) -> str:
    return f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, index) + 1}"


def slug(heading: str) -> str:
    """The anchor a markdown renderer gives a heading (GitHub's rule)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", path.read_text(), re.MULTILINE)
    return {slug(heading) for heading in headings}


def rule_numbers() -> list[int]:
    return [int(number) for number in RULE_HEADING.findall((DOCS / "requirements.md").read_text())]


def cited_rules(citation: str) -> list[int]:
    numbers: list[int] = []
    for rule in re.findall(r"§(\d+)(?:\s*[–-]\s*(\d+))?", citation):
        first, last = int(rule[0]), int(rule[1] or rule[0])
        numbers += list(range(first, last + 1)) if first <= last else [first, last, -1]
    return numbers


def test_no_document_is_cited_by_a_name_it_does_not_have_here() -> None:
    this_file = Path(__file__).resolve()
    found = []
    for path in scanned_files():
        if path == this_file:
            continue
        text = path.read_text()
        found += [f"{where(path, text, match.start())}: {match.group()}" for match in FOREIGN_NAME.finditer(text)]
    assert not found, "cite docs/requirements.md (as `requirements §N`), docs/design.md, docs/api.md or " \
                      "docs/style.md instead:\n" + "\n".join(found)


def test_every_cited_document_exists() -> None:
    cited, missing = 0, []
    for path in scanned_files():
        text = path.read_text()
        for match in DOC_PATH.finditer(text):
            cited += 1
            target, _, anchor = match.group().partition("#")
            if not (ROOT / target).is_file():
                missing.append(f"{where(path, text, match.start())}: {target}")
            elif anchor and anchor not in anchors(ROOT / target):
                missing.append(f"{where(path, text, match.start())}: {target} has no heading #{anchor}")
    assert cited > 20, "the scan found almost no references: is DOC_PATH still right?"
    assert not missing, "\n".join(missing)


def test_every_cited_rule_exists() -> None:
    rules = set(rule_numbers())
    cited, unknown = 0, []
    for path in scanned_files():
        text = path.read_text()
        for match in RULE_CITATION.finditer(text):
            numbers = cited_rules(match.group(1))
            cited += len(numbers)
            if not set(numbers) <= rules:
                unknown.append(f"{where(path, text, match.start())}: {match.group()}")
    assert cited > 100, "the scan found almost no rule citations: is RULE_CITATION still right?"
    assert not unknown, "no such rule in docs/requirements.md:\n" + "\n".join(unknown)


def test_rules_are_numbered_once_in_order() -> None:
    numbers = rule_numbers()
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def test_relative_markdown_links_resolve() -> None:
    broken = []
    for path in markdown_files():
        text = path.read_text()
        for match in MARKDOWN_LINK.finditer(text):
            link = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # https:, mailto:
                continue
            target_text, _, anchor = link.partition("#")
            target = (path.parent / target_text).resolve() if target_text else path
            if not target.exists():
                broken.append(f"{where(path, text, match.start())}: {link}")
            elif anchor and target.suffix == ".md" and anchor not in anchors(target):
                broken.append(f"{where(path, text, match.start())}: {link} (no such heading)")
    assert not broken, "\n".join(broken)


def test_source_paths_named_in_the_documents_exist() -> None:
    gone = []
    for path in markdown_files():
        text = path.read_text()
        for match in SOURCE_PATH.finditer(text):
            name = match.group().rstrip(".")
            if not (ROOT / name).exists():
                gone.append(f"{where(path, text, match.start())}: {name}")
    assert not gone, "\n".join(gone)


def test_the_http_contract_matches_the_routes() -> None:
    from bastion.services import Services
    from bastion.web.app import create_app

    # Routes and their schema do not depend on the services; nothing here serves a request.
    app = create_app(cast(Services, None), deliver_mail=False)
    served = {(method.upper(), _shape(path)) for path, operations in app.openapi()["paths"].items()
              for method in operations}
    documented = {(method, _shape(path)) for method, path in API_ROUTE.findall((DOCS / "api.md").read_text())}
    assert documented, "docs/api.md lists no routes: is API_ROUTE still right?"
    assert not documented - served, f"in docs/api.md but not served: {sorted(documented - served)}"
    undocumented = {(method, path) for method, path in served - documented if path.startswith("/v1/")}
    assert not undocumented, f"served but not in docs/api.md: {sorted(undocumented)}"


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)
