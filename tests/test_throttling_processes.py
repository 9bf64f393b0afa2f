"""Two app processes on one PostgreSQL database share their throttling counts, and a
revocation on one is a 401 on the other at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import running_app
from tests.support import DEFAULT_PASSWORD, Database, create_database, drop_database

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def two_servers(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    assert database.admin_url is not None
    name, url = create_database(database.admin_url, prefix="todo_two_processes")
    workdir: Path = tmp_path_factory.mktemp("two-processes")
    limits = {"LOGIN_MAX_FAILURES": "4", "SIGNUP_MAX_PER_IP": "3"}
    try:
        with running_app(url, workdir, **limits) as first, running_app(url, workdir, **limits) as second:
            yield first, second
    finally:
        drop_database(database.admin_url, name)


def signup(base_url: str, username: str) -> httpx.Response:
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
    }
    return httpx.post(f"{base_url}/api/auth/signup", json=body, timeout=30)


def login(base_url: str, username: str, password: str) -> httpx.Response:
    body = {"username_or_email": username, "password": password}
    return httpx.post(f"{base_url}/api/auth/login", json=body, timeout=30)


def test_login_failures_spread_over_two_processes_trip_the_limit(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    username = f"u_{uuid.uuid4().hex[:12]}"
    assert signup(first, username).status_code == 201

    failures = [login(server, username, "wrong-password").status_code for server in (first, second, first, second)]
    locked = login(first, username, DEFAULT_PASSWORD)

    assert failures == [401, 401, 401, 401]
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert login(second, username, DEFAULT_PASSWORD).status_code == 429


def test_signups_spread_over_two_processes_trip_the_per_address_limit(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    servers = (first, second, first, second)

    statuses = [signup(server, f"u_{uuid.uuid4().hex[:12]}").status_code for server in servers]

    assert statuses == [201, 201, 201, 429]


def test_a_logout_on_one_process_is_a_401_on_the_other_at_once(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    answer = signup(first, f"u_{uuid.uuid4().hex[:12]}").json()
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    tasks = f"/api/{answer['user']['id']}/tasks"
    assert httpx.get(f"{second}{tasks}", headers=headers, timeout=30).status_code == 200  # known to the other

    assert httpx.post(f"{first}/api/auth/logout", headers=headers, timeout=30).status_code == 204

    assert httpx.get(f"{second}{tasks}", headers=headers, timeout=30).status_code == 401
    assert httpx.get(f"{second}/api/auth/me", headers=headers, timeout=30).status_code == 401
