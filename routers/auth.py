"""`/api/auth/*`: signup, login and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from core.db import DatabaseDep
from core.deps import ClientAddressDep, CurrentUser, HasherDep, ThrottleDep, TokensDep
from core.security import TokenService
from models.user import AuthResult, LoginRequest, SignupRequest, User, UserPublic
from routers.responses import error_responses, json_response
from services import accounts

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _auth_result(user: User, tokens: TokenService) -> AuthResult:
    return AuthResult(
        user=UserPublic.model_validate(user),
        access_token=tokens.issue(user.id),
        expires_in=int(tokens.lifetime.total_seconds()),
    )


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResult,
    operation_id="auth_signup",
    summary="Create an account and get a token",
    responses=error_responses(400, 409, 413, 429, 503),
)
def signup(
    body: SignupRequest,
    db: DatabaseDep,
    hasher: HasherDep,
    tokens: TokensDep,
    throttle: ThrottleDep,
    client: ClientAddressDep,
) -> Response:
    with db.session() as session:
        user = accounts.signup(session, body, hasher, throttle, client)
    return json_response(_auth_result(user, tokens), status.HTTP_201_CREATED)


@router.post(
    "/login",
    response_model=AuthResult,
    operation_id="auth_login",
    summary="Exchange a username or email and a password for a token",
    responses=error_responses(400, 401, 413, 429, 503),
)
def login(body: LoginRequest, db: DatabaseDep, hasher: HasherDep, tokens: TokensDep, throttle: ThrottleDep) -> Response:
    with db.session() as session:
        user = accounts.authenticate(session, body, hasher, throttle)
    return json_response(_auth_result(user, tokens))


@router.get(
    "/me",
    response_model=UserPublic,
    operation_id="auth_me",
    summary="The account the token belongs to",
    responses=error_responses(401, 503),
)
def me(current_user: CurrentUser, db: DatabaseDep) -> Response:
    with db.read_session() as session:
        user = current_user.verify(session)
    return json_response(UserPublic.model_validate(user))
