"""Authentication hardening: equal login timing, nothing secret in logs, safe headers."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support import DEFAULT_PASSWORD, Account, Database, settings_for

MakeClient = Callable[..., TestClient]


def login_seconds(client: TestClient, identifier: str, password: str) -> float:
    started = time.perf_counter()
    response = client.post("/api/auth/login", json={"username_or_email": identifier, "password": password})
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    return elapsed


def test_login_of_an_unknown_user_takes_about_as_long_as_a_wrong_password(
    make_client: MakeClient, database: Database
) -> None:
    # A real bcrypt cost (the suite otherwise uses the cheapest): without the dummy verify an
    # unknown user would answer in about 1 ms against about 50 ms for a wrong password.
    client = make_client(settings_for(database, bcrypt_rounds=10))
    client.post(
        "/api/auth/signup",
        json={
            "username": "timed",
            "email": "timed@example.com",
            "password": DEFAULT_PASSWORD,
            "confirm_password": DEFAULT_PASSWORD,
        },
    )
    wrong_password = [login_seconds(client, "timed", "wrong-password") for _ in range(7)]
    unknown_user = [login_seconds(client, "nobody_at_all", "wrong-password") for _ in range(7)]

    ratio = statistics.median(unknown_user) / statistics.median(wrong_password)

    assert 0.5 < ratio < 2, f"unknown user {statistics.median(unknown_user):.3f}s vs wrong password"


def test_signup_and_logins_leave_no_password_hash_or_token_in_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every statement, as with echo=True
    try:
        body = {
            "username": "logged",
            "email": "logged@example.com",
            "password": DEFAULT_PASSWORD,
            "confirm_password": DEFAULT_PASSWORD,
        }
        token = client.post("/api/auth/signup", json=body).json()["access_token"]
        login = client.post("/api/auth/login", json={"username_or_email": "logged", "password": DEFAULT_PASSWORD})
        client.post("/api/auth/login", json={"username_or_email": "logged", "password": "a-wrong-password"})
        client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert "INSERT INTO users" in logs  # the statements were logged, their parameters not
    for secret in (DEFAULT_PASSWORD, "a-wrong-password", "$2b$", token, login.json()["access_token"]):
        assert secret not in logs


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/login", "/api/auth/me"])
def test_auth_answers_are_not_stored_by_caches(client: TestClient, path: str) -> None:
    response = client.post(path, json={}) if path != "/api/auth/me" else client.get(path)

    assert response.headers["Cache-Control"] == "no-store"


def test_a_successful_login_is_not_stored_by_caches(client: TestClient, alice: Account) -> None:
    response = client.post("/api/auth/login", json={"username_or_email": "alice", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/health", "/api/auth/me", "/api/nothing", "/nothing", "/openapi.json"])
def test_every_answer_forbids_content_type_sniffing(client: TestClient, path: str) -> None:
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


def test_task_answers_are_not_marked_no_store_by_the_auth_rule(client: TestClient, alice: Account) -> None:
    response = client.get(alice.tasks_url, headers=alice.headers)

    assert response.headers.get("Cache-Control") != "no-store"
