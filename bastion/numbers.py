"""Whole numbers read from text a client sent (query strings, form fields, headers).

`str.isdigit` is true for "²" and other non-ASCII digits that `int` refuses, and a long run of
digits overflows the databases' 64-bit integers: both were 500s (issue 18, finding 6).
"""

from __future__ import annotations

# Row ids and cursors: signed 64-bit in SQLite and PostgreSQL (BIGINT); ids never come near it.
MAX_ROW_ID = 2**62


def whole_number(text: str, maximum: int = MAX_ROW_ID) -> int | None:
    """The number written in ASCII digits, at most `maximum`; None for anything else."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None
