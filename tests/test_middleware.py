"""Unit tests of JWTAuthMiddleware on a tiny Starlette app (accounts come from a set, not a
database), and of get_current_user and Caller.verify on the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Scope

from core.auth_middleware import JWTAuthMiddleware
from core.authentication import CALLER_STATE_KEY, Caller
from core.deps import get_current_user
from core.security import TokenService
from services.errors import AccountGone
from tests.support import TEST_SECRET, Account, ResponseWatch, make_token

TOKENS = TokenService(TEST_SECRET, expire_minutes=60)
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class Tiny:
    """A Starlette app behind the middleware. Its endpoint answers with the status the
    request asks for (`?status=404`), and records the caller it saw; the middleware's
    account check looks in `accounts` and records what it was asked."""

    client: TestClient
    accounts: set[uuid.UUID]
    reached: list[Caller | None] = field(default_factory=list)
    checked: list[uuid.UUID] = field(default_factory=list)

    def token_of_existing_account(self) -> str:
        user_id = uuid.uuid4()
        self.accounts.add(user_id)
        return make_token(str(user_id))


def tiny_app(accounts: set[uuid.UUID], reached: list[Caller | None], checked: list[uuid.UUID]) -> Starlette:
    def check(_scope: Scope, caller: Caller) -> None:
        checked.append(caller.user_id)
        if caller.user_id not in accounts:
            raise AccountGone

    async def endpoint(request: Request) -> JSONResponse:
        reached.append(request.scope.get("state", {}).get(CALLER_STATE_KEY))
        return JSONResponse({"reached": True}, status_code=int(request.query_params.get("status", 200)))

    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=ANY_METHOD)],
        middleware=[Middleware(JWTAuthMiddleware, tokens=TOKENS, check=check)],
    )


@pytest.fixture
def tiny() -> Iterator[Tiny]:
    accounts: set[uuid.UUID] = set()
    reached: list[Caller | None] = []
    checked: list[uuid.UUID] = []
    with TestClient(tiny_app(accounts, reached, checked)) as client:
        yield Tiny(client, accounts, reached, checked)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- which paths are protected ---------------------------------------------------------------

PROTECTED = ["/api/", "/api/x", "/api/123/tasks", "/api/auth", "/api/authx", "/api/authx/login", "/api/auth-x/y"]
PASSING = ["/api/auth/login", "/api/auth/signup", "/api/auth/me", "/api/auth/", "/health", "/docs", "/", "/apix/y"]


@pytest.mark.parametrize("path", PROTECTED)
def test_a_protected_path_without_a_token_is_401_and_never_reaches_the_app(tiny: Tiny, path: str) -> None:
    response = tiny.client.get(path)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Not authenticated"}
    assert tiny.reached == []


@pytest.mark.parametrize("path", PASSING)
def test_a_path_outside_the_protected_space_passes_without_a_token(tiny: Tiny, path: str) -> None:
    response = tiny.client.get(path)

    assert response.status_code == 200
    assert tiny.reached == [None]


def test_a_public_path_passes_even_with_a_garbage_token(tiny: Tiny) -> None:
    response = tiny.client.post("/api/auth/login", headers=bearer("garbage"))

    assert response.status_code == 200


def test_a_protected_path_with_an_invalid_token_is_401_and_never_reaches_the_app(tiny: Tiny) -> None:
    response = tiny.client.get("/api/x", headers=bearer(make_token(str(uuid.uuid4()), secret="x" * 40)))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Invalid or expired token"}
    assert tiny.reached == []


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
def test_every_method_but_options_needs_a_token(tiny: Tiny, method: str) -> None:
    assert tiny.client.request(method, "/api/x").status_code == 401


def test_options_passes_without_a_token(tiny: Tiny) -> None:
    response = tiny.client.options("/api/123/tasks", headers={"Origin": "http://localhost:3000"})

    assert response.status_code == 200
    assert tiny.reached == [None]


# --- what a valid token leaves behind ----------------------------------------------------------


def test_a_valid_token_reaches_the_app_with_its_caller_in_scope_state(tiny: Tiny) -> None:
    user_id = uuid.uuid4()

    response = tiny.client.get("/api/x/tasks", headers=bearer(make_token(str(user_id))))

    assert response.status_code == 200
    [caller] = tiny.reached
    assert isinstance(caller, Caller)
    assert caller.user_id == user_id


def test_a_successful_answer_costs_the_middleware_no_account_check(tiny: Tiny) -> None:
    # The route verifies the account in its own database work; the middleware must not.
    tiny.client.get("/api/x", headers=bearer(make_token(str(uuid.uuid4()))))

    assert tiny.checked == []


def test_the_scheme_name_is_case_insensitive(tiny: Tiny) -> None:
    token = make_token(str(uuid.uuid4()))

    for scheme in ("bearer", "BEARER"):
        assert tiny.client.get("/api/x", headers={"Authorization": f"{scheme} {token}"}).status_code == 200


def test_a_public_path_is_not_decoded_so_no_caller_is_stored(tiny: Tiny) -> None:
    tiny.client.get("/api/auth/me", headers=bearer(make_token(str(uuid.uuid4()))))

    assert tiny.reached == [None]


# --- an error answered before any route verified the caller ----------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 422])
def test_an_early_error_for_a_deleted_account_becomes_401(tiny: Tiny, status: int) -> None:
    user_id = uuid.uuid4()

    response = tiny.client.get(f"/api/x?status={status}", headers=bearer(make_token(str(user_id))))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Invalid or expired token"}
    assert tiny.checked == [user_id]


@pytest.mark.parametrize("status", [400, 403, 404])
def test_an_early_error_for_an_existing_account_is_answered_as_it_was(tiny: Tiny, status: int) -> None:
    response = tiny.client.get(f"/api/x?status={status}", headers=bearer(tiny.token_of_existing_account()))

    assert response.status_code == status
    assert response.json() == {"reached": True}


@pytest.mark.parametrize("status", [200, 201, 204, 401, 500, 503])
def test_only_4xx_answers_other_than_401_are_checked(tiny: Tiny, status: int) -> None:
    tiny.client.get(f"/api/x?status={status}", headers=bearer(make_token(str(uuid.uuid4()))))

    assert tiny.checked == []


def test_an_error_after_the_route_verified_the_caller_is_not_checked_again() -> None:
    checked: list[uuid.UUID] = []

    async def verified_endpoint(request: Request) -> JSONResponse:
        request.scope["state"][CALLER_STATE_KEY].user = object()  # as Caller.verify leaves it
        return JSONResponse({"detail": "Task not found"}, status_code=404)

    def check(_scope: Scope, caller: Caller) -> None:
        checked.append(caller.user_id)

    app = Starlette(
        routes=[Route("/{path:path}", verified_endpoint)],
        middleware=[Middleware(JWTAuthMiddleware, tokens=TOKENS, check=check)],
    )
    response = TestClient(app).get("/api/x", headers=bearer(make_token(str(uuid.uuid4()))))

    assert response.status_code == 404
    assert checked == []


def test_an_unreachable_database_during_the_check_is_503_with_retry_after() -> None:
    def check(_scope: Scope, _caller: Caller) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    app = Starlette(
        routes=[Route("/{path:path}", lambda _request: JSONResponse({}, status_code=404))],
        middleware=[Middleware(JWTAuthMiddleware, tokens=TOKENS, check=check)],
    )
    response = TestClient(app).get("/api/x", headers=bearer(make_token(str(uuid.uuid4()))))

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "detail" in response.json()


# --- scopes other than http ------------------------------------------------------------------


def test_lifespan_events_pass_through_the_middleware() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = Starlette(lifespan=lifespan, middleware=[Middleware(JWTAuthMiddleware, tokens=TOKENS)])
    with TestClient(app):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


# --- get_current_user and Caller.verify on the real database ---------------------------------


@pytest.fixture
def whoami(engine: Engine, response_watch: ResponseWatch) -> Callable[[], TestClient]:
    def build() -> TestClient:
        app = FastAPI()
        app.state.tokens = TOKENS

        @app.get("/whoami")
        def who(caller: Annotated[Caller, Depends(get_current_user)]) -> dict[str, str]:
            return {"id": str(caller.user_id)}

        client = TestClient(app)
        client.event_hooks["response"].append(response_watch)
        return client

    return build


def test_get_current_user_decodes_the_token_when_no_middleware_ran(
    whoami: Callable[[], TestClient], alice: Account
) -> None:
    response = whoami().get("/whoami", headers=alice.headers)

    assert response.json() == {"id": alice.id}


@pytest.mark.parametrize("authorization", [None, "Bearer garbage", "Basic abc"], ids=["none", "garbage", "basic"])
def test_get_current_user_refuses_a_missing_or_bad_token(
    whoami: Callable[[], TestClient], authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = whoami().get("/whoami", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_verify_finds_an_existing_account_once(engine: Engine, alice: Account) -> None:
    caller = Caller(TOKENS.decode(alice.token))
    with Session(engine) as session:
        user = caller.verify(session)
    with Session(engine) as session:
        assert caller.verify(session) is user  # remembered: no second query

    assert str(user.id) == alice.id
    assert caller.verified


def test_verify_refuses_an_account_that_does_not_exist(engine: Engine) -> None:
    caller = Caller(TOKENS.decode(make_token(str(uuid.uuid4()))))

    with Session(engine) as session, pytest.raises(AccountGone):
        caller.verify(session)
    assert not caller.verified
