"""Shared fixtures: a real database built by the migrations, a clean state per test,
and a watch on every response and log line for 5xx answers and leaked secrets."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.support import (
    DEFAULT_PASSWORD,
    TEST_SECRET,
    Account,
    Database,
    PostgresRequired,
    ResponseWatch,
    provision_database,
    settings_for,
    signup_account,
)

os.environ.setdefault("BETTER_AUTH_SECRET", TEST_SECRET)  # `main` builds its module-level app on import

from fastapi.testclient import TestClient

from core.config import Settings
from core.db import create_db_engine
from main import create_app

DATABASE_KEY = pytest.StashKey[Database]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL; skipped on the SQLite fallback")
    config.addinivalue_line("markers", "allow_unavailable: the test makes the database unreachable on purpose (503)")
    if hasattr(config, "workerinput"):
        return
    try:
        config.stash[DATABASE_KEY] = provision_database()
    except PostgresRequired as exc:
        pytest.exit(str(exc), returncode=4)


def pytest_unconfigure(config: pytest.Config) -> None:
    database = config.stash.get(DATABASE_KEY, None)
    if database is not None:
        database.drop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [config.stash[DATABASE_KEY].describe()]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    database = config.stash.get(DATABASE_KEY, None)
    if database is not None and database.fallback_reason:
        terminalreporter.write_sep("!", "PostgreSQL was NOT reachable: these tests ran on SQLite", red=True)
        terminalreporter.write_line(database.fallback_reason, red=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[DATABASE_KEY].is_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database(pytestconfig: pytest.Config) -> Database:
    return pytestconfig.stash[DATABASE_KEY]


@pytest.fixture(scope="session")
def engine(database: Database) -> Iterator[Engine]:
    engine = create_db_engine(database.url)  # as the app's: SQLite enforces foreign keys too
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(engine: Engine, database: Database) -> None:
    with engine.begin() as connection:
        if database.is_postgres:
            connection.execute(
                text(
                    "TRUNCATE idempotency_keys, refresh_tokens, sessions, trashed_tasks, tasks, task_totals, users, "
                    "rate_limits "
                    "CASCADE"
                )
            )
        else:
            for table in (
                "idempotency_keys",
                "refresh_tokens",
                "sessions",
                "task_tags",
                "task_search",
                "trashed_tasks",
                "tasks",
                "task_totals",
                "users",
                "rate_limits",
            ):
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session")
def settings(database: Database) -> Settings:
    return settings_for(database)


@pytest.fixture
def response_watch(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[ResponseWatch]:
    caplog.set_level(logging.DEBUG)
    watch = ResponseWatch([])
    yield watch
    allow_unavailable = request.node.get_closest_marker("allow_unavailable") is not None
    for response in watch.responses:
        status = response.status_code
        if status >= 500 and not (allow_unavailable and status == 503):
            pytest.fail(f"{response.request.method} {response.request.url.path} answered {status}: {response.text}")
        assert_no_secret(response.text, where=f"response to {response.request.method} {response.request.url.path}")
    for record in caplog.records:
        assert_no_secret(record.getMessage(), where=f"log line {record.name}")


def assert_no_secret(text_: str, where: str) -> None:
    for secret in (DEFAULT_PASSWORD, "$2b$", "$2a$", "$2y$", TEST_SECRET):
        assert secret not in text_, f"{where} contains a secret ({secret[:4]}...)"


@pytest.fixture
def make_client(response_watch: ResponseWatch) -> Iterator[Callable[..., TestClient]]:
    """Build a client for an app with the given settings; lifespan runs, responses are watched."""
    opened: list[TestClient] = []

    def build(settings: Settings, **client_options: Any) -> TestClient:
        client = TestClient(create_app(settings), **client_options)
        client.__enter__()
        client.event_hooks["response"].append(response_watch)
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _session_app(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(_session_app: TestClient, response_watch: ResponseWatch) -> Iterator[TestClient]:
    _session_app.event_hooks["response"] = [response_watch]
    _session_app.headers.clear()
    yield _session_app
    _session_app.event_hooks["response"] = []


@pytest.fixture
def make_account(client: TestClient) -> Callable[..., Account]:
    def create(username: str | None = None, email: str | None = None, password: str = DEFAULT_PASSWORD) -> Account:
        return signup_account(client, username, email, password)

    return create


@pytest.fixture
def alice(make_account: Callable[..., Account]) -> Account:
    return make_account("alice", "alice@example.com")


@pytest.fixture
def bob(make_account: Callable[..., Account]) -> Account:
    return make_account("bob", "bob@example.com")
