"""POST /api/auth/login: a username or e-mail in any case and the right password get a token;
everything else gets one and the same 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Account

LOGIN = "/api/auth/login"
SEVEN_DAYS = 7 * 24 * 60 * 60


def login(client: TestClient, identifier: str, password: str) -> httpx.Response:
    return client.post(LOGIN, json={"username_or_email": identifier, "password": password})


def assert_rejected_credentials(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    return detail


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "aLiCe"])
def test_login_by_username_in_any_case_answers_200(client: TestClient, alice: Account, identifier: str) -> None:
    response = login(client, identifier, alice.password)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == alice.id


@pytest.mark.parametrize("identifier", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"])
def test_login_by_email_in_any_case_answers_200(client: TestClient, alice: Account, identifier: str) -> None:
    response = login(client, identifier, alice.password)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == alice.id


def test_login_answers_an_auth_result(client: TestClient, alice: Account) -> None:
    body = login(client, "alice", alice.password).json()

    assert set(body) == {"user", "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == SEVEN_DAYS
    assert body["user"] == {
        "id": alice.id,
        "username": "alice",
        "email": "alice@example.com",
        "created_at": body["user"]["created_at"],
    }


def test_login_keeps_the_username_as_it_was_typed_at_signup(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account("Ada.Lovelace", "ada@example.com")

    response = login(client, "ada.lovelace", account.password)

    assert response.json()["user"]["username"] == "Ada.Lovelace"


def test_login_token_works_on_me(client: TestClient, alice: Account) -> None:
    token = login(client, "ALICE@example.com", alice.password).json()["access_token"]

    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert me.status_code == 200
    assert me.json()["id"] == alice.id


def test_login_finds_the_right_account_among_several(client: TestClient, alice: Account, bob: Account) -> None:
    response = login(client, "BOB", bob.password)

    assert response.json()["user"]["id"] == bob.id


def test_login_with_a_wrong_password_is_401(client: TestClient, alice: Account) -> None:
    assert_rejected_credentials(login(client, "alice", "not-the-password"))


def test_login_with_the_password_in_another_case_is_401(client: TestClient, alice: Account) -> None:
    assert_rejected_credentials(login(client, "alice", alice.password.swapcase()))


@pytest.mark.parametrize("identifier", ["nobody", "nobody@example.com"])
def test_login_with_unknown_user_is_401_like_a_wrong_password(
    client: TestClient, alice: Account, identifier: str
) -> None:
    wrong_password = assert_rejected_credentials(login(client, "alice", "not-the-password"))

    unknown_user = assert_rejected_credentials(login(client, identifier, alice.password))

    assert unknown_user == wrong_password


def test_login_with_a_password_over_72_bytes_is_401_not_400(client: TestClient, alice: Account) -> None:
    wrong_password = assert_rejected_credentials(login(client, "alice", "not-the-password"))

    too_long = assert_rejected_credentials(login(client, "alice", "é" * 37))

    assert too_long == wrong_password


def test_login_does_not_truncate_a_password_to_72_bytes(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account("maximal", password="m" * 72)
    assert login(client, "maximal", account.password).status_code == 200

    assert_rejected_credentials(login(client, "maximal", account.password + "extra"))


def test_login_rejections_do_not_echo_the_password(client: TestClient, alice: Account) -> None:
    response = login(client, "alice", "Leaky-Sentinel-Password")

    assert "Leaky" not in response.text


@pytest.mark.parametrize(
    "body",
    [{"password": "whatever-it-is"}, {"username_or_email": "alice"}, {}],
    ids=["no-identifier", "no-password", "empty-object"],
)
def test_login_without_a_field_is_400(client: TestClient, alice: Account, body: dict[str, Any]) -> None:
    response = client.post(LOGIN, json=body)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail and all(set(issue) == {"loc", "msg", "type"} for issue in detail)
    assert all(issue["type"] == "missing" for issue in detail)


@pytest.mark.parametrize(
    "body",
    [{"username_or_email": 42, "password": "whatever-it-is"}, {"username_or_email": "alice", "password": 12345678}],
    ids=["identifier-as-number", "password-as-number"],
)
def test_login_with_a_field_of_the_wrong_type_is_400(client: TestClient, alice: Account, body: dict[str, Any]) -> None:
    assert client.post(LOGIN, json=body).status_code == 400


def test_login_with_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        LOGIN, content=b'{"username_or_email": "alice",', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert isinstance(response.json()["detail"], list)
