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
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import SQLAlchemyError

from tests.support import (
    DEFAULT_PASSWORD,
    PROJECT_ROOT,
    TEST_SECRET,
    Account,
    Database,
    create_database,
    drop_database,
)

BASE_URL_ENV = "BLACKBOX_BASE_URL"
BACKENDS = ["external"] if os.environ.get(BASE_URL_ENV) else ["sqlite", "postgresql"]
MIGRATE_TIMEOUT_SECONDS = 120
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10

PASSWORD = DEFAULT_PASSWORD
# Nothing secret may ever come back in a response: bcrypt hashes, the password, our secret.
FORBIDDEN_IN_RESPONSES = ("$2b$", "$2a$", "$2y$", PASSWORD, TEST_SECRET)

# What the contract documents as defaults, set explicitly so that a developer's `.env`
# (which main.py and alembic read, the environment winning) cannot change what we test.
CONTRACT_DEFAULTS = {
    "JWT_EXPIRE_MINUTES": "10080",
    "CORS_ORIGINS": "http://localhost:3000,http://localhost:5173",
    "MAX_BODY_BYTES": str(1024 * 1024),
    # An empty value wins over a .env entry, so alembic migrates DATABASE_URL and nothing else.
    "MIGRATION_DATABASE_URL": "",
}


def check_response(response: httpx.Response) -> None:
    """Every response any black-box test receives: never a 5xx, never a secret."""
    response.read()
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code < 500, f"{where} answered {response.status_code}: {response.text}"
    for secret in FORBIDDEN_IN_RESPONSES:
        assert secret not in response.text, f"{where} leaked a secret ({secret[:4]}...) in its body"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{_log_tail(log_path)}", pytrace=False)
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    pytest.fail(f"no 200 from {base_url}/health in {STARTUP_TIMEOUT_SECONDS} s:\n{_log_tail(log_path)}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve(database_url: str, workdir: Path) -> Iterator[str]:
    """Migrate `database_url`, serve it with main.py on a free port, yield the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        **CONTRACT_DEFAULTS,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "BCRYPT_ROUNDS": "4",  # the minimum: signups and logins stay fast
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / "server.log"
    # Output goes to a file, never to a pipe nobody reads: a full pipe would block the server.
    with log_path.open("wb") as log:
        migration = subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT_SECONDS,
            check=False,
        )
        if migration.returncode != 0:
            pytest.fail(f"alembic upgrade head failed:\n{_log_tail(log_path)}", pytrace=False)
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log_path)
        yield base_url
    finally:
        _stop(process)


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
        yield from _serve(f"sqlite:///{workdir / 'todo.sqlite3'}", workdir)
        return
    if not database.is_postgres:
        pytest.skip(f"PostgreSQL is unreachable, the main suite runs on SQLite: {database.fallback_reason}")
    admin_url = database.admin_url or database.url
    try:
        name, url = create_database(admin_url, prefix="todo_blackbox")
    except SQLAlchemyError as exc:
        pytest.skip(f"cannot create a throwaway PostgreSQL database: {type(exc).__name__}")
    try:
        yield from _serve(url, workdir)
    finally:
        drop_database(admin_url, name)


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [check_response]}) as client:
        yield client


def unique_username(prefix: str = "bb") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def signup(api: httpx.Client, username: str | None = None, email: str | None = None) -> Account:
    username = username or unique_username()
    email = email or f"{username}@example.com"
    response = api.post(
        "/api/auth/signup",
        json={"username": username, "email": email, "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], body["user"]["username"], body["user"]["email"], PASSWORD, body["access_token"])


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
