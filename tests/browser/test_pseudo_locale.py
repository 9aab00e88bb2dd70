"""The main pages in the pseudo-locale (en-XA): every text a person reads went through the catalogue.

Each message comes out accented and bracketed (⟦Ŝîĝñ îñ⟧), so a word of plain Latin letters outside
the brackets is text that did not: the test lists each one with its page. What is not a message is
left out: the brand, email addresses, references, addresses, numbers, times (`<time>`), codes
(`<code>`, `<kbd>`, `<samp>`), what is marked `translate="no"` (the language menu's own names) and
what Babel names in the page's locale (`data-localized`, the time zones).

Marked `catalogue`: deselected by default until every template and module is marked
(`pytest -m catalogue -n 0 tests/browser/test_pseudo_locale.py`).
"""

from __future__ import annotations

import re
from typing import Any

import httpx2 as httpx
import pytest

from bastion.help.guide import BY_SLUG
from bastion.web.pages.signed_in import SECURITY_PAGES

pytestmark = pytest.mark.catalogue

PUBLIC = {
    "sign-in": "/login",
    "sign-up": "/signup",
    "password-reset": "/password-reset",
    "status": "/status",
    "help": "/help/sign-in",
    **{f"help-{slug}": f"/help/sign-in/{slug}" for slug in BY_SLUG},
    "not-found": "/no-such-page",
    "reset-link-invalid": "/password-reset/confirm?token=not-a-token",
}
SIGNED_IN = {path.strip("/").replace("/", "-") or "overview": path for path, _ in SECURITY_PAGES}

# Every text a person reads on the page: visible text nodes, the attributes read aloud or shown, the title.
TEXTS = """() => {
  const skip = "script, style, noscript, template, code, kbd, samp, time, [translate=no], [hidden], "
             + "[data-localized] option:not([value=''])";
  const shown = element => {
    const style = getComputedStyle(element);
    return style.display !== "none" && style.visibility !== "hidden" && element.getClientRects().length > 0;
  };
  const found = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (text && element && !element.closest(skip) && shown(element)) found.push(text);
  }
  for (const element of document.body.querySelectorAll("[placeholder], [aria-label], [title], img[alt], input[value]")) {
    if (element.closest(skip)) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      if (element.getAttribute(name)) found.push(element.getAttribute(name));
    }
    if (["submit", "button"].includes(element.type)) found.push(element.value);
  }
  return found;
}"""
# Not messages: removed before looking for words.
NOT_MESSAGES = re.compile(
    r"\S+@\S+"  # email addresses
    r"|https?://\S+|/[\w/.?=&%-]*"  # addresses and paths
    r"|\bR-[0-9A-Z]{8}\b"  # refusal references
    r"|\b\d[\w.:/-]*"  # numbers, versions, IPs, durations' digits
)
# Names that stay as they are in every language.
NAMES = {"Bastion", "UTC"}
BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def leftovers(texts: list[str]) -> list[str]:
    """The texts with a word of plain Latin letters outside every ⟦…⟧."""
    found = []
    for text in texts:
        rest = text
        while BRACKETED.search(rest):  # innermost first: a message inside another's placeholder
            rest = BRACKETED.sub(" ", rest)
        rest = NOT_MESSAGES.sub(" ", rest)
        if any(word not in NAMES for word in LATIN_WORD.findall(rest)):
            found.append(text)
    return found


def visit(page: Any, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.documentElement.lang") == "en-XA", path
    return leftovers(page.evaluate(TEXTS))


def in_pseudo_locale(page: Any, site: Any) -> None:
    page.context.add_cookies([{"name": "bastion_lang", "value": "en-XA", "url": site.base_url}])


def test_the_public_pages_say_nothing_outside_the_catalogue(page, site) -> None:
    in_pseudo_locale(page, site)
    found = {name: visit(page, path) for name, path in PUBLIC.items()}
    report = [f"{name} ({PUBLIC[name]}): {text!r}" for name, texts in found.items() for text in texts]
    assert not report, f"{len(report)} texts not from the catalogue:\n" + "\n".join(report)


def test_the_security_pages_say_nothing_outside_the_catalogue(page, site, person) -> None:
    account = person()
    with httpx.Client(base_url=site.base_url, timeout=10) as http:
        # A browser's own words for itself, as a person's session shows them (a raw test-client name is data).
        token = http.post("/v1/login", json={"email": account["email"], "password": account["password"]},
                          headers={"User-Agent": page.evaluate("navigator.userAgent")})
        token = token.json()["session"]["token"]
    page.context.add_cookies([{"name": "bastion_session", "value": token, "url": site.base_url}])
    in_pseudo_locale(page, site)
    found = {name: visit(page, path) for name, path in SIGNED_IN.items()}
    report = [f"{name} ({SIGNED_IN[name]}): {text!r}" for name, texts in found.items() for text in texts]
    assert not report, f"{len(report)} texts not from the catalogue:\n" + "\n".join(report)
