"""A running server, driven over real HTTP.

With BLACKBOX_BASE_URL set, the tests talk to a server someone else started (`.ci/smoke`
starts one with `make run`). Otherwise each backend gets its own server, started here as
`python main.py` after `alembic upgrade head`: SQLite in a temporary directory, and
PostgreSQL in a throwaway database on the server the main suite uses.

These tests never see the database: every account they make has a unique name, so they
pass on a server that already holds data, and they never rely on the root conftest's
clean-up (which only touches the main suite's own database).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import SQLAlchemyError

from tests.servers import running_app
from tests.support import (
    DEFAULT_PASSWORD,
    TEST_SECRET,
    Account,
    Database,
    create_database,
    drop_database,
    signup_account,
)

BASE_URL_ENV = "BLACKBOX_BASE_URL"
BACKENDS = ["external"] if os.environ.get(BASE_URL_ENV) else ["sqlite", "postgresql"]
PASSWORD = DEFAULT_PASSWORD
# Nothing secret may ever come back in a response: bcrypt hashes, the password, our secret.
FORBIDDEN_IN_RESPONSES = ("$2b$", "$2a$", "$2y$", PASSWORD, TEST_SECRET)


def check_response(response: httpx.Response) -> None:
    """Every response any black-box test receives: never a 5xx, never a secret."""
    response.read()
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.text}"
    for secret in FORBIDDEN_IN_RESPONSES:
        assert secret not in response.text, f"{where} leaked a secret ({secret[:4]}...) in its body"


@pytest.fixture(scope="session", params=BACKENDS)
def base_url(
    request: pytest.FixtureRequest, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    if backend == "external":
        yield os.environ[BASE_URL_ENV].rstrip("/")
        return
    workdir = tmp_path_factory.mktemp(f"blackbox-{backend}")
    if backend == "sqlite":
        with running_app(f"sqlite:///{workdir / 'todo.sqlite3'}", workdir) as url:
            yield url
        return
    if not database.is_postgres:
        pytest.skip(f"PostgreSQL is unreachable, the main suite runs on SQLite: {database.fallback_reason}")
    admin_url = database.admin_url or database.url
    try:
        name, url = create_database(admin_url, prefix="todo_blackbox")
    except SQLAlchemyError as exc:
        pytest.skip(f"cannot create a throwaway PostgreSQL database: {type(exc).__name__}")
    try:
        with running_app(url, workdir) as served:
            yield served
    finally:
        drop_database(admin_url, name)


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [check_response]}) as client:
        yield client


def unique_username(prefix: str = "bb") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def signup(api: httpx.Client, username: str | None = None, email: str | None = None) -> Account:
    return signup_account(api, username or unique_username(), email, PASSWORD)


# Signups are few on purpose (the contract throttles them per client address): tests that
# only need "some account" share these two; a test that counts its tasks makes its own.
@pytest.fixture(scope="session")
def owner(api: httpx.Client) -> Account:
    return signup(api)


@pytest.fixture(scope="session")
def stranger(api: httpx.Client) -> Account:
    return signup(api)


@pytest.fixture
def make_account(api: httpx.Client) -> Callable[..., Account]:
    def make(username: str | None = None, email: str | None = None) -> Account:
        return signup(api, username, email)

    return make


@pytest.fixture
def make_task(api: httpx.Client) -> Callable[..., dict[str, Any]]:
    def make(account: Account, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
        response = api.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task

    return make
