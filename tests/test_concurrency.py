"""Simultaneous signups for one username or one e-mail: the database decides, exactly one wins."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.support import DEFAULT_PASSWORD

SIGNUPS = 30


def signup_body(username: str, email: str) -> dict[str, Any]:
    return {"username": username, "email": email, "password": DEFAULT_PASSWORD, "confirm_password": DEFAULT_PASSWORD}


def race(client: TestClient, body_for: Callable[[int], dict[str, Any]]) -> list[httpx.Response]:
    """SIGNUPS threads that wait for each other, then sign up at the same moment."""
    start = threading.Barrier(SIGNUPS)

    def attempt(index: int) -> httpx.Response:
        body = body_for(index)
        start.wait()
        return client.post("/api/auth/signup", json=body)

    with ThreadPoolExecutor(max_workers=SIGNUPS) as pool:
        return list(pool.map(attempt, range(SIGNUPS)))


def count_users(engine: Engine, where: str, value: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(f"SELECT count(*) FROM users WHERE {where} = :value"), {"value": value}
        ).scalar_one()


def test_simultaneous_signups_of_one_username_create_exactly_one_account(client: TestClient, engine: Engine) -> None:
    responses = race(client, lambda i: signup_body("Racer" if i % 2 else "racer", f"racer{i}@example.com"))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: SIGNUPS - 1}
    assert count_users(engine, "lower(username)", "racer") == 1


def test_simultaneous_signups_of_one_email_create_exactly_one_account(client: TestClient, engine: Engine) -> None:
    responses = race(client, lambda i: signup_body(f"racer{i}", "Racer@Example.com" if i % 2 else "racer@example.com"))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: SIGNUPS - 1}
    assert count_users(engine, "lower(email)", "racer@example.com") == 1


def test_the_losers_of_a_username_race_are_told_the_username_is_taken(client: TestClient) -> None:
    responses = race(client, lambda i: signup_body("racer", f"racer{i}@example.com"))

    details = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert len(details) == 1
    assert "username" in details.pop().lower()


def test_the_losers_of_an_email_race_are_told_the_email_is_taken(client: TestClient) -> None:
    responses = race(client, lambda i: signup_body(f"racer{i}", "racer@example.com"))

    details = {r.json()["detail"] for r in responses if r.status_code == 409}
    assert len(details) == 1
    assert "email" in details.pop().lower()


def test_the_winner_of_a_race_can_log_in(client: TestClient) -> None:
    responses = race(client, lambda i: signup_body("racer", f"racer{i}@example.com"))
    [winner] = [r.json() for r in responses if r.status_code == 201]

    login = client.post("/api/auth/login", json={"username_or_email": "racer", "password": DEFAULT_PASSWORD})

    assert login.json()["user"] == winner["user"]
