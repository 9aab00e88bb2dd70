"""Maintenance windows in storage: the SQLAlchemy implementation of `maintenance.WindowStore`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session as Tx

from bastion.ops.maintenance_window import Window
from bastion.ops.models import MaintenanceWindow
from bastion.store.changes import rows_changed


def _view(row: MaintenanceWindow) -> Window:
    return Window(row.id, row.starts_at, row.ends_at, row.message, row.block_sessions)


class SqlWindowStore:
    def add(self, tx: Tx, starts_at: datetime, ends_at: datetime, message: str, block_sessions: bool,
            now: datetime, actor_id: str | None) -> Window:
        row = MaintenanceWindow(starts_at=starts_at, ends_at=ends_at, message=message,
                                block_sessions=block_sessions, created_at=now, created_by=actor_id)
        tx.add(row)
        tx.flush()
        return _view(row)

    def end_current(self, tx: Tx, now: datetime) -> int:
        return rows_changed(tx, 
            update(MaintenanceWindow)
            .where(MaintenanceWindow.starts_at <= now, MaintenanceWindow.ends_at > now)
            .values(ends_at=now)
        )

    def remove(self, tx: Tx, window_id: str) -> bool:
        return rows_changed(tx, delete(MaintenanceWindow).where(MaintenanceWindow.id == window_id)) == 1

    def not_ended(self, reader: Tx | Connection, now: datetime) -> list[Window]:
        table = MaintenanceWindow.__table__
        rows = reader.execute(select(table.c.id, table.c.starts_at, table.c.ends_at, table.c.message,
                                     table.c.block_sessions).where(table.c.ends_at > now).order_by(table.c.starts_at))
        return [Window(*row) for row in rows]
