"""Re-encrypting every protected value under the newest key: `bastion keys rotate` (requirements §14).

A protected value is a column whose ciphertext names its key (`v1.<key id>.…`, see keyring.py).
Rotation walks each such column in batches, in primary-key order, and rewrites only the values
not yet under the newest key, each with an UPDATE conditional on the old ciphertext: a row the
running service changed meanwhile (and so already wrote under the newest key) is left alone.
It is safe while serving, resumable (run it again after an interruption: it picks up what is
left) and idempotent. When it reports nothing left, the old key can leave BASTION_SECRET_KEYS.

A feature that adds an encrypted column lists it beside the code that encrypts it (a module's
`PROTECTED`, gathered by `bastion.protected`; a second-factor method, in its own `protected`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update

from bastion.crypto.keyring import KeyRing
from bastion.store import Database
from bastion.store.changes import rows_changed


@dataclass(frozen=True)
class Protected:
    label: str
    model: Any
    columns: tuple[str, ...]
    aad: Callable[[Any], str]  # from the row (its id or dedup key): where the value belongs


@dataclass
class Progress:
    label: str
    rotated: int = 0
    skipped: int = 0  # changed by the service meanwhile: already under the newest key


def rotate_keys(db: Database, keys: KeyRing, protected_values: Sequence[Protected], batch: int = 500,
                report: Callable[[Progress], None] | None = None) -> list[Progress]:
    """Re-encrypt everything not yet under the newest key; one transaction per batch."""
    results = []
    for protected in protected_values:
        progress = Progress(protected.label)
        _rotate(db, keys, protected, batch, progress, report)
        results.append(progress)
    return results


def remaining(db: Database, keys: KeyRing, protected_values: Sequence[Protected]) -> dict[str, int]:
    """How many values of each kind are not yet under the newest key."""
    counts = {}
    with db.transaction() as tx:
        for protected in protected_values:
            counts[protected.label] = len(tx.execute(
                select(protected.model.__mapper__.primary_key[0]).where(_stale(protected, keys))).all())
    return counts


def _stale(protected: Protected, keys: KeyRing) -> Any:
    prefix = f"v1.{keys.current_id}."
    return or_(*(and_(getattr(protected.model, column).is_not(None),
                      ~getattr(protected.model, column).startswith(prefix, autoescape=True))
                 for column in protected.columns))


def _rotate(db: Database, keys: KeyRing, protected: Protected, batch: int, progress: Progress,
            report: Callable[[Progress], None] | None) -> None:
    model = protected.model
    primary_key = model.__mapper__.primary_key[0]
    after: Any = None
    while True:
        with db.transaction() as tx:
            query = select(model).where(_stale(protected, keys)).order_by(primary_key).limit(batch)
            if after is not None:
                query = query.where(primary_key > after)
            rows = list(tx.execute(query).scalars())
            for row in rows:
                old = {column: getattr(row, column) for column in protected.columns}
                new = {column: _reencrypt(keys, value, protected.aad(row)) for column, value in old.items()}
                matches = [getattr(model, column) == value if value is not None else getattr(model, column).is_(None)
                           for column, value in old.items()]
                changed = rows_changed(tx, update(model).where(primary_key == getattr(row, primary_key.key), *matches)
                                     .values(**new).execution_options(synchronize_session=False))
                if changed:
                    progress.rotated += 1
                else:
                    progress.skipped += 1
        if report is not None and rows:
            report(progress)
        if len(rows) < batch:
            return
        after = getattr(rows[-1], primary_key.key)


def _reencrypt(keys: KeyRing, stored: str | None, aad: str) -> str | None:
    if stored is None or not keys.needs_rotation(stored):
        return stored
    return keys.encrypt(keys.decrypt_bytes(stored, aad), aad)
