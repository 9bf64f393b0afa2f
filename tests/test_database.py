"""core/db.py: transactions for writes, none for reads on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import core.db
from core.db import Database as AppDatabase
from tests.support import Database

TRANSACTION_START = text("SELECT now()")  # the start of the current transaction


@pytest.fixture
def app_database(database: Database) -> Iterator[AppDatabase]:
    db = AppDatabase(database.url)
    yield db
    db.dispose()


@pytest.mark.postgres_only
def test_each_statement_of_a_read_session_is_its_own_transaction(app_database: AppDatabase) -> None:
    with app_database.read_session() as session:
        first = session.execute(TRANSACTION_START).scalar_one()
        time.sleep(0.01)
        second = session.execute(TRANSACTION_START).scalar_one()

    assert second > first


@pytest.mark.postgres_only
def test_a_read_session_leaves_no_transaction_open(app_database: AppDatabase) -> None:
    with app_database.read_session() as session:
        session.execute(text("SELECT 1"))
        status = session.connection().connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]

    assert status == 0  # psycopg2.extensions.TRANSACTION_STATUS_IDLE


@pytest.mark.postgres_only
def test_the_statements_of_a_session_share_one_transaction(app_database: AppDatabase) -> None:
    with app_database.session() as session:
        first = session.execute(TRANSACTION_START).scalar_one()
        time.sleep(0.01)
        second = session.execute(TRANSACTION_START).scalar_one()

    assert second == first


def test_on_sqlite_reads_and_writes_share_one_engine(database: Database) -> None:
    if database.is_postgres:
        pytest.skip("PostgreSQL has a separate pool for reads")
    db = AppDatabase(database.url)
    try:
        assert db.reader is db.engine
    finally:
        db.dispose()


# --- the ping before use (PING_AFTER_IDLE_SECONDS) -------------------------------------------------


@pytest.fixture
def pings(app_database: AppDatabase, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The backend pid of every connection the read pool pinged."""
    pinged: list[int] = []
    dialect = app_database.reader.dialect
    ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection.info.backend_pid)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    return pinged


def backend_pid(db: AppDatabase) -> int:
    with db.read_session() as session:
        pid: int = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


@pytest.mark.postgres_only
def test_a_new_connection_is_used_without_a_ping(app_database: AppDatabase, pings: list[int]) -> None:
    backend_pid(app_database)

    assert pings == []


@pytest.mark.postgres_only
def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(
    app_database: AppDatabase, pings: list[int]
) -> None:
    first = backend_pid(app_database)
    second = backend_pid(app_database)

    assert second == first  # the same pooled connection
    assert pings == []


@pytest.mark.postgres_only
def test_a_connection_that_sat_idle_is_pinged_before_use(
    app_database: AppDatabase, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid(app_database)
    monkeypatch.setattr(core.db, "PING_AFTER_IDLE_SECONDS", 0.0)

    assert backend_pid(app_database) == first
    assert pings == [first]


@pytest.mark.postgres_only
def test_a_connection_closed_while_idle_is_replaced_before_use(
    app_database: AppDatabase, database: Database, pings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid(app_database)
    killer = create_engine(database.url)
    try:
        with killer.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    finally:
        killer.dispose()
    monkeypatch.setattr(core.db, "PING_AFTER_IDLE_SECONDS", 0.0)

    replacement = backend_pid(app_database)  # no error reaches the caller

    assert replacement != first
    assert pings[0] == first
