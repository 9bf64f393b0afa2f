"""core/db.py: transactions for writes, none for reads on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

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


BACKEND_PID = text("SELECT pg_backend_pid()")


@pytest.fixture
def pings(app_database: AppDatabase, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ping of a pooled connection the transactional engine makes, by backend pid."""
    dialect = app_database.engine.dialect
    real_ping = dialect.do_ping
    made: list[int] = []

    def counted(dbapi_connection: Any) -> bool:
        made.append(dbapi_connection.info.backend_pid)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return made


def backend_pid(app_database: AppDatabase) -> int:
    with app_database.session() as session:
        pid: int = session.execute(BACKEND_PID).scalar_one()
    return pid


def end_backend(app_database: AppDatabase, pid: int) -> None:
    """What a restart or an idle timeout does to a pooled connection: the server ends it."""
    with app_database.reader.connect() as connection:  # the other pool
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    time.sleep(0.2)  # the server's farewell reaches the socket


@pytest.mark.postgres_only
def test_a_live_pooled_connection_is_used_without_a_ping(app_database: AppDatabase, pings: list[int]) -> None:
    pids = {backend_pid(app_database) for _ in range(5)}

    assert len(pids) == 1  # the same pooled connection each time
    assert pings == []


@pytest.mark.postgres_only
def test_a_pooled_connection_the_server_ended_is_replaced_before_use(
    app_database: AppDatabase, pings: list[int]
) -> None:
    ended = backend_pid(app_database)
    end_backend(app_database, ended)

    replacement = backend_pid(app_database)

    assert replacement != ended
    assert pings == [ended]  # one ping, of the connection that had news
