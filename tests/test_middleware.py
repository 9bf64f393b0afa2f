"""Unit tests of JWTAuthMiddleware and the Authenticator on a tiny Starlette app (users come
from a dictionary, not a database), and of get_current_user on a real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Scope

from core.auth_middleware import JWTAuthMiddleware
from core.authentication import CURRENT_USER_STATE_KEY, Authenticator
from core.deps import get_current_user
from core.security import TokenService
from models.user import User
from tests.support import TEST_SECRET, Account, ResponseWatch, make_token

TOKENS = TokenService(TEST_SECRET, expire_minutes=60)
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class Tiny:
    """A Starlette app behind the middleware that records which user reached it."""

    client: TestClient
    users: dict[uuid.UUID, User]
    reached: list[User | None] = field(default_factory=list)
    lookups: list[uuid.UUID] = field(default_factory=list)

    def add_user(self) -> tuple[User, str]:
        user = User(id=uuid.uuid4(), username="u", email="u@example.com", hashed_password="-")
        self.users[user.id] = user
        return user, make_token(str(user.id))


@pytest.fixture
def tiny() -> Iterator[Tiny]:
    users: dict[uuid.UUID, User] = {}
    reached: list[User | None] = []
    lookups: list[uuid.UUID] = []

    def load(_scope: Scope, user_id: uuid.UUID) -> User | None:
        lookups.append(user_id)
        return users.get(user_id)

    async def endpoint(request: Request) -> JSONResponse:
        reached.append(request.scope.get("state", {}).get(CURRENT_USER_STATE_KEY))
        return JSONResponse({"reached": True})

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=ANY_METHOD)],
        middleware=[Middleware(JWTAuthMiddleware, authenticate=Authenticator(TOKENS, load))],
    )
    with TestClient(app) as client:
        yield Tiny(client, users, reached, lookups)


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


def test_a_valid_token_reaches_the_app_with_its_user_in_scope_state(tiny: Tiny) -> None:
    user, token = tiny.add_user()

    response = tiny.client.get("/api/x/tasks", headers=bearer(token))

    assert response.status_code == 200
    assert tiny.reached == [user]
    assert tiny.lookups == [user.id]


def test_a_well_signed_token_of_an_unknown_user_is_401_and_never_reaches_the_app(tiny: Tiny) -> None:
    response = tiny.client.get("/api/x", headers=bearer(make_token(str(uuid.uuid4()))))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token"}
    assert tiny.reached == []


def test_the_scheme_name_is_case_insensitive(tiny: Tiny) -> None:
    _, token = tiny.add_user()

    for scheme in ("bearer", "BEARER"):
        assert tiny.client.get("/api/x", headers={"Authorization": f"{scheme} {token}"}).status_code == 200


def test_a_public_path_is_not_authenticated_so_no_user_is_looked_up(tiny: Tiny) -> None:
    _, token = tiny.add_user()

    tiny.client.get("/api/auth/me", headers=bearer(token))

    assert tiny.reached == [None]
    assert tiny.lookups == []


def test_an_unreachable_database_during_authentication_is_503_with_retry_after() -> None:
    def load(_scope: Scope, _user_id: uuid.UUID) -> User | None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    app = Starlette(
        routes=[Route("/{path:path}", lambda _request: JSONResponse({}), methods=ANY_METHOD)],
        middleware=[Middleware(JWTAuthMiddleware, authenticate=Authenticator(TOKENS, load))],
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

    app = Starlette(lifespan=lifespan, middleware=[Middleware(JWTAuthMiddleware, authenticate=Authenticator(TOKENS))])
    with TestClient(app):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


# --- the Authenticator: one lookup per request, however many ask ------------------------------


def test_the_authenticator_looks_the_user_up_once_per_request() -> None:
    user = User(id=uuid.uuid4(), username="u", email="u@example.com", hashed_password="-")
    lookups: list[uuid.UUID] = []

    def load(_scope: Scope, user_id: uuid.UUID) -> User | None:
        lookups.append(user_id)
        return user

    authenticate = Authenticator(TOKENS, load)
    scope: dict[str, Any] = {
        "type": "http",
        "headers": [(b"authorization", f"Bearer {make_token(str(user.id))}".encode())],
    }

    async def twice() -> tuple[User, User]:
        return await authenticate(scope), await authenticate(scope)

    assert anyio.run(twice) == (user, user)
    assert lookups == [user.id]


# --- get_current_user on a tiny FastAPI app with the real database ------------------------------


@pytest.fixture
def whoami(engine: Engine, response_watch: ResponseWatch) -> Callable[[], TestClient]:
    def build() -> TestClient:
        app = FastAPI()
        app.state.engine = engine
        app.state.authenticator = Authenticator(TOKENS)

        @app.get("/whoami")
        def who(user: Annotated[User, Depends(get_current_user)]) -> dict[str, str]:
            return {"id": str(user.id)}

        client = TestClient(app)
        client.event_hooks["response"].append(response_watch)
        return client

    return build


def test_get_current_user_authenticates_when_no_middleware_ran(
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


def test_get_current_user_refuses_the_token_of_a_user_that_does_not_exist(whoami: Callable[[], TestClient]) -> None:
    response = whoami().get("/whoami", headers=bearer(make_token(str(uuid.uuid4()))))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
