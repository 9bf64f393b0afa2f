"""`/api/auth/*`: accounts (signup, login, the caller's own account) and login sessions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status
from pydantic import TypeAdapter

from core.db import DatabaseDep
from core.deps import ClientAddressDep, CurrentUser, HasherDep, HashingDep, SessionStartDep, ThrottleDep, TokensDep
from core.routing import AuthenticatedRoute
from core.security import TokenService
from models.session import RefreshRequest, SessionPublic
from models.user import (
    AccountDeletion,
    AuthResult,
    ChangePasswordRequest,
    LoginRequest,
    ProfileUpdate,
    SignupRequest,
    UserPublic,
)
from routers.responses import error_responses, json_response
from services import accounts, sessions
from services.errors import SessionNotFound
from services.sessions import Grant, SessionStart

router = APIRouter(prefix="/api/auth", tags=["auth"])
# The routes that need a token: checked before the body is read (see core/routing.py).
account_router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=AuthenticatedRoute)

_SESSION_LIST = TypeAdapter(list[SessionPublic])
_NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


def _auth_result(grant: Grant, tokens: TokenService, start: SessionStart) -> AuthResult:
    return AuthResult(
        user=UserPublic.model_validate(grant.user),
        access_token=tokens.issue(grant.user.id, grant.session_id),
        expires_in=int(tokens.lifetime.total_seconds()),
        refresh_token=grant.refresh_token,
        refresh_expires_in=int(start.refresh_lifetime.total_seconds()),
    )


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResult,
    operation_id="auth_signup",
    summary="Create an account and get a token",
    responses=error_responses(400, 409, 413, 429, 503),
)
async def signup(
    body: SignupRequest,
    db: DatabaseDep,
    hasher: HasherDep,
    hashing: HashingDep,
    tokens: TokensDep,
    throttle: ThrottleDep,
    client: ClientAddressDep,
    start: SessionStartDep,
) -> Response:
    """The username is 3 to 32 of `A-Z a-z 0-9 _ . -` and unique without regard to case; the e-mail
    is stored in lower case. The answer is the one login gives: the new user, an access token for
    `Authorization: Bearer` and a refresh token. A 409 says whether the username or the e-mail is
    taken. Too many signups from one client address within the hour are a 429 with `Retry-After`."""

    def work() -> Grant:
        with db.session() as session:
            return accounts.signup(session, body, hasher, throttle, client, start)

    grant = await hashing.run(work)
    return json_response(_auth_result(grant, tokens, start), status.HTTP_201_CREATED)


@router.post(
    "/login",
    response_model=AuthResult,
    operation_id="auth_login",
    summary="Exchange a username or email and a password for a token",
    responses=error_responses(400, 401, 413, 429, 503),
)
async def login(
    body: LoginRequest,
    db: DatabaseDep,
    hasher: HasherDep,
    hashing: HashingDep,
    tokens: TokensDep,
    throttle: ThrottleDep,
    start: SessionStartDep,
) -> Response:
    """`username_or_email` matches either, without regard to case. An unknown user and a wrong
    password get one and the same 401. Every login starts a new session (see
    `GET /api/auth/sessions`). After too many failed logins for one account the answer is a 429
    with `Retry-After`, even with the right password, until the window ends."""

    def work() -> Grant:
        with db.session() as session:
            return accounts.login(session, body, hasher, throttle, start)

    grant = await hashing.run(work)
    return json_response(_auth_result(grant, tokens, start))


@router.post(
    "/refresh",
    response_model=AuthResult,
    operation_id="auth_refresh",
    summary="Trade a refresh token for a new access token and a new refresh token",
    description="No access token needed. The refresh token is spent; presenting it again revokes its session.",
    responses=error_responses(400, 401, 413, 503),
)
def refresh(body: RefreshRequest, db: DatabaseDep, tokens: TokensDep, start: SessionStartDep) -> Response:
    with db.session() as session:
        grant = sessions.refresh(session, body.refresh_token, start.refresh_lifetime)
    return json_response(_auth_result(grant, tokens, start))


@account_router.post(
    "/logout",
    **_NO_CONTENT,  # type: ignore[arg-type]
    operation_id="auth_logout",
    summary="End the current session",
    responses=error_responses(400, 401, 503),
)
def logout(current_user: CurrentUser, db: DatabaseDep) -> Response:
    """The session of the token used is revoked: its access tokens are refused from now on and its
    refresh token is dead. Other sessions (other devices) stay logged in. A token without a
    session (`sid`), from a companion service, is a 400: use `logout-all`."""
    with db.session() as session:
        sessions.logout(session, current_user.claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@account_router.post(
    "/logout-all",
    **_NO_CONTENT,  # type: ignore[arg-type]
    operation_id="auth_logout_all",
    summary="End every session of the account, and every token without one",
    responses=error_responses(401, 503),
)
def logout_all(current_user: CurrentUser, db: DatabaseDep) -> Response:
    """Every session of the account is revoked, this one included, and so is every token issued
    without a session until now: every device has to log in again."""
    with db.session() as session:
        sessions.logout_everywhere(session, current_user.claims)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@account_router.get(
    "/sessions",
    response_model=list[SessionPublic],
    operation_id="auth_sessions",
    summary="The account's active sessions, newest first",
    responses=error_responses(401, 503),
)
def list_sessions(current_user: CurrentUser, db: DatabaseDep) -> Response:
    """One entry per signup or login that has not ended: when it started, when it last refreshed
    its tokens, the client's `User-Agent`, and `current: true` on the session of the token used.
    Its `id` is what `DELETE /api/auth/sessions/{session_id}` takes."""
    with db.read_session() as session:
        rows = sessions.active_sessions(session, current_user.claims)
    current = current_user.claims.session_id
    answer = [SessionPublic(**row._mapping, current=row.id == current) for row in rows]
    return Response(_SESSION_LIST.dump_json(answer), media_type="application/json")


@account_router.delete(
    "/sessions/{session_id}",
    **_NO_CONTENT,  # type: ignore[arg-type]
    operation_id="auth_sessions_revoke",
    summary="End one of the account's sessions (the current one too)",
    responses=error_responses(401, 404, 503),
)
def revoke_session(
    session_id: Annotated[str, Path(description="The session's `id`; anything else is a 404")],
    current_user: CurrentUser,
    db: DatabaseDep,
) -> Response:
    """Its access tokens are refused from now on and its refresh token is dead, for instance to log
    out a lost phone. An id that is not one of the caller's active sessions is a 404, whoever it
    belongs to."""
    try:
        target = uuid.UUID(session_id)
    except ValueError:
        raise SessionNotFound from None
    with db.session() as session:
        sessions.end(session, current_user.claims, target)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@account_router.post(
    "/change-password",
    response_model=AuthResult,
    operation_id="auth_change_password",
    summary="Change the password; every other session ends",
    description="Answers with the tokens of a fresh session. A wrong current password is a 400 and counts as a "
    "failed login.",
    responses=error_responses(400, 401, 413, 429, 503),
)
async def change_password(
    body: ChangePasswordRequest,
    current_user: CurrentUser,
    db: DatabaseDep,
    hasher: HasherDep,
    hashing: HashingDep,
    tokens: TokensDep,
    throttle: ThrottleDep,
    start: SessionStartDep,
) -> Response:

    def work() -> Grant:
        with db.session() as session:
            return accounts.change_password(session, current_user.claims, body, hasher, throttle, start)

    grant = await hashing.run(work)
    return json_response(_auth_result(grant, tokens, start))


@account_router.get(
    "/me",
    response_model=UserPublic,
    operation_id="auth_me",
    summary="The account the token belongs to",
    responses=error_responses(401, 503),
)
def me(current_user: CurrentUser, db: DatabaseDep) -> Response:
    """The caller's id (the `{user_id}` of every task path), username, e-mail and sign-up time."""
    with db.read_session() as session:
        user = current_user.verify(session)
    return json_response(UserPublic.model_validate(user))


