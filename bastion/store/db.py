"""The database handle: engine, transactions, schema upgrades."""

from __future__ import annotations

import select
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
_READ_ONLY = "bastion_read_only"
_ALONE = "bastion_alone"


# A pooled connection idle longer than this is pinged (one round trip) before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **options)
    connect_args = {"connect_timeout": 5}
    engine = create_engine(
        url,
        # A pool large enough that connections are kept, not opened and closed under load.
        pool_size=options.pop("pool_size", 30),
        max_overflow=options.pop("max_overflow", 10),
        pool_timeout=5,
        connect_args=connect_args,
        **options,
    )
    _hand_out_live_connections(engine, ping_after_idle)
    return engine


def _hand_out_live_connections(engine: Engine, ping_after_idle: float) -> None:
    """Never hand out a connection the server has closed, without a round trip per checkout.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: two of a sign-in's round trips. Instead,
    a connection the server closed (restart, failover, `pg_terminate_backend`) has its farewell
    or the end of the stream waiting on its socket, which a zero-timeout poll sees at once; only a
    connection idle long enough for a silent network drop gets the real ping. Either failing
    raises `DisconnectionError`, and the pool replaces the connection before anyone uses it.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # opened just now
            return
        try:
            alive = not _has_input(dbapi_connection.fileno())
            if alive and time.monotonic() - idle_since >= ping_after_idle:
                engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # closed, or the ping failed: replace it
            raise DisconnectionError(str(error)) from error
        if not alive:
            raise DisconnectionError("the server closed the connection while it was idle")


def _has_input(fileno: int) -> bool:
    """An idle connection has nothing to read unless the server said goodbye (or closed it)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _sqlite_engine(url: str, **options: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event control transactions (pysqlite's own are deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(_ALONE):
            return  # each statement its own transaction (the connection's autocommit)
        if options.get(_READ_ONLY):
            # Reads only: with WAL they run beside the writer, so they need not wait for it.
            connection.exec_driver_sql("BEGIN")
            return
        # One writer at a time, taken up front: a deferred transaction that later
        # writes can fail with "database is locked" instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# Execution option of a transaction's connection: the rows it holds back (`bastion.store.together`).
HELD_ROWS = "bastion.held_rows"


class HeldRows(Protocol):
    def send(self, connection: Connection) -> None: ...


def _send_held_rows_first(engine: Engine) -> None:
    """A connection that holds rows back sends them before any statement it runs — the ORM's, Core's,
    raw SQL, a flush's, a SAVEPOINT — so nothing in its transaction reads or writes around them.
    Hooked where every statement passes on its way to the driver: not on the Session's `execute()` and
    `flush()` (`scalar()` skips the one, and the other too without autoflush; the connection's own
    statements skip both), nor on `before_execute` (`exec_driver_sql` skips it)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _send_first(connection: Connection, *_args: Any) -> None:
        held: HeldRows | None = connection.get_execution_options().get(HELD_ROWS)
        if held is not None:
            held.send(connection)


class Database:
    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **options)
        _send_held_rows_first(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def before_commit(self, callback: Callable[[Session], None]) -> None:
        """Call `callback(tx)` as each transaction of this handle is about to commit (it may still write)."""
        event.listen(self._sessions, "before_commit", callback)

    def after_commit(self, callback: Callable[[Session], None]) -> None:
        """Call `callback(tx)` once each transaction of this handle has committed."""
        event.listen(self._sessions, "after_commit", callback)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A unit of work that only reads (SQLAlchemy Core): on SQLite it never queues for the one
        writer's lock, which every `transaction()` takes up front."""
        with self.engine.connect().execution_options(**{_READ_ONLY: True}) as connection, connection.begin():
            yield connection

    @contextmanager
    def reading_alone(self) -> Iterator[Connection]:
        """Reads that each stand alone (SQLAlchemy Core): every statement is its own transaction, with
        no BEGIN and COMMIT round trips around it — for one statement whose answer needs no other's
        snapshot (the sign-in's read before its hash). Like `reading`, never queues for SQLite's writer."""
        options = {_ALONE: True} if self.dialect == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        with self.engine.connect().execution_options(**options) as connection:
            yield connection

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
