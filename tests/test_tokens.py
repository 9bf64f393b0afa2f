"""Bearer tokens: what the service issues, and every token it must refuse, on /api/auth/me (checked
by the dependency), on a task route and on an /api/ path with no route (checked by the middleware)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Engine, Uuid, bindparam, text

from tests.support import Account, make_token, unsigned_token

OTHER_SECRET = "another-signing-secret-0123456789abcdef"
SEVEN_DAYS = 7 * 24 * 60 * 60

Headers = Callable[[Account], dict[str, str]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def with_forged_claims(account: Account) -> str:
    """The account's real header and signature around claims naming someone else."""
    header, _, signature = account.token.split(".")
    claims = {"sub": str(uuid.uuid4()), "exp": 4_102_444_800}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


REFUSED: dict[str, Headers] = {
    "no-header": lambda _: {},
    "basic-scheme": lambda _: {"Authorization": "Basic YWxpY2U6czNjcmV0"},
    "token-scheme-with-a-valid-token": lambda a: {"Authorization": f"Token {a.token}"},
    "bare-token-without-scheme": lambda a: {"Authorization": a.token},
    "bearer-without-token": lambda _: {"Authorization": "Bearer"},
    "not-a-jwt": lambda _: bearer("not-a-jwt"),
    "three-garbage-segments": lambda _: bearer("abc.def.ghi"),
    "truncated-signature": lambda a: bearer(a.token[:-2]),
    "forged-claims": lambda a: bearer(with_forged_claims(a)),
    "expired": lambda a: bearer(make_token(a.id, expires_in=timedelta(minutes=-1))),
    "signed-with-another-key": lambda a: bearer(make_token(a.id, secret=OTHER_SECRET)),
    "hs384-with-the-right-key": lambda a: bearer(make_token(a.id, algorithm="HS384")),
    "hs512-with-the-right-key": lambda a: bearer(make_token(a.id, algorithm="HS512")),
    "alg-none": lambda a: bearer(unsigned_token(a.id)),
    "without-sub": lambda _: bearer(make_token(None)),
    "without-exp": lambda a: bearer(make_token(a.id, expires_in=None)),
    "non-uuid-sub": lambda a: bearer(make_token(a.username)),
}

PATHS: dict[str, Callable[[Account], str]] = {
    "me": lambda _: "/api/auth/me",
    "task-route": lambda a: a.tasks_url,
    "no-route": lambda _: "/api/no-such-route",
}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_token_is_401_with_www_authenticate_bearer(
    client: TestClient, alice: Account, headers: Headers, path: Callable[[Account], str]
) -> None:
    response = client.get(path(alice), headers=headers(alice))

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert isinstance(response.json()["detail"], str)


def delete_user(engine: Engine, account: Account) -> None:
    with engine.begin() as connection:
        query = text("DELETE FROM users WHERE id = :id").bindparams(bindparam("id", type_=Uuid()))
        connection.execute(query, {"id": uuid.UUID(account.id)})


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(PATHS["me"], id="me"),
        pytest.param(PATHS["task-route"], id="task-route"),
        pytest.param(
            PATHS["no-route"],
            id="no-route",
        ),
    ],
)
def test_the_token_of_a_deleted_user_is_401(
    client: TestClient, engine: Engine, alice: Account, path: Callable[[Account], str]
) -> None:
    delete_user(engine, alice)

    response = client.get(path(alice), headers=alice.headers)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/{sub}/tasks"], ids=["me", "own-task-route"])
def test_a_token_for_a_user_that_never_existed_is_401(client: TestClient, path: str) -> None:
    sub = str(uuid.uuid4())

    response = client.get(path.format(sub=sub), headers=bearer(make_token(sub)))

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_for_a_user_that_never_existed_is_401_not_403_on_another_users_path(
    client: TestClient, alice: Account
) -> None:
    response = client.get(alice.tasks_url, headers=bearer(make_token(str(uuid.uuid4()))))

    assert response.status_code == 401, response.text


def test_the_token_of_a_deleted_user_is_401_before_a_malformed_body(
    client: TestClient, engine: Engine, alice: Account
) -> None:
    delete_user(engine, alice)

    response = client.post(
        alice.tasks_url, content=b'{"title": ', headers={**alice.headers, "Content-Type": "application/json"}
    )

    assert response.status_code == 401, response.text


def test_the_token_of_a_deleted_user_is_401_before_a_validation_error(
    client: TestClient, engine: Engine, alice: Account
) -> None:
    delete_user(engine, alice)

    response = client.post(alice.tasks_url, json={"title": ""}, headers=alice.headers)

    assert response.status_code == 401, response.text


def test_a_refused_token_is_401_before_a_malformed_body(client: TestClient, alice: Account) -> None:
    response = client.post(
        alice.tasks_url,
        content=b'{"title": ',
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
    )

    assert response.status_code == 401


# --- the scheme name is case-insensitive ----------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
@pytest.mark.parametrize("path", [PATHS["me"], PATHS["task-route"]], ids=["me", "task-route"])
def test_the_bearer_scheme_name_is_case_insensitive(
    client: TestClient, alice: Account, scheme: str, path: Callable[[Account], str]
) -> None:
    response = client.get(path(alice), headers={"Authorization": f"{scheme} {alice.token}"})

    assert response.status_code == 200, response.text


def test_a_valid_token_on_an_api_path_with_no_route_is_404(client: TestClient, alice: Account) -> None:
    response = client.get("/api/no-such-route", headers=alice.headers)

    assert response.status_code == 404


def test_a_token_made_with_the_right_key_and_claims_is_accepted(client: TestClient, alice: Account) -> None:
    response = client.get("/api/auth/me", headers=bearer(make_token(alice.id)))

    assert response.status_code == 200
    assert response.json()["id"] == alice.id


# --- what the service issues ------------------------------------------------------------


def test_issued_tokens_are_hs256(alice: Account) -> None:
    assert jwt.get_unverified_header(alice.token)["alg"] == "HS256"


def test_issued_tokens_name_the_user_in_sub_and_last_seven_days(alice: Account) -> None:
    claims = jwt.get_unverified_claims(alice.token)

    assert claims["sub"] == alice.id
    assert claims["exp"] - claims["iat"] == SEVEN_DAYS


# --- the /api/auth/ carve-out does not open the task routes ----------------------------------


def test_a_task_route_with_user_id_auth_is_403_for_a_valid_token(client: TestClient, alice: Account) -> None:
    response = client.get("/api/auth/tasks", headers=alice.headers)

    assert response.status_code == 403, response.text


def test_a_task_route_with_user_id_auth_is_401_before_a_malformed_body(client: TestClient) -> None:
    response = client.post("/api/auth/tasks", content=b'{"title": ', headers={"Content-Type": "application/json"})

    assert response.status_code == 401, response.text


def test_a_task_route_with_user_id_auth_still_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/auth/tasks")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
