"""The catalogue is complete, published, and the only source of refusals in the code base."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bastion.catalogue import CATALOGUE, ENTRIES, HELP_PATH, Reason
from bastion.help.guide import BY_SLUG

ROOT = Path(__file__).resolve().parents[2] / "bastion"


def test_every_reason_has_exactly_one_entry_and_every_entry_a_reason() -> None:
    codes = [entry.code for entry in ENTRIES]
    assert sorted(codes) == sorted(Reason), "a reason without an entry, or an entry twice"
    assert all(isinstance(code, Reason) for code in codes)
    assert list(CATALOGUE) == list(Reason), "the catalogue is published in the order of the enum"
    assert all(CATALOGUE[code].code is code for code in Reason)


def test_every_reason_is_complete() -> None:
    for code, reason in CATALOGUE.items():
        assert reason.title and reason.message.endswith("."), code
        assert reason.steps and all(step.strip().endswith(".") for step in reason.steps), code
        assert reason.action is not None and reason.action.label and reason.action.href.startswith("/"), code
        assert isinstance(reason.pre_auth, bool)
        assert reason.topic is None or reason.topic in BY_SLUG, f"{code}: no help page {reason.topic!r}"
        if reason.action.href.startswith(HELP_PATH + "/"):
            assert reason.action.href.removeprefix(HELP_PATH + "/").split("#")[0] in BY_SLUG, code


def test_what_only_the_account_holder_may_learn_is_never_answered_before_the_first_factor() -> None:
    after_first_factor = {"account.frozen", "account.suspended", "account.banned", "account.ip_not_allowed",
                          "account.email_unverified", "risk.denied", "mfa.required", "mfa.code_invalid",
                          "mfa.clock_skew", "device.verification_required", "flow.expired"}
    assert not [code for code in after_first_factor if CATALOGUE[code].pre_auth]


def test_the_catalogue_is_published_whole(app_client) -> None:
    reasons = app_client.get("/v1/help/reasons").json()["reasons"]
    assert [item["code"] for item in reasons] == list(CATALOGUE)
    locked = next(item for item in reasons if item["code"] == "account.locked")
    assert locked["status"] == 429 and locked["steps"] == list(CATALOGUE["account.locked"].steps)
    assert locked["action"]["href"] == "/password-reset" and locked["help_url"] == "/help/sign-in/locked"
    assert locked["pre_auth"] is True and locked["type"].endswith("/account.locked")


def _sources() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path))) for path in ROOT.rglob("*.py")]


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def test_every_refusal_in_the_code_base_is_made_from_a_reason() -> None:
    """`BastionError(Reason.X)`, never a string: the type checker then proves the code exists."""
    for name, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _called(node) == "BastionError" and node.args):
                continue
            strings = [part for part in ast.walk(node.args[0])
                       if isinstance(part, ast.Constant) and isinstance(part.value, str)]
            assert not strings, f"{name}:{node.lineno}: a string where a Reason belongs"


def test_codes_compared_in_the_code_base_are_catalogued() -> None:
    """`error.code == "mfa.code_reused"` and the like: a typo there would silently never match."""
    for name, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if not any(isinstance(side, ast.Attribute) and side.attr == "code" for side in sides):
                continue
            for side in sides:
                values = side.elts if isinstance(side, (ast.Set, ast.Tuple, ast.List)) else [side]
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        assert value.value in CATALOGUE, f"{name}:{node.lineno}: {value.value!r}"


def test_no_refusal_bypasses_the_problem_renderer() -> None:
    """Error answers are built in web/problems.py from a BastionError; nowhere else makes one by hand."""
    for name, tree in _sources():
        if name == "web/problems.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = _called(node)
                assert called != "HTTPException", f"{name}:{node.lineno}: raise a BastionError instead"
                if called in {"JSONResponse", "PlainTextResponse", "Response", "HTMLResponse"}:
                    status = next((kw.value for kw in node.keywords if kw.arg == "status_code"), None)
                    assert not (isinstance(status, ast.Constant) and status.value >= 400), \
                        f"{name}:{node.lineno}: an error answer outside problems.py"
            if isinstance(node, ast.Dict):  # a raw ASGI start message with an error status
                entries = {key.value: value for key, value in zip(node.keys, node.values, strict=True)
                           if isinstance(key, ast.Constant)}
                status = entries.get("status")
                if entries.get("type") and isinstance(status, ast.Constant) and status.value >= 400:
                    source = ast.unparse(tree)
                    assert ".problem(" in source, f"{name}:{node.lineno}: an error body not from the catalogue"


def test_http_exceptions_outside_problems_py_carry_a_catalogued_code() -> None:
    """A middleware may raise an HTTPException subclass (the body cap does) only with a `reason_code`."""
    code_shape = re.compile(r"^[a-z_]+\.[a-z_]+$")
    for name, tree in _sources():
        subclasses = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                      and any(ast.unparse(base).endswith("HTTPException") for base in node.bases)]
        if not subclasses:
            continue
        assert all("reason_code" in ast.unparse(node) for node in subclasses), name
        literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                    and isinstance(node.value, str) and code_shape.match(node.value)
                    and not node.value.startswith(("http.", "websocket.", "lifespan."))}  # ASGI message types
        members = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                   and isinstance(node.value, ast.Name) and node.value.id == "Reason"}
        assert literals or members, name
        assert literals <= set(CATALOGUE), f"{name}: {sorted(literals - set(CATALOGUE))}"
        assert members <= set(Reason.__members__), f"{name}: {sorted(members - set(Reason.__members__))}"