@account_router.patch(
    "/me",
    response_model=UserPublic,
    operation_id="auth_me_update",
    summary="Change the username, the email or both",
    responses=error_responses(400, 401, 409, 413, 503),
)
def update_me(body: ProfileUpdate, current_user: CurrentUser, db: DatabaseDep) -> Response:
    """Send `username`, `email` or both; the rules of signup apply, and one taken by another
    account is a 409. Changing only the case of one's own username is fine. Other fields are
    ignored; an empty object, or `null` for either field, is a 400. Tokens stay valid."""
    with db.session() as session:
        user = accounts.update_profile(session, current_user.claims, body)
    return json_response(UserPublic.model_validate(user))


@account_router.delete(
    "/me",
    **_NO_CONTENT,  # type: ignore[arg-type]
    operation_id="auth_me_delete",
    summary="Delete the account, its tasks and its sessions",
    description="A wrong password is a 400 and counts as a failed login.",
    responses=error_responses(400, 401, 413, 429, 503),
)
async def delete_me(
    body: Annotated[AccountDeletion, Body()],
    current_user: CurrentUser,
    db: DatabaseDep,
    hasher: HasherDep,
    hashing: HashingDep,
    throttle: ThrottleDep,
) -> Response:

    def work() -> None:
        with db.session() as session:
            accounts.delete_account(session, current_user.claims, body, hasher, throttle)

    await hashing.run(work)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
