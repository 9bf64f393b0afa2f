"""Throttling: failed logins per account and signups per client address, counted in the
database (the contract's "Throttling" section)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.client_address import client_address
from core.config import Settings, parse_networks
from tests.support import DEFAULT_PASSWORD, Account, Database, settings_for

MakeClient = Callable[..., TestClient]
WRONG = "not-the-password"


def throttled_client(make_client: MakeClient, database: Database, **limits: Any) -> TestClient:
    return make_client(settings_for(database, **limits))


def signup(client: TestClient, username: str, headers: dict[str, str] | None = None) -> Any:
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
    }
    return client.post("/api/auth/signup", json=body, headers=headers or {})


def login(client: TestClient, identifier: str, password: str = WRONG) -> Any:
    return client.post("/api/auth/login", json={"username_or_email": identifier, "password": password})


def assert_throttled(response: Any, window_seconds: int) -> None:
    assert response.status_code == 429
    assert isinstance(response.json()["detail"], str)
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds


# Failed logins


def test_the_sixth_login_after_five_failures_is_429_even_with_the_right_password(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, login_max_failures=5, login_window_seconds=900)
    for _ in range(5):
        assert login(client, "alice").status_code == 401

    assert_throttled(login(client, "alice", DEFAULT_PASSWORD), window_seconds=900)


def test_failures_by_username_and_by_email_count_against_the_same_account(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, login_max_failures=4)
    for identifier in ("alice", "ALICE@example.com", "Alice", "alice@example.com"):
        assert login(client, identifier).status_code == 401

    assert login(client, "alice", DEFAULT_PASSWORD).status_code == 429


def test_a_successful_login_clears_the_count(make_client: MakeClient, database: Database, alice: Account) -> None:
    client = throttled_client(make_client, database, login_max_failures=3)
    for _ in range(2):
        login(client, "alice")
    assert login(client, "alice", DEFAULT_PASSWORD).status_code == 200

    responses = [login(client, "alice").status_code for _ in range(3)]

    assert responses == [401, 401, 401]


def test_logins_work_again_once_the_window_has_passed(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, login_max_failures=2, login_window_seconds=1)
    for _ in range(2):
        login(client, "alice")
    assert login(client, "alice", DEFAULT_PASSWORD).status_code == 429

    time.sleep(1.1)

    assert login(client, "alice", DEFAULT_PASSWORD).status_code == 200


def test_other_accounts_are_not_affected(
    make_client: MakeClient, database: Database, alice: Account, bob: Account
) -> None:
    client = throttled_client(make_client, database, login_max_failures=2)
    for _ in range(3):
        login(client, "alice")

    assert login(client, "bob", DEFAULT_PASSWORD).status_code == 200


def test_an_unknown_username_is_throttled_like_a_real_one(make_client: MakeClient, database: Database) -> None:
    # Otherwise a 429 would tell an attacker which usernames exist.
    client = throttled_client(make_client, database, login_max_failures=3)
    responses = [login(client, "nobody_here").status_code for _ in range(4)]

    assert responses == [401, 401, 401, 429]


def test_zero_turns_the_login_limit_off(make_client: MakeClient, database: Database, alice: Account) -> None:
    client = throttled_client(make_client, database, login_max_failures=0)
    for _ in range(8):
        assert login(client, "alice").status_code == 401

    assert login(client, "alice", DEFAULT_PASSWORD).status_code == 200


def test_the_count_lives_in_the_database_so_another_app_instance_sees_it(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    first = throttled_client(make_client, database, login_max_failures=4)
    second = throttled_client(make_client, database, login_max_failures=4)
    for client in (first, second, first, second):
        assert login(client, "alice").status_code == 401

    assert login(second, "alice", DEFAULT_PASSWORD).status_code == 429
    assert login(first, "alice", DEFAULT_PASSWORD).status_code == 429


# Signups per client address


def test_signups_past_the_limit_from_one_address_are_429(make_client: MakeClient, database: Database) -> None:
    client = throttled_client(make_client, database, signup_max_per_ip=3, signup_window_seconds=3600)
    for _ in range(3):
        assert signup(client, f"u_{uuid.uuid4().hex[:10]}").status_code == 201

    assert_throttled(signup(client, f"u_{uuid.uuid4().hex[:10]}"), window_seconds=3600)


def test_zero_turns_the_signup_limit_off(make_client: MakeClient, database: Database) -> None:
    client = throttled_client(make_client, database, signup_max_per_ip=0)

    statuses = {signup(client, f"u_{uuid.uuid4().hex[:10]}").status_code for _ in range(5)}

    assert statuses == {201}


def test_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(
    make_client: MakeClient, database: Database
) -> None:
    client = throttled_client(make_client, database, signup_max_per_ip=2)
    for n in range(2):
        signup(client, f"u_{uuid.uuid4().hex[:10]}", {"X-Forwarded-For": f"198.51.100.{n}"})

    response = signup(client, f"u_{uuid.uuid4().hex[:10]}", {"X-Forwarded-For": "198.51.100.99"})

    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    make_client: MakeClient, database: Database
) -> None:
    # TestClient's peer is "testclient", which is not an IP address; an app that trusts
    # every address still cannot trust it, so use a client that reports a real peer.
    settings = settings_for(database, signup_max_per_ip=1, trusted_proxies=parse_networks({"T": "0.0.0.0/0"}, "T"))
    client = make_client(settings, client=("10.0.0.1", 50000))

    assert signup(client, f"u_{uuid.uuid4().hex[:10]}", {"X-Forwarded-For": "203.0.113.1"}).status_code == 201
    assert signup(client, f"u_{uuid.uuid4().hex[:10]}", {"X-Forwarded-For": "203.0.113.2"}).status_code == 201
    assert signup(client, f"u_{uuid.uuid4().hex[:10]}", {"X-Forwarded-For": "203.0.113.1"}).status_code == 429


# Which address a request comes from


def scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"type": "http", "client": (peer, 1234), "headers": headers}


PROXIES = parse_networks({"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}, "TRUSTED_PROXIES")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        pytest.param("203.0.113.5", None, "203.0.113.5", id="no header: the peer"),
        pytest.param("203.0.113.5", "198.51.100.1", "203.0.113.5", id="untrusted peer: header ignored"),
        pytest.param("10.1.2.3", "198.51.100.1", "198.51.100.1", id="trusted proxy: the client it names"),
        pytest.param("10.1.2.3", "6.6.6.6, 198.51.100.1, 192.0.2.7", "198.51.100.1", id="nearest untrusted hop"),
        pytest.param("10.1.2.3", None, "10.1.2.3", id="trusted proxy without header: the proxy"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(scope(peer, forwarded), PROXIES) == expected


def test_a_bad_trusted_proxies_entry_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings.from_env({"BETTER_AUTH_SECRET": "x" * 40, "TRUSTED_PROXIES": "10.0.0.0/8, not-an-ip"})
