"""core/db.py: transactions for writes, none for reads on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

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
