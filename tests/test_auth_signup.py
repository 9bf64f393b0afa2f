"""POST /api/auth/signup: the account it creates, the answers it gives, and every rule it enforces."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Uuid, bindparam, text

from tests.support import DEFAULT_PASSWORD, Account

SIGNUP = "/api/auth/signup"
SEVEN_DAYS = 7 * 24 * 60 * 60


def signup_body(
    username: str = "ada_lovelace", email: str = "ada@example.com", password: str = DEFAULT_PASSWORD, **changes: Any
) -> dict[str, Any]:
    return {"username": username, "email": email, "password": password, "confirm_password": password, **changes}


def stored_user(engine: Engine, user_id: str) -> dict[str, Any]:
    query = text("SELECT username, email, hashed_password FROM users WHERE id = :id")
    with engine.connect() as connection:
        row = connection.execute(query.bindparams(bindparam("id", type_=Uuid())), {"id": uuid.UUID(user_id)}).one()
    return dict(row._mapping)


def assert_validation_error(response: httpx.Response, field: str | None = None) -> list[dict[str, Any]]:
    """A 400 whose `detail` is a non-empty list of {loc, msg, type} entries (the field's, if given)."""
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for issue in detail:
        assert set(issue) == {"loc", "msg", "type"}
        assert isinstance(issue["loc"], list) and isinstance(issue["msg"], str) and isinstance(issue["type"], str)
    if field is not None:
        assert any(issue["loc"][-1:] == [field] or issue["loc"][-2:-1] == [field] for issue in detail), detail
    return detail


# --- the account it creates -------------------------------------------------------------


def test_signup_answers_201_with_an_auth_result(client: TestClient) -> None:
    response = client.post(SIGNUP, json=signup_body())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"user", "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == SEVEN_DAYS
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2


def test_signup_user_has_only_id_username_email_and_created_at(client: TestClient) -> None:
    user = client.post(SIGNUP, json=signup_body()).json()["user"]

    assert set(user) == {"id", "username", "email", "created_at"}
    uuid.UUID(user["id"])
    assert (user["username"], user["email"]) == ("ada_lovelace", "ada@example.com")


def test_signup_created_at_is_a_recent_utc_timestamp_with_milliseconds(client: TestClient) -> None:
    before = datetime.now(UTC)
    created_at = client.post(SIGNUP, json=signup_body()).json()["user"]["created_at"]

    parsed = datetime.fromisoformat(created_at)
    assert parsed.utcoffset() == timedelta(0)
    assert "." in created_at  # fractional seconds are always present
    assert before.replace(microsecond=0) <= parsed <= datetime.now(UTC)


def test_signup_response_never_contains_the_password_or_its_hash(client: TestClient, engine: Engine) -> None:
    response = client.post(SIGNUP, json=signup_body())

    hashed = stored_user(engine, response.json()["user"]["id"])["hashed_password"]
    assert DEFAULT_PASSWORD not in response.text
    assert hashed not in response.text
    assert "password" not in response.text.lower()


def test_signup_stores_a_bcrypt_hash_not_the_password(client: TestClient, engine: Engine) -> None:
    user_id = client.post(SIGNUP, json=signup_body()).json()["user"]["id"]

    hashed = stored_user(engine, user_id)["hashed_password"]
    assert hashed.startswith("$2") and DEFAULT_PASSWORD not in hashed


def test_signup_token_authenticates_the_new_user(client: TestClient) -> None:
    body = client.post(SIGNUP, json=signup_body()).json()

    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_signup_stores_the_email_lower_cased(client: TestClient, engine: Engine) -> None:
    response = client.post(SIGNUP, json=signup_body(email="Ada.Lovelace@Example.COM"))

    assert response.status_code == 201
    assert response.json()["user"]["email"] == "ada.lovelace@example.com"
    assert stored_user(engine, response.json()["user"]["id"])["email"] == "ada.lovelace@example.com"


def test_signup_keeps_the_username_as_typed(client: TestClient, engine: Engine) -> None:
    response = client.post(SIGNUP, json=signup_body(username="Ada.Love-Lace_1815"))

    assert response.status_code == 201
    assert response.json()["user"]["username"] == "Ada.Love-Lace_1815"
    assert stored_user(engine, response.json()["user"]["id"])["username"] == "Ada.Love-Lace_1815"


@pytest.mark.parametrize(
    "username",
    ["abc", "a" * 32, "A.b-c_9", "..."],
    ids=["3-chars", "32-chars", "every-allowed-kind", "only-punctuation"],
)
def test_signup_accepts_usernames_within_the_rules(client: TestClient, username: str) -> None:
    response = client.post(SIGNUP, json=signup_body(username=username))

    assert response.status_code == 201, response.text


def test_signup_accepts_an_email_of_exactly_254_characters(client: TestClient) -> None:
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(email) == 254

    response = client.post(SIGNUP, json=signup_body(email=email))

    assert response.status_code == 201, response.text
    assert response.json()["user"]["email"] == email


@pytest.mark.parametrize(
    "password",
    ["8chars!!", "é" * 36, "x" * 72, "ééééééé1"],
    ids=["8-ascii-chars", "72-bytes-of-2-byte-chars", "72-ascii-chars", "8-chars-of-15-bytes"],
)
def test_signup_accepts_passwords_of_8_characters_to_72_bytes(client: TestClient, password: str) -> None:
    response = client.post(SIGNUP, json=signup_body(password=password))

    assert response.status_code == 201, response.text


def test_signup_ignores_server_owned_fields_in_the_body(client: TestClient) -> None:
    chosen_id = "00000000-0000-4000-8000-000000000001"
    response = client.post(SIGNUP, json=signup_body(id=chosen_id, created_at="2000-01-01T00:00:00Z"))

    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["id"] != chosen_id
    assert not user["created_at"].startswith("2000-")


def test_signup_ignores_a_hashed_password_field_in_the_body(client: TestClient, engine: Engine) -> None:
    response = client.post(SIGNUP, json=signup_body(hashed_password="not-a-hash"))

    assert response.status_code == 201, response.text
    assert stored_user(engine, response.json()["user"]["id"])["hashed_password"] != "not-a-hash"


# --- taken usernames and e-mails ---------------------------------------------------------


def test_signup_with_a_username_taken_in_another_case_is_409_naming_the_username(
    client: TestClient, alice: Account
) -> None:
    response = client.post(SIGNUP, json=signup_body(username="ALICE", email="someone-else@example.com"))

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "username" in detail.lower() and "email" not in detail.lower()


def test_signup_with_an_email_taken_in_another_case_is_409_naming_the_email(client: TestClient, alice: Account) -> None:
    response = client.post(SIGNUP, json=signup_body(username="not_alice", email="ALICE@Example.com"))

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "email" in detail.lower() and "username" not in detail.lower()


def test_signup_with_both_taken_is_409_naming_both(client: TestClient, alice: Account) -> None:
    response = client.post(SIGNUP, json=signup_body(username="Alice", email="alice@example.com"))

    assert response.status_code == 409
    detail = response.json()["detail"].lower()
    assert "username" in detail and "email" in detail


def test_a_refused_signup_creates_no_account(client: TestClient, engine: Engine, alice: Account) -> None:
    client.post(SIGNUP, json=signup_body(username="ALICE", email="fresh@example.com"))

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1


# --- validation: 400 with a list of {loc, msg, type} that does not echo the input ---------

LEAK = "Leaky-Sentinel-Value"  # put in every rejected value, so that an echo would show it

INVALID_FIELDS: dict[str, tuple[str, Any]] = {
    "username-2-chars": ("username", "ab"),
    "username-33-chars": ("username", "a" * 33),
    "username-with-a-space": ("username", f"{LEAK} x"),
    "username-with-an-at-sign": ("username", f"{LEAK}@x"),
    "username-with-non-ascii-letters": ("username", f"{LEAK}é"),
    "username-empty": ("username", ""),
    "username-as-a-number": ("username", 123456789),
    "username-as-null": ("username", None),
    "username-with-nul": ("username", f"{LEAK}\x00"),
    "email-without-at-sign": ("email", f"{LEAK}.example.com"),
    "email-without-domain": ("email", f"{LEAK}@"),
    "email-with-two-at-signs": ("email", f"{LEAK}@a@example.com"),
    "email-255-chars": ("email", "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com"),
    "email-as-a-list": ("email", [f"{LEAK}@example.com"]),
    "email-with-nul": ("email", f"{LEAK}\x00@example.com"),
}


@pytest.mark.parametrize(("field", "value"), INVALID_FIELDS.values(), ids=INVALID_FIELDS.keys())
def test_signup_with_an_invalid_field_is_400_naming_it(client: TestClient, field: str, value: Any) -> None:
    response = client.post(SIGNUP, json=signup_body(**{field: value}))

    assert_validation_error(response, field)
    assert LEAK not in response.text


INVALID_PASSWORDS: dict[str, str] = {
    "7-chars": "Leaky-7",
    "7-chars-of-8-bytes": "Leaky-é",
    "73-ascii-chars": LEAK + "x" * 53,
    "74-bytes-in-47-chars": LEAK + "é" * 27,
    "73-bytes-in-71-chars": LEAK + "x" * 50 + "€",
    "nul-character": LEAK + "\x00",
}


@pytest.mark.parametrize("password", INVALID_PASSWORDS.values(), ids=INVALID_PASSWORDS.keys())
def test_signup_with_a_password_outside_8_chars_to_72_bytes_is_400(client: TestClient, password: str) -> None:
    response = client.post(SIGNUP, json=signup_body(password=password))

    assert_validation_error(response, "password")
    assert "Leaky" not in response.text


def test_signup_refuses_a_password_over_72_bytes_rather_than_truncating_it(client: TestClient) -> None:
    too_long = "p" * 72 + "!"

    response = client.post(SIGNUP, json=signup_body(password=too_long))

    assert_validation_error(response, "password")
    login = client.post("/api/auth/login", json={"username_or_email": "ada_lovelace", "password": "p" * 72})
    assert login.status_code == 401


def test_signup_with_mismatched_passwords_is_400_without_echoing_either(client: TestClient) -> None:
    body = signup_body(password="First-Leaky-Password", confirm_password="Second-Leaky-Password")

    response = client.post(SIGNUP, json=body)

    assert_validation_error(response, "confirm_password")
    assert "Leaky" not in response.text


@pytest.mark.parametrize("field", ["username", "email", "password", "confirm_password"])
def test_signup_without_a_field_is_400_naming_it(client: TestClient, field: str) -> None:
    body = signup_body()
    del body[field]

    response = client.post(SIGNUP, json=body)

    detail = assert_validation_error(response, field)
    assert any(issue["type"] == "missing" for issue in detail)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"username": "Leaky-Sentinel-Value",',
        b"not json at all Leaky-Sentinel-Value",
        b"[]",
        b'"a"',
        b"null",
    ],
    ids=["empty", "open-brace", "truncated", "plain-text", "array", "string", "null"],
)
def test_signup_with_a_body_that_is_not_a_json_object_is_400(client: TestClient, content: bytes) -> None:
    response = client.post(SIGNUP, content=content, headers={"Content-Type": "application/json"})

    assert_validation_error(response)
    assert LEAK not in response.text


def test_signup_with_a_lone_surrogate_in_a_field_is_400(client: TestClient) -> None:
    content = (
        '{"username": "ada_lovelace", "email": "ada@example.com", '
        '"password": "Leaky-\\ud800-password", "confirm_password": "Leaky-\\ud800-password"}'
    )

    response = client.post(SIGNUP, content=content.encode(), headers={"Content-Type": "application/json"})

    assert_validation_error(response, "password")
    assert "Leaky" not in response.text


def test_signup_validation_error_does_not_create_an_account(client: TestClient, engine: Engine) -> None:
    client.post(SIGNUP, json=signup_body(password="short"))

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_signup_validation_errors_list_every_invalid_field(client: TestClient) -> None:
    response = client.post(SIGNUP, json={"username": "x", "email": "nope", "password": "short"})

    detail = assert_validation_error(response)
    fields = {issue["loc"][-1] for issue in detail}
    assert {"username", "email", "password", "confirm_password"} <= fields
