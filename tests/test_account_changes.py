"""The caller's own account (contract v2, sections A and D): changing the password
(`POST /api/auth/change-password`), the profile (`PATCH /api/auth/me`) and leaving
(`DELETE /api/auth/me`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Uuid, bindparam, text

from tests.support import Account, Database, make_token, settings_for

MakeClient = Callable[..., TestClient]

CHANGE_PASSWORD = "/api/auth/change-password"
ME = "/api/auth/me"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
SESSIONS = "/api/auth/sessions"
NEW_PASSWORD = "n3w-Horse-Battery-staple"
WRONG = "not-the-password"
WINDOW_SECONDS = 900
AUTH_RESULT_KEYS = {"user", "access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}


# --- helpers ------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, identifier: str, password: str) -> httpx.Response:
    return client.post(LOGIN, json={"username_or_email": identifier, "password": password})


def login_session(client: TestClient, account: Account) -> dict[str, Any]:
    """A new login session of `account`: its AuthResult (access and refresh token)."""
    response = login(client, account.username, account.password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def change_password(
    client: TestClient,
    headers: dict[str, str],
    current: str,
    new: str = NEW_PASSWORD,
    confirm: str | None = None,
) -> httpx.Response:
    body = {"current_password": current, "new_password": new, "confirm_password": new if confirm is None else confirm}
    return client.post(CHANGE_PASSWORD, json=body, headers=headers)


def patch_me(client: TestClient, headers: dict[str, str], body: Any) -> httpx.Response:
    return client.patch(ME, json=body, headers=headers)


def delete_me(client: TestClient, headers: dict[str, str], body: Any) -> httpx.Response:
    return client.request("DELETE", ME, json=body, headers=headers)


def throttled_client(make_client: MakeClient, database: Database, max_failures: int = 2) -> TestClient:
    return make_client(settings_for(database, login_max_failures=max_failures, login_window_seconds=WINDOW_SECONDS))


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert isinstance(response.json()["detail"], str)
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_SECONDS


def assert_validation_error(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all(set(issue) == {"loc", "msg", "type"} for issue in detail)


def wait_for_the_next_second() -> None:
    """Sleep past the current whole second, so a token made now has a later `iat`."""
    time.sleep(1.05 - (time.time() % 1))


def row_count(engine: Engine, table: str, user_id: str) -> int:
    with engine.connect() as connection:
        column = "id" if table == "users" else "user_id"
        # A UUID-typed parameter: PostgreSQL stores a uuid, SQLite 32 hex digits without dashes.
        statement = text(f"SELECT count(*) FROM {table} WHERE {column} = :user_id").bindparams(
            bindparam("user_id", type_=Uuid())
        )
        return int(connection.execute(statement, {"user_id": uuid.UUID(user_id)}).scalar_one())


# --- POST /api/auth/change-password: success ----------------------------------------------


def test_change_password_answers_200_with_an_auth_result_for_the_account(client: TestClient, alice: Account) -> None:
    response = change_password(client, alice.headers, alice.password)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == AUTH_RESULT_KEYS
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == alice.id
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]


def test_change_password_returns_an_access_token_that_works_on_me(client: TestClient, alice: Account) -> None:
    token = change_password(client, alice.headers, alice.password).json()["access_token"]

    me = client.get(ME, headers=bearer(token))

    assert me.status_code == 200, me.text
    assert me.json()["id"] == alice.id


def test_change_password_returns_a_refresh_token_that_works(client: TestClient, alice: Account) -> None:
    refresh_token = change_password(client, alice.headers, alice.password).json()["refresh_token"]

    response = client.post(REFRESH, json={"refresh_token": refresh_token})

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == alice.id


def test_change_password_returns_a_fresh_session_that_is_the_only_active_one(
    client: TestClient, alice: Account
) -> None:
    login_session(client, alice)
    token = change_password(client, alice.headers, alice.password).json()["access_token"]

    sessions = client.get(SESSIONS, headers=bearer(token)).json()

    assert len(sessions) == 1
    assert sessions[0]["current"] is True


def test_after_change_password_the_old_access_token_is_401_on_me(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert_unauthorized(client.get(ME, headers=alice.headers))


def test_after_change_password_the_old_access_token_is_401_on_task_routes(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert_unauthorized(client.get(alice.tasks_url, headers=alice.headers))
    assert_unauthorized(client.post(alice.tasks_url, json={"title": "t"}, headers=alice.headers))


def test_after_change_password_the_old_refresh_token_is_401(client: TestClient, alice: Account) -> None:
    old = login_session(client, alice)
    assert change_password(client, bearer(old["access_token"]), alice.password).status_code == 200

    assert_unauthorized(client.post(REFRESH, json={"refresh_token": old["refresh_token"]}))


def test_change_password_revokes_every_other_session_of_the_account(client: TestClient, alice: Account) -> None:
    first = login_session(client, alice)
    second = login_session(client, alice)

    assert change_password(client, bearer(first["access_token"]), alice.password).status_code == 200

    for old in (first, second):
        assert_unauthorized(client.get(ME, headers=bearer(old["access_token"])))
        assert_unauthorized(client.post(REFRESH, json={"refresh_token": old["refresh_token"]}))


def test_change_password_leaves_other_accounts_sessions_alone(client: TestClient, alice: Account, bob: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert client.get(ME, headers=bob.headers).status_code == 200


def test_after_change_password_a_token_without_sid_issued_earlier_is_401(client: TestClient, alice: Account) -> None:
    earlier = bearer(make_token(alice.id, iat=int(time.time()) - 2))
    assert client.get(ME, headers=earlier).status_code == 200

    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert_unauthorized(client.get(ME, headers=earlier))
    assert_unauthorized(client.get(alice.tasks_url, headers=earlier))


def test_after_change_password_a_token_without_sid_issued_in_a_later_second_is_accepted(
    client: TestClient, alice: Account
) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200
    wait_for_the_next_second()

    later = bearer(make_token(alice.id))

    assert client.get(ME, headers=later).status_code == 200
    assert client.get(alice.tasks_url, headers=later).status_code == 200


def test_after_change_password_login_works_with_the_new_password(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    response = login(client, "alice", NEW_PASSWORD)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == alice.id


def test_after_change_password_login_with_the_old_password_is_401(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert_unauthorized(login(client, "alice", alice.password))


def test_change_password_accepts_a_new_password_of_exactly_72_bytes(client: TestClient, alice: Account) -> None:
    new = "é" * 36  # 72 bytes in UTF-8

    assert change_password(client, alice.headers, alice.password, new).status_code == 200

    assert login(client, "alice", new).status_code == 200


# --- POST /api/auth/change-password: refusals ---------------------------------------------


def test_change_password_with_a_wrong_current_password_is_400_saying_so(client: TestClient, alice: Account) -> None:
    response = change_password(client, alice.headers, WRONG)

    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "current password" in detail.lower() and "incorrect" in detail.lower()


def test_change_password_with_a_wrong_current_password_changes_nothing(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, WRONG).status_code == 400

    assert client.get(ME, headers=alice.headers).status_code == 200
    assert login(client, "alice", alice.password).status_code == 200
    assert_unauthorized(login(client, "alice", NEW_PASSWORD))


def test_change_password_with_a_wrong_current_password_counts_as_a_failed_login(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, max_failures=2)
    for _ in range(2):
        assert change_password(client, alice.headers, WRONG).status_code == 400

    assert_throttled(login(client, "alice", alice.password))


def test_change_password_answers_429_while_the_account_is_locked(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, max_failures=2)
    for _ in range(2):
        assert_unauthorized(login(client, "alice", WRONG))

    assert_throttled(change_password(client, alice.headers, alice.password))
    assert client.get(ME, headers=alice.headers).status_code == 200  # nothing was changed


def test_change_password_locks_after_repeated_wrong_current_passwords(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, max_failures=2)
    statuses = [change_password(client, alice.headers, WRONG).status_code for _ in range(2)]

    assert statuses == [400, 400]
    assert_throttled(change_password(client, alice.headers, alice.password))


@pytest.mark.parametrize(
    "new",
    ["short7!", "é" * 37, "has-a-nul\x00-inside"],
    ids=["shorter-than-8-characters", "over-72-bytes", "with-a-nul"],
)
def test_change_password_refuses_a_new_password_that_signup_would_refuse(
    client: TestClient, alice: Account, new: str
) -> None:
    assert_validation_error(change_password(client, alice.headers, alice.password, new))

    assert login(client, "alice", alice.password).status_code == 200


def test_change_password_with_a_confirmation_that_does_not_match_is_400(client: TestClient, alice: Account) -> None:
    response = change_password(client, alice.headers, alice.password, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")

    assert_validation_error(response)
    assert client.get(ME, headers=alice.headers).status_code == 200


@pytest.mark.parametrize(
    "missing", ["current_password", "new_password", "confirm_password"], ids=lambda name: f"no-{name}"
)
def test_change_password_without_a_field_is_400(client: TestClient, alice: Account, missing: str) -> None:
    body = {"current_password": alice.password, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    del body[missing]

    assert_validation_error(client.post(CHANGE_PASSWORD, json=body, headers=alice.headers))


def test_change_password_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    assert_unauthorized(change_password(client, {}, alice.password))

    assert login(client, "alice", alice.password).status_code == 200


# --- PATCH /api/auth/me ---------------------------------------------------------------------


def test_patch_me_changes_the_username_and_answers_the_user(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"username": "alice_2"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "username", "email", "created_at"}
    assert body["id"] == alice.id
    assert body["username"] == "alice_2"
    assert body["email"] == "alice@example.com"


def test_patch_me_changes_the_email_and_keeps_the_username(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"email": "alice@example.org"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.org"
    assert response.json()["username"] == "alice"


def test_patch_me_changes_both_at_once(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"username": "ada", "email": "ada@example.org"})

    assert response.status_code == 200, response.text
    assert (response.json()["username"], response.json()["email"]) == ("ada", "ada@example.org")


def test_patch_me_stores_the_email_lower_cased(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"email": "Alice.New@Example.ORG"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice.new@example.org"
    assert client.get(ME, headers=alice.headers).json()["email"] == "alice.new@example.org"


def test_patch_me_is_visible_on_me(client: TestClient, alice: Account) -> None:
    patch_me(client, alice.headers, {"username": "Alicia", "email": "alicia@example.com"})

    me = client.get(ME, headers=alice.headers).json()

    assert (me["id"], me["username"], me["email"]) == (alice.id, "Alicia", "alicia@example.com")


def test_patch_me_keeps_the_token_and_the_password_working(client: TestClient, alice: Account) -> None:
    assert patch_me(client, alice.headers, {"username": "alicia", "email": "alicia@example.com"}).status_code == 200

    assert client.get(alice.tasks_url, headers=alice.headers).status_code == 200
    assert login(client, "alicia", alice.password).status_code == 200
    assert login(client, "alicia@example.com", alice.password).status_code == 200


def test_after_patch_me_the_old_username_no_longer_logs_in(client: TestClient, alice: Account) -> None:
    assert patch_me(client, alice.headers, {"username": "alicia"}).status_code == 200

    assert_unauthorized(login(client, "alice", alice.password))


def test_patch_me_allows_changing_only_the_case_of_ones_own_username(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"username": "ALICE"})

    assert response.status_code == 200, response.text
    assert response.json()["username"] == "ALICE"
    assert client.get(ME, headers=alice.headers).json()["username"] == "ALICE"


def test_patch_me_allows_sending_ones_own_email_in_another_case(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"email": "ALICE@Example.com"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.com"


def test_patch_me_ignores_fields_it_does_not_change(client: TestClient, alice: Account) -> None:
    response = patch_me(client, alice.headers, {"username": "alicia", "id": "not-an-id", "password": "x" * 10})

    assert response.status_code == 200, response.text
    assert response.json()["id"] == alice.id
    assert login(client, "alicia", alice.password).status_code == 200


def test_patch_me_with_an_empty_object_is_400(client: TestClient, alice: Account) -> None:
    assert_validation_error(patch_me(client, alice.headers, {}))


@pytest.mark.parametrize(
    "body",
    [{"username": None}, {"email": None}, {"username": "alicia", "email": None}],
    ids=["null-username", "null-email", "null-email-beside-a-username"],
)
def test_patch_me_with_a_null_field_is_400_and_changes_nothing(
    client: TestClient, alice: Account, body: dict[str, Any]
) -> None:
    assert_validation_error(patch_me(client, alice.headers, body))

    assert client.get(ME, headers=alice.headers).json()["username"] == "alice"


@pytest.mark.parametrize(
    "username",
    ["ab", "x" * 33, "has space", "semi;colon", "ünïcode", 42],
    ids=["2-characters", "33-characters", "space", "semicolon", "non-ascii", "number"],
)
def test_patch_me_with_an_invalid_username_is_400(client: TestClient, alice: Account, username: Any) -> None:
    assert_validation_error(patch_me(client, alice.headers, {"username": username}))


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "alice@", "@example.com", "a" * 250 + "@example.com"],
    ids=["no-at", "no-domain", "no-local-part", "over-254-characters"],
)
def test_patch_me_with_an_invalid_email_is_400(client: TestClient, alice: Account, email: str) -> None:
    assert_validation_error(patch_me(client, alice.headers, {"email": email}))


@pytest.mark.parametrize("username", ["bob", "BOB", "Bob"])
def test_patch_me_with_a_username_taken_by_another_user_in_any_case_is_409_naming_the_username(
    client: TestClient, alice: Account, bob: Account, username: str
) -> None:
    response = patch_me(client, alice.headers, {"username": username})

    assert response.status_code == 409, response.text
    detail = response.json()["detail"].lower()
    assert "username" in detail and "email" not in detail


@pytest.mark.parametrize("email", ["bob@example.com", "BOB@EXAMPLE.COM", "Bob@Example.com"])
def test_patch_me_with_an_email_taken_by_another_user_in_any_case_is_409_naming_the_email(
    client: TestClient, alice: Account, bob: Account, email: str
) -> None:
    response = patch_me(client, alice.headers, {"email": email})

    assert response.status_code == 409, response.text
    detail = response.json()["detail"].lower()
    assert "email" in detail and "username" not in detail


def test_patch_me_with_both_taken_by_another_user_is_409_naming_both(
    client: TestClient, alice: Account, bob: Account
) -> None:
    response = patch_me(client, alice.headers, {"username": "Bob", "email": "BOB@example.com"})

    assert response.status_code == 409, response.text
    detail = response.json()["detail"].lower()
    assert "username" in detail and "email" in detail


def test_patch_me_with_ones_own_username_and_a_taken_email_is_409_naming_only_the_email(
    client: TestClient, alice: Account, bob: Account
) -> None:
    response = patch_me(client, alice.headers, {"username": "ALICE", "email": "bob@example.com"})

    assert response.status_code == 409, response.text
    detail = response.json()["detail"].lower()
    assert "email" in detail and "username" not in detail


def test_a_refused_patch_me_changes_nothing(client: TestClient, alice: Account, bob: Account) -> None:
    assert patch_me(client, alice.headers, {"username": "alicia", "email": "bob@example.com"}).status_code == 409

    me = client.get(ME, headers=alice.headers).json()
    assert (me["username"], me["email"]) == ("alice", "alice@example.com")
    assert client.get(ME, headers=bob.headers).json()["email"] == "bob@example.com"


def test_patch_me_frees_the_old_username_for_others(
    client: TestClient, make_account: Callable[..., Account], alice: Account
) -> None:
    assert patch_me(client, alice.headers, {"username": "alicia", "email": "alicia@example.com"}).status_code == 200

    newcomer = make_account("alice", "alice@example.com")

    assert newcomer.id != alice.id


def test_patch_me_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    assert_unauthorized(patch_me(client, {}, {"username": "alicia"}))

    assert client.get(ME, headers=alice.headers).json()["username"] == "alice"


def test_patch_me_with_a_revoked_token_is_401(client: TestClient, alice: Account) -> None:
    assert change_password(client, alice.headers, alice.password).status_code == 200

    assert_unauthorized(patch_me(client, alice.headers, {"username": "alicia"}))


# --- DELETE /api/auth/me --------------------------------------------------------------------


def test_delete_me_answers_204_with_no_body(client: TestClient, alice: Account) -> None:
    response = delete_me(client, alice.headers, {"password": alice.password})

    assert response.status_code == 204, response.text
    assert response.content == b""


def test_after_delete_me_the_accounts_token_is_401_on_me(client: TestClient, alice: Account) -> None:
    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert_unauthorized(client.get(ME, headers=alice.headers))


def test_after_delete_me_the_accounts_token_is_401_on_its_task_routes(client: TestClient, alice: Account) -> None:
    task = client.post(alice.tasks_url, json={"title": "mine"}, headers=alice.headers).json()["id"]
    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert_unauthorized(client.get(alice.tasks_url, headers=alice.headers))
    assert_unauthorized(client.get(f"{alice.tasks_url}/{task}", headers=alice.headers))
    assert_unauthorized(client.post(alice.tasks_url, json={"title": "again"}, headers=alice.headers))


def test_after_delete_me_every_session_of_the_account_is_401(client: TestClient, alice: Account) -> None:
    other = login_session(client, alice)

    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert_unauthorized(client.get(ME, headers=bearer(other["access_token"])))
    assert_unauthorized(client.post(REFRESH, json={"refresh_token": other["refresh_token"]}))


def test_after_delete_me_a_token_without_sid_is_401(client: TestClient, alice: Account) -> None:
    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204
    wait_for_the_next_second()

    assert_unauthorized(client.get(ME, headers=bearer(make_token(alice.id))))


def test_after_delete_me_login_is_401(client: TestClient, alice: Account) -> None:
    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert_unauthorized(login(client, "alice", alice.password))
    assert_unauthorized(login(client, "alice@example.com", alice.password))


def test_delete_me_deletes_the_accounts_tasks_and_sessions(client: TestClient, engine: Engine, alice: Account) -> None:
    for title in ("one", "two"):
        assert client.post(alice.tasks_url, json={"title": title}, headers=alice.headers).status_code == 201
    assert row_count(engine, "tasks", alice.id) == 2

    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert row_count(engine, "users", alice.id) == 0
    assert row_count(engine, "tasks", alice.id) == 0
    assert row_count(engine, "sessions", alice.id) == 0


def test_delete_me_leaves_other_users_and_their_tasks_untouched(
    client: TestClient, alice: Account, bob: Account
) -> None:
    client.post(alice.tasks_url, json={"title": "alice's"}, headers=alice.headers)
    bobs = client.post(bob.tasks_url, json={"title": "bob's"}, headers=bob.headers).json()

    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    assert client.get(ME, headers=bob.headers).status_code == 200
    listed = client.get(bob.tasks_url, headers=bob.headers).json()
    assert [task["id"] for task in listed["items"]] == [bobs["id"]]
    assert login(client, "bob", bob.password).status_code == 200


def test_delete_me_frees_the_username_and_email(
    client: TestClient, make_account: Callable[..., Account], alice: Account
) -> None:
    assert delete_me(client, alice.headers, {"password": alice.password}).status_code == 204

    newcomer = make_account("alice", "alice@example.com")

    assert newcomer.id != alice.id


def test_delete_me_with_a_wrong_password_is_400_and_the_account_still_exists(
    client: TestClient, engine: Engine, alice: Account
) -> None:
    client.post(alice.tasks_url, json={"title": "kept"}, headers=alice.headers)

    response = delete_me(client, alice.headers, {"password": WRONG})

    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], str)
    assert client.get(ME, headers=alice.headers).status_code == 200
    assert login(client, "alice", alice.password).status_code == 200
    assert row_count(engine, "tasks", alice.id) == 1


def test_delete_me_with_a_wrong_password_counts_as_a_failed_login(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, max_failures=2)
    for _ in range(2):
        assert delete_me(client, alice.headers, {"password": WRONG}).status_code == 400

    assert_throttled(login(client, "alice", alice.password))


def test_delete_me_answers_429_while_the_account_is_locked_and_deletes_nothing(
    make_client: MakeClient, database: Database, alice: Account
) -> None:
    client = throttled_client(make_client, database, max_failures=2)
    for _ in range(2):
        assert delete_me(client, alice.headers, {"password": WRONG}).status_code == 400

    assert_throttled(delete_me(client, alice.headers, {"password": alice.password}))
    assert client.get(ME, headers=alice.headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [None, {}, {"password": ""}, {"password": 12345678}],
    ids=["no-body", "empty-object", "empty-password", "password-as-number"],
)
def test_delete_me_without_a_usable_password_is_400_and_deletes_nothing(
    client: TestClient, alice: Account, body: Any
) -> None:
    assert_validation_error(delete_me(client, alice.headers, body))

    assert client.get(ME, headers=alice.headers).status_code == 200


def test_delete_me_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    assert_unauthorized(delete_me(client, {}, {"password": alice.password}))

    assert client.get(ME, headers=alice.headers).status_code == 200


def test_delete_me_with_a_revoked_token_is_401_and_deletes_nothing(client: TestClient, alice: Account) -> None:
    fresh = change_password(client, alice.headers, alice.password).json()["access_token"]

    assert_unauthorized(delete_me(client, alice.headers, {"password": NEW_PASSWORD}))

    assert client.get(ME, headers=bearer(fresh)).status_code == 200


def test_the_document_offers_neither_null_nor_an_empty_profile_change(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ProfileUpdate"]

    assert schema["anyOf"] == [{"required": ["username"]}, {"required": ["email"]}]
    assert all("null" not in str(prop) for prop in schema["properties"].values())
