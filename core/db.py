"""The database: its engine, and sessions that live inside one worker thread."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Connections per pool and process, all kept open (no overflow: a connection opened for a
# burst and closed after costs a TCP and TLS handshake, which on Neon is most of a request).
# On PostgreSQL there are two pools, one for transactions and one for plain reads (see
# Database), so a process holds at most twice this many.
POOL_SIZE = 8
MAX_OVERFLOW = 0
MAX_CONNECTIONS = POOL_SIZE + MAX_OVERFLOW


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(url: str, *, autocommit: bool = False) -> Engine:
    """`autocommit` (PostgreSQL only): every statement is its own transaction, which is
    what a read of one statement gets anyway, minus the BEGIN and ROLLBACK round trips."""
    # hide_parameters: a failed INSERT must never put a password hash into a log line.
    if is_sqlite(url):
        if autocommit:
            raise ValueError("autocommit engines are for PostgreSQL")
        return _create_sqlite_engine(url)
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT" if autocommit else None,
        hide_parameters=True,
        pool_recycle=300,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=10,
        connect_args={"connect_timeout": 10},
    )
    _ping_when_hung_up(engine)
    return engine


def _ping_when_hung_up(engine: Engine) -> None:
    """What `pool_pre_ping` is for (a pooled connection the server has closed: a restart,
    Neon suspending its compute, an idle timeout), without its round trip on every checkout.
    A server that ends a connection says so (PostgreSQL sends a FATAL message, then closes),
    so the socket of a dead idle connection has something to read or has hung up, and that
    of a live one has neither: one `poll` tells, and only then does a ping decide."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not dbapi_connection.closed and not _has_news(dbapi_connection.fileno()):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool replaces the connection and checks out the new one.
            raise DisconnectionError("the server closed this pooled connection") from error


def _has_news(fd: int) -> bool:
    """Whether an idle connection's socket has something to read, or has hung up."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)  # POLLHUP and POLLERR come anyway
    return bool(poller.poll(0))


def _create_sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so we can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with
        # "database is locked" when another writer got in between; taking the write
        # lock up front makes concurrent requests queue on the busy timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)
        # At READ COMMITTED, PostgreSQL takes a fresh snapshot for every statement, in a
        # transaction or not: a read loses nothing without one, and saves two of its four
        # round trips (BEGIN, ROLLBACK). SQLite reads share the one engine.
        self.reader = self.engine if is_sqlite(url) else create_db_engine(url, autocommit=True)

    def session(self) -> Session:
        """A session for one unit of work, used as `with database.session() as session:`
        inside a sync route: it connects on first use and gives the connection back on exit,
        in that same worker thread (never on the event loop, where a ROLLBACK would block).
        expire_on_commit=False: what was read stays readable after the commit."""
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        """A session that only reads, used like `session()`: on PostgreSQL without a
        transaction, so never for a write or for a read that a write depends on."""
        return Session(self.reader, expire_on_commit=False)

    def statement_session(self) -> Session:
        """For a service whose writes on PostgreSQL are each one statement: every statement is
        its own transaction there (the reads' pool, so no BEGIN and COMMIT round trips and no
        switch of isolation level per checkout). On SQLite, a session like `session()`."""
        return Session(self.reader, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()
        self.reader.dispose()


async def get_database(request: Request) -> Database:
    # `async` on purpose: a sync dependency would cost a trip to the thread pool.
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
