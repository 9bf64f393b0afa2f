"""Login sessions (contract v2, section A): a `sid` in every access token, rotating refresh
tokens with theft detection, logout, log out everywhere, and the list of sessions. A revoked
session's tokens are 401 at once, on every route."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Engine, Uuid, bindparam, text

from models.common import UTCDateTime
from tests.support import DEFAULT_PASSWORD, Account, make_token

REFRESH = "/api/auth/refresh"
ME = "/api/auth/me"
SESSIONS = "/api/auth/sessions"
THIRTY_DAYS = 30 * 24 * 3600


@dataclass(frozen=True)
class Login:
    """What one login handed out."""

    user_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def session_id(self) -> str:
        return str(jwt.get_unverified_claims(self.access_token)["sid"])


def login(client: TestClient, account: Account, user_agent: str = "pytest") -> Login:
    response = client.post(
        "/api/auth/login",
        json={"username_or_email": account.username, "password": account.password},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200, response.text
    return _login_of(response.json())


def refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post(REFRESH, json={"refresh_token": refresh_token})


def _login_of(body: dict[str, Any]) -> Login:
    return Login(body["user"]["id"], body["access_token"], body["refresh_token"])


def is_accepted(client: TestClient, headers: dict[str, str]) -> bool:
    status = client.get(ME, headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def sessionless_token(account: Account, issued_at: datetime | None = None) -> dict[str, str]:
    """A token as a companion service sharing the secret would issue it: no `sid`."""
    moment = issued_at or datetime.now(UTC)
    token = make_token(account.id, iat=int(moment.timestamp()))
    return {"Authorization": f"Bearer {token}"}


# --- what a login hands out -----------------------------------------------------------------


def test_a_login_answers_with_an_opaque_refresh_token_good_for_thirty_days(client: TestClient, alice: Account) -> None:
    body = client.post("/api/auth/login", json={"username_or_email": alice.username, "password": alice.password}).json()

    assert body["refresh_token"] and body["refresh_token"].count(".") != 2  # not a JWT
    assert body["refresh_expires_in"] == THIRTY_DAYS


def test_every_access_token_names_its_session(client: TestClient, alice: Account) -> None:
    first, second = login(client, alice), login(client, alice)

    assert uuid.UUID(first.session_id) != uuid.UUID(second.session_id)


def test_the_signup_token_has_a_session_too(client: TestClient, alice: Account) -> None:
    assert "sid" in jwt.get_unverified_claims(alice.token)


def test_refresh_tokens_are_stored_only_as_hashes(client: TestClient, alice: Account, engine: Engine) -> None:
    issued = login(client, alice)

    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM refresh_tokens")).scalars().all()
    assert stored and issued.refresh_token not in stored
    assert all(len(value) == 64 for value in stored)


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_answers_with_new_tokens_of_the_same_session(client: TestClient, alice: Account) -> None:
    before = login(client, alice)

    response = refresh(client, before.refresh_token)

    assert response.status_code == 200, response.text
    after = _login_of(response.json())
    assert after.refresh_token != before.refresh_token
    assert after.session_id == before.session_id
    assert is_accepted(client, after.headers)


def test_refresh_needs_no_access_token(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)

    assert client.post(REFRESH, json={"refresh_token": issued.refresh_token}, headers={}).status_code == 200


def test_refresh_moves_the_sessions_last_use_and_keeps_one_entry(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)
    [before] = [s for s in client.get(SESSIONS, headers=issued.headers).json() if s["id"] == issued.session_id]
    time.sleep(0.01)

    after = _login_of(refresh(client, issued.refresh_token).json())

    listed = [s for s in client.get(SESSIONS, headers=after.headers).json() if s["id"] == issued.session_id]
    assert len(listed) == 1 and listed[0]["last_used_at"] > before["last_used_at"]


def test_a_spent_refresh_token_presented_again_is_401_and_revokes_the_session(
    client: TestClient, alice: Account
) -> None:
    stolen = login(client, alice)
    rightful = _login_of(refresh(client, stolen.refresh_token).json())

    replay = refresh(client, stolen.refresh_token)

    assert replay.status_code == 401
    assert not is_accepted(client, rightful.headers)  # the session's newest access token too
    assert refresh(client, rightful.refresh_token).status_code == 401


def test_a_replay_leaves_the_accounts_other_sessions_alone(client: TestClient, alice: Account) -> None:
    stolen, other = login(client, alice), login(client, alice)
    refresh(client, stolen.refresh_token)

    refresh(client, stolen.refresh_token)

    assert is_accepted(client, other.headers)


@pytest.mark.parametrize("presented", ["not-a-token-we-issued", "x" * 256])
def test_an_unknown_refresh_token_is_401(client: TestClient, presented: str) -> None:
    response = refresh(client, presented)

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or expired refresh token"


@pytest.mark.parametrize("body", [{}, {"refresh_token": 42}, {"refresh_token": "x" * 257}])
def test_a_malformed_refresh_request_is_400(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post(REFRESH, json=body).status_code == 400


def test_an_expired_refresh_token_is_401(client: TestClient, alice: Account, engine: Engine) -> None:
    issued = login(client, alice)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE refresh_tokens SET expires_at = :past"), {"past": datetime.now(UTC) - timedelta(seconds=1)}
        )

    assert refresh(client, issued.refresh_token).status_code == 401


def test_the_refresh_token_of_a_logged_out_session_is_401(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)
    client.post("/api/auth/logout", headers=issued.headers)

    assert refresh(client, issued.refresh_token).status_code == 401


# --- logout ----------------------------------------------------------------------------------


def test_logout_is_204_and_the_sessions_token_is_401_at_once(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)

    response = client.post("/api/auth/logout", headers=issued.headers)

    assert response.status_code == 204
    assert not is_accepted(client, issued.headers)
    assert client.get(f"/api/{alice.id}/tasks", headers=issued.headers).status_code == 401


def test_logout_ends_only_the_current_session(client: TestClient, alice: Account) -> None:
    leaving, staying = login(client, alice), login(client, alice)

    client.post("/api/auth/logout", headers=leaving.headers)

    assert is_accepted(client, staying.headers)


def test_logout_with_a_token_without_a_session_is_400(client: TestClient, alice: Account) -> None:
    response = client.post("/api/auth/logout", headers=sessionless_token(alice))

    assert response.status_code == 400
    assert "logout-all" in response.json()["detail"]


def test_logout_twice_is_401_the_second_time(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)
    client.post("/api/auth/logout", headers=issued.headers)

    assert client.post("/api/auth/logout", headers=issued.headers).status_code == 401


def test_logout_without_a_token_is_401(client: TestClient) -> None:
    assert client.post("/api/auth/logout").status_code == 401


# --- log out everywhere ----------------------------------------------------------------------


def test_logout_all_revokes_every_session_of_the_account(client: TestClient, alice: Account) -> None:
    first, second = login(client, alice), login(client, alice)

    assert client.post("/api/auth/logout-all", headers=first.headers).status_code == 204

    assert not is_accepted(client, first.headers)
    assert not is_accepted(client, second.headers)
    assert refresh(client, second.refresh_token).status_code == 401


def test_logout_all_leaves_other_accounts_alone(client: TestClient, alice: Account, bob: Account) -> None:
    client.post("/api/auth/logout-all", headers=login(client, alice).headers)

    assert is_accepted(client, bob.headers)


def test_a_token_without_a_session_issued_before_logout_all_is_401(client: TestClient, alice: Account) -> None:
    earlier = sessionless_token(alice, issued_at=datetime.now(UTC) - timedelta(seconds=2))
    assert is_accepted(client, earlier)

    client.post("/api/auth/logout-all", headers=alice.headers)

    assert not is_accepted(client, earlier)


def test_a_token_without_a_session_issued_in_the_same_second_as_logout_all_is_401(
    client: TestClient, alice: Account
) -> None:
    client.post("/api/auth/logout-all", headers=alice.headers)

    assert not is_accepted(client, sessionless_token(alice))  # `iat` is this very second


def test_a_token_without_a_session_issued_after_logout_all_is_accepted(client: TestClient, alice: Account) -> None:
    client.post("/api/auth/logout-all", headers=alice.headers)

    assert is_accepted(client, sessionless_token(alice, issued_at=datetime.now(UTC) + timedelta(seconds=1)))


def test_a_token_without_a_session_is_accepted_while_nothing_was_revoked(client: TestClient, alice: Account) -> None:
    assert is_accepted(client, sessionless_token(alice))


def test_a_new_login_after_logout_all_works(client: TestClient, alice: Account) -> None:
    client.post("/api/auth/logout-all", headers=alice.headers)

    assert is_accepted(client, login(client, alice).headers)


# --- the list of sessions --------------------------------------------------------------------


def test_sessions_lists_the_active_sessions_newest_first_with_the_current_one_marked(
    client: TestClient, alice: Account
) -> None:
    older = login(client, alice, user_agent="Firefox/140")
    newer = login(client, alice, user_agent="curl/8.9")

    listed = client.get(SESSIONS, headers=older.headers).json()

    assert [s["id"] for s in listed[:2]] == [newer.session_id, older.session_id]
    assert [s["current"] for s in listed[:2]] == [False, True]
    assert listed[0]["user_agent"] == "curl/8.9"
    assert set(listed[0]) == {"id", "created_at", "last_used_at", "user_agent", "current"}


def test_sessions_leaves_out_revoked_ones(client: TestClient, alice: Account) -> None:
    gone, kept = login(client, alice), login(client, alice)
    client.post("/api/auth/logout", headers=gone.headers)

    listed = {s["id"] for s in client.get(SESSIONS, headers=kept.headers).json()}

    assert gone.session_id not in listed and kept.session_id in listed


def test_sessions_shows_only_the_callers_own(client: TestClient, alice: Account, bob: Account) -> None:
    bobs = login(client, bob)

    listed = {s["id"] for s in client.get(SESSIONS, headers=alice.headers).json()}

    assert bobs.session_id not in listed


def test_sessions_without_a_token_is_401(client: TestClient) -> None:
    assert client.get(SESSIONS).status_code == 401


# --- revoking one session --------------------------------------------------------------------


def test_revoking_another_session_is_204_and_ends_it(client: TestClient, alice: Account) -> None:
    mine, other = login(client, alice), login(client, alice)

    assert client.delete(f"{SESSIONS}/{other.session_id}", headers=mine.headers).status_code == 204

    assert not is_accepted(client, other.headers)
    assert is_accepted(client, mine.headers)


def test_revoking_the_current_session_is_allowed_and_ends_its_token(client: TestClient, alice: Account) -> None:
    mine = login(client, alice)

    assert client.delete(f"{SESSIONS}/{mine.session_id}", headers=mine.headers).status_code == 204

    assert not is_accepted(client, mine.headers)


def test_revoking_another_users_session_is_404_and_leaves_it(client: TestClient, alice: Account, bob: Account) -> None:
    bobs = login(client, bob)

    assert client.delete(f"{SESSIONS}/{bobs.session_id}", headers=alice.headers).status_code == 404
    assert is_accepted(client, bobs.headers)


@pytest.mark.parametrize("session_id", ["not-a-uuid", str(uuid.uuid4())])
def test_revoking_a_session_that_is_not_the_callers_is_404(client: TestClient, alice: Account, session_id: str) -> None:
    response = client.delete(f"{SESSIONS}/{session_id}", headers=alice.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "Session not found"


def test_revoking_an_already_revoked_session_is_404(client: TestClient, alice: Account) -> None:
    mine, other = login(client, alice), login(client, alice)
    client.delete(f"{SESSIONS}/{other.session_id}", headers=mine.headers)

    assert client.delete(f"{SESSIONS}/{other.session_id}", headers=mine.headers).status_code == 404


# --- a revoked session on every route --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/{user}/tasks", None),
        ("POST", "/api/{user}/tasks", {"title": "after logout"}),
        ("GET", "/api/{user}/tasks/{task}", None),
        ("PUT", "/api/{user}/tasks/{task}", {"title": "replaced", "description": None, "completed": False}),
        ("PATCH", "/api/{user}/tasks/{task}/complete", None),
        ("DELETE", "/api/{user}/tasks/{task}", None),
        ("GET", "/api/{user}/tasks/{missing}", None),
        ("GET", "/api/{missing}/tasks", None),  # a 403 otherwise: 401 comes first
        ("GET", "/api/auth/me", None),
        ("GET", "/api/auth/sessions", None),
        ("POST", "/api/auth/logout-all", None),
        ("POST", "/api/{user}/tasks", {"title": ""}),  # a 400 otherwise: 401 comes first
    ],
)
def test_a_revoked_sessions_token_is_401_on_every_route(
    client: TestClient, alice: Account, method: str, path: str, body: dict[str, Any] | None
) -> None:
    issued = login(client, alice)
    task = client.post(alice.tasks_url, json={"title": "mine"}, headers=alice.headers).json()["id"]
    client.post("/api/auth/logout", headers=issued.headers)
    url = path.format(user=alice.id, task=task, missing=uuid.uuid4())

    response = client.request(method, url, json=body, headers=issued.headers)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_session_changes_nothing(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)
    client.post("/api/auth/logout", headers=issued.headers)

    client.post(alice.tasks_url, json={"title": "should not exist"}, headers=issued.headers)

    assert client.get(alice.tasks_url, headers=alice.headers).json()["total"] == 0


def test_the_password_is_never_in_a_session_answer(client: TestClient, alice: Account) -> None:
    issued = login(client, alice)

    answer = client.get(SESSIONS, headers=issued.headers).text + refresh(client, issued.refresh_token).text

    assert DEFAULT_PASSWORD not in answer and "$2b$" not in answer


# --- housekeeping ----------------------------------------------------------------------------


def test_a_login_clears_out_the_users_ended_sessions(client: TestClient, alice: Account, engine: Engine) -> None:
    ended = login(client, alice)
    client.post("/api/auth/logout", headers=ended.headers)

    login(client, alice)

    with engine.connect() as connection:
        by_user = text("SELECT id FROM sessions WHERE user_id = :u").bindparams(bindparam("u", type_=Uuid()))
        ids = connection.execute(by_user, {"u": uuid.UUID(alice.id)}).scalars().all()
    assert uuid.UUID(ended.session_id) not in {uuid.UUID(str(i)) for i in ids}
    assert len(ids) == 2  # the signup's session and the new one


# --- the order of checks on the account routes -----------------------------------------------

TOKEN_ROUTES_WITH_BODIES = [
    ("POST", "/api/auth/change-password"),
    ("PATCH", "/api/auth/me"),
    ("DELETE", "/api/auth/me"),
]


@pytest.mark.parametrize(("method", "path"), TOKEN_ROUTES_WITH_BODIES)
def test_a_revoked_token_with_malformed_json_is_401_not_400(
    client: TestClient, alice: Account, method: str, path: str
) -> None:
    issued = login(client, alice)
    client.post("/api/auth/logout", headers=issued.headers)

    response = client.request(
        method, path, content="{not json", headers={**issued.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), TOKEN_ROUTES_WITH_BODIES)
def test_no_token_with_malformed_json_is_401_not_400(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, content="{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), TOKEN_ROUTES_WITH_BODIES)
def test_a_live_token_with_malformed_json_is_400(client: TestClient, alice: Account, method: str, path: str) -> None:
    response = client.request(
        method, path, content="{not json", headers={**alice.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 400


def test_a_refresh_clears_out_its_sessions_expired_refresh_tokens(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    first = login(client, alice)
    second = _login_of(refresh(client, first.refresh_token).json())
    with engine.begin() as connection:  # the spent first token's time runs out
        connection.execute(
            text("UPDATE refresh_tokens SET expires_at = :past WHERE spent_at IS NOT NULL"),
            {"past": datetime.now(UTC) - timedelta(seconds=1)},
        )

    refresh(client, second.refresh_token)

    with engine.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM refresh_tokens WHERE session_id = :s AND expires_at < :now").bindparams(
                bindparam("s", type_=Uuid()), bindparam("now", type_=UTCDateTime())
            ),
            {"s": uuid.UUID(str(first.session_id)), "now": datetime.now(UTC)},
        ).scalar_one()
    assert left == 0


def test_a_sessions_user_agent_keeps_its_first_512_characters(client: TestClient, alice: Account) -> None:
    issued = login(client, alice, user_agent="A" * 600)

    [listed] = [s for s in client.get(SESSIONS, headers=issued.headers).json() if s["id"] == issued.session_id]

    assert listed["user_agent"] == "A" * 512
