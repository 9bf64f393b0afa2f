"""Signup, login and /api/auth/me, over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.blackbox.conftest import PASSWORD, unique_username
from tests.support import Account

USER_KEYS = {"id", "username", "email", "created_at"}


def test_signup_answers_201_with_user_and_bearer_token(api: httpx.Client) -> None:
    username = unique_username("New.User")  # mixed case: kept as typed
    email = f"{username}@Example.COM"
    response = api.post(
        "/api/auth/signup",
        json={"username": username, "email": email, "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"user", "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert body["token_type"] == "bearer"
    assert body["access_token"]
    assert body["expires_in"] == 7 * 24 * 3600  # the default lifetime
    assert set(body["user"]) == USER_KEYS
    assert uuid.UUID(body["user"]["id"])
    assert body["user"]["username"] == username
    assert body["user"]["email"] == email.lower()


def test_login_accepts_the_username_in_any_case(api: httpx.Client, make_account: Callable[..., Account]) -> None:
    account = make_account(unique_username("Mixed_Case"))
    for identifier in (account.username, account.username.upper(), account.username.lower()):
        response = api.post("/api/auth/login", json={"username_or_email": identifier, "password": PASSWORD})
        assert response.status_code == 200, f"{identifier}: {response.text}"
        assert response.json()["user"]["id"] == account.id
        assert response.json()["token_type"] == "bearer"


def test_login_accepts_the_email_in_any_case(api: httpx.Client, owner: Account) -> None:
    for identifier in (owner.email, owner.email.upper(), owner.email.title()):
        response = api.post("/api/auth/login", json={"username_or_email": identifier, "password": PASSWORD})
        assert response.status_code == 200, f"{identifier}: {response.text}"
        assert response.json()["user"]["id"] == owner.id


def test_login_token_opens_me(api: httpx.Client, owner: Account) -> None:
    login = api.post("/api/auth/login", json={"username_or_email": owner.username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    response = api.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert set(response.json()) == USER_KEYS


def test_me_returns_the_token_owner(api: httpx.Client, owner: Account) -> None:
    response = api.get("/api/auth/me", headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == USER_KEYS
    assert (body["id"], body["username"], body["email"]) == (owner.id, owner.username, owner.email)


def test_signup_with_a_username_taken_in_another_case_is_409(
    api: httpx.Client, make_account: Callable[..., Account]
) -> None:
    taken = make_account(unique_username("Dup"))
    other_case = taken.username.swapcase()
    response = api.post(
        "/api/auth/signup",
        json={
            "username": other_case,
            "email": f"{unique_username()}@example.com",  # a free e-mail: only the username clashes
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "username" in detail.lower()


def test_signup_with_mismatched_passwords_is_400_with_a_detail_list(api: httpx.Client) -> None:
    other_password = "An0ther-Passw0rd!"
    username = unique_username()
    response = api.post(
        "/api/auth/signup",
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
            "confirm_password": other_password,
        },
    )
    assert response.status_code == 400, response.text
    assert_detail_list(response)
    assert other_password not in response.text
    # Nothing was created: the same username is still free.
    login = api.post("/api/auth/login", json={"username_or_email": username, "password": PASSWORD})
    assert login.status_code == 401, login.text


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/login"])
def test_malformed_json_is_400_with_a_detail_list(api: httpx.Client, path: str) -> None:
    response = api.post(path, content=b'{"username": "x",', headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert_detail_list(response)


def assert_detail_list(response: httpx.Response) -> None:
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    assert detail, "an empty list explains nothing"
    for issue in detail:
        assert {"loc", "msg", "type"} <= set(issue), issue
