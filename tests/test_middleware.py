"""Unit tests of JWTAuthMiddleware on a tiny Starlette app (no database), and of the
get_token_claims / get_current_user dependencies that trust the claims it leaves behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.auth_middleware import CLAIMS_STATE_KEY, JWTAuthMiddleware
from core.deps import get_current_user, get_token_claims
from core.security import TokenClaims, TokenService
from models.user import User
from tests.conftest import Account, ResponseWatch
from tests.support import TEST_SECRET, make_token

TOKENS = TokenService(TEST_SECRET, expire_minutes=60)
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class Tiny:
    """A Starlette app behind the middleware that records what reaches it."""

    client: TestClient
    reached: list[TokenClaims | None] = field(default_factory=list)


@pytest.fixture
def tiny() -> Iterator[Tiny]:
    reached: list[TokenClaims | None] = []

    async def endpoint(request: Request) -> JSONResponse:
        reached.append(request.scope.get("state", {}).get(CLAIMS_STATE_KEY))
        return JSONResponse({"reached": True})

    app = Starlette(
        routes=[Route("/{path:path}", endpoint, methods=ANY_METHOD)],
        middleware=[Middleware(JWTAuthMiddleware, tokens=TOKENS)],
    )
    with TestClient(app) as client:
        yield Tiny(client, reached)


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


def test_a_valid_token_reaches_the_app_with_its_claims_in_scope_state(tiny: Tiny) -> None:
    subject = uuid.uuid4()
    token = make_token(str(subject))

    response = tiny.client.get("/api/x/tasks", headers=bearer(token))

    assert response.status_code == 200
    [claims] = tiny.reached
    assert isinstance(claims, TokenClaims)
    assert claims == TOKENS.decode(token)
    assert claims.subject == subject


def test_the_scheme_name_is_case_insensitive(tiny: Tiny) -> None:
    token = make_token(str(uuid.uuid4()))

    for scheme in ("bearer", "BEARER"):
        assert tiny.client.get("/api/x", headers={"Authorization": f"{scheme} {token}"}).status_code == 200


def test_a_public_path_is_not_decoded_so_no_claims_are_stored(tiny: Tiny) -> None:
    tiny.client.get("/api/auth/me", headers=bearer(make_token(str(uuid.uuid4()))))

    assert tiny.reached == [None]


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


# --- get_token_claims: reuse the middleware's claims, decode only when it did not run ----------


def http_request(authorization: str | None, state: dict[str, Any] | None = None) -> Request:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/api/auth/me", "query_string": b""}
    scope["headers"] = [] if authorization is None else [(b"authorization", authorization.encode())]
    if state is not None:
        scope["state"] = state
    return Request(scope)


def credentials(token: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


def test_get_token_claims_reuses_the_claims_in_scope_state_without_decoding() -> None:
    claims = TokenClaims(subject=uuid.uuid4(), issued_at=None, expires_at=0)
    request = http_request("Bearer garbage", state={CLAIMS_STATE_KEY: claims})

    assert get_token_claims(request, TOKENS, credentials("garbage")) is claims


def test_get_token_claims_decodes_the_header_when_no_middleware_ran() -> None:
    subject = uuid.uuid4()
    token = make_token(str(subject))

    claims = get_token_claims(http_request(f"Bearer {token}"), TOKENS, credentials(token))

    assert claims.subject == subject


@pytest.mark.parametrize(
    "given",
    [None, credentials("garbage"), credentials(make_token(str(uuid.uuid4()), secret="y" * 40))],
    ids=["no-credentials", "garbage", "wrong-key"],
)
def test_get_token_claims_without_middleware_claims_refuses_a_missing_or_bad_token(
    given: HTTPAuthorizationCredentials | None,
) -> None:
    with pytest.raises(HTTPException) as refused:
        get_token_claims(http_request(None, state={}), TOKENS, given)

    assert refused.value.status_code == 401
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}


# --- get_current_user on a tiny FastAPI app: the claims decide who the caller is ----------------


class InjectClaims:
    """Plays the middleware's part: puts given claims into scope state."""

    def __init__(self, app: ASGIApp, claims: TokenClaims) -> None:
        self.app = app
        self.claims = claims

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[CLAIMS_STATE_KEY] = self.claims
        await self.app(scope, receive, send)


@pytest.fixture
def whoami(engine: Engine, response_watch: ResponseWatch) -> Callable[[TokenClaims | None], TestClient]:
    def build(claims: TokenClaims | None) -> TestClient:
        app = FastAPI()
        app.state.engine = engine
        app.state.tokens = TOKENS

        @app.get("/whoami")
        def who(user: Annotated[User, Depends(get_current_user)]) -> dict[str, str]:
            return {"id": str(user.id)}

        client = TestClient(InjectClaims(app, claims) if claims else app)
        client.event_hooks["response"].append(response_watch)
        return client

    return build


def claims_of(user_id: str) -> TokenClaims:
    return TokenClaims(subject=uuid.UUID(user_id), issued_at=None, expires_at=0)


def test_get_current_user_trusts_claims_in_scope_state_over_a_garbage_header(
    whoami: Callable[[TokenClaims | None], TestClient], alice: Account
) -> None:
    response = whoami(claims_of(alice.id)).get("/whoami", headers=bearer("garbage"))

    assert response.status_code == 200
    assert response.json() == {"id": alice.id}


def test_get_current_user_decodes_the_token_when_no_middleware_ran(
    whoami: Callable[[TokenClaims | None], TestClient], alice: Account
) -> None:
    response = whoami(None).get("/whoami", headers=alice.headers)

    assert response.json() == {"id": alice.id}


def test_get_current_user_refuses_a_garbage_token_when_no_middleware_ran(
    whoami: Callable[[TokenClaims | None], TestClient], alice: Account
) -> None:
    response = whoami(None).get("/whoami", headers=bearer("garbage"))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_get_current_user_refuses_claims_of_a_user_that_does_not_exist(
    whoami: Callable[[TokenClaims | None], TestClient],
) -> None:
    response = whoami(claims_of(str(uuid.uuid4()))).get("/whoami")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
