"""GET /api/auth/me: the account the bearer token belongs to. (Refused tokens: test_tokens.py.)"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.support import Account

ME = "/api/auth/me"


def test_me_answers_200_with_the_callers_user(client: TestClient, alice: Account) -> None:
    response = client.get(ME, headers=alice.headers)

    assert response.status_code == 200
    user = response.json()
    assert set(user) == {"id", "username", "email", "created_at"}
    assert (user["id"], user["username"], user["email"]) == (alice.id, "alice", "alice@example.com")


def test_me_answers_the_same_user_as_signup(client: TestClient) -> None:
    password = "Grace-Hopper-1906"
    signup = client.post(
        "/api/auth/signup",
        json={"username": "Grace", "email": "Grace@Navy.mil", "password": password, "confirm_password": password},
    ).json()

    me = client.get(ME, headers={"Authorization": f"Bearer {signup['access_token']}"})

    assert me.json() == signup["user"]


def test_me_answers_as_the_owner_of_the_token(client: TestClient, alice: Account, bob: Account) -> None:
    assert client.get(ME, headers=bob.headers).json()["id"] == bob.id
    assert client.get(ME, headers=alice.headers).json()["id"] == alice.id


def test_me_with_a_token_from_login_answers_the_same_user(client: TestClient, alice: Account) -> None:
    login = client.post("/api/auth/login", json={"username_or_email": "alice", "password": alice.password}).json()

    me = client.get(ME, headers={"Authorization": f"Bearer {login['access_token']}"})

    assert me.json() == login["user"]


def test_me_never_shows_the_password_hash(client: TestClient, engine: Engine, alice: Account) -> None:
    with engine.connect() as connection:
        hashed = connection.execute(text("SELECT hashed_password FROM users WHERE username = 'alice'")).scalar_one()

    response = client.get(ME, headers=alice.headers)

    assert hashed not in response.text
    assert "password" not in response.text.lower()


def test_me_without_a_token_is_401_with_www_authenticate_bearer(client: TestClient) -> None:
    response = client.get(ME)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(response.json()["detail"], str)


def test_me_reflects_the_stored_account(
    client: TestClient, engine: Engine, make_account: Callable[..., Account]
) -> None:
    account = make_account("dora", "dora@example.com")
    with engine.begin() as connection:
        connection.execute(text("UPDATE users SET email = 'dora@example.org' WHERE username = 'dora'"))

    assert client.get(ME, headers=account.headers).json()["email"] == "dora@example.org"
