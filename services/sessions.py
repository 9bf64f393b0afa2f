"""Login sessions: starting, refreshing and ending them, and whether a token still speaks
for its user.

A token is live while the database says so, on every worker at once: a token with a `sid`
while its session is not revoked; a token without one (from a companion service that shares
the secret) while its `iat` second is later than the user's last "log out everywhere" or
password change. Either way, the row checked exists only while the user does. The check is
an SQL expression (`liveness`), so that the task services fold it into the statement they
run anyway instead of paying a round trip for it."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlmodel
from sqlalchemy import Row, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from core.security import TokenClaims, new_refresh_token, refresh_token_hash
from models.common import UTCDateTime, utc_now
from models.session import USER_AGENT_MAX_CHARS, LoginSession, RefreshToken
from models.user import User
from services.errors import AccountGone, InvalidRefreshToken, NoSession, SessionNotFound

_sessions = LoginSession.__table__  # type: ignore[attr-defined]
_refresh_tokens = RefreshToken.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SessionStart:
    """What a new session needs to know besides its user."""

    user_agent: str | None
    refresh_lifetime: timedelta


@dataclass(frozen=True)
class Grant:
    """A session just started or refreshed: what the client gets back."""

    user: User
    session_id: uuid.UUID
    refresh_token: str
    refresh_expires_at: datetime


# --- liveness -------------------------------------------------------------------------------


@functools.cache
def liveness(with_session: bool) -> ColumnElement[bool]:
    """Whether the caller's token is live, as SQL over the bound values of `liveness_values`."""
    if with_session:
        return exists().where(
            _sessions.c.id == bindparam("sid"),
            _sessions.c.user_id == bindparam("owner_id"),
            _sessions.c.revoked_at.is_(None),
        )
    return exists().where(
        _users.c.id == bindparam("owner_id"),
        or_(_users.c.tokens_revoked_at.is_(None), _users.c.tokens_revoked_at < bindparam("issued", type_=UTCDateTime)),
    )


def liveness_values(claims: TokenClaims) -> dict[str, Any]:
    if claims.session_id is not None:
        return {"owner_id": claims.subject, "sid": claims.session_id}
    # "Later than the second of the revocation" is "after the revocation itself" for a
    # whole-second `iat`; a token without `iat` is only good while nothing was ever revoked.
    issued = datetime.fromtimestamp(claims.issued_at, UTC) if claims.issued_at is not None else _EPOCH
    return {"owner_id": claims.subject, "issued": issued}


def is_live(session: Session, claims: TokenClaims) -> bool:
    statement = select(liveness(claims.session_id is not None))
    return bool(session.connection().execute(statement, liveness_values(claims)).scalar())


def live_user(session: Session, claims: TokenClaims) -> User:
    """The caller's account, in one query that also proves the token is live."""
    statement = sqlmodel.select(User).where(User.id == claims.subject, liveness(claims.session_id is not None))
    user = session.exec(statement, params=liveness_values(claims)).first()
    if user is None:
        raise AccountGone
    return user


# --- starting and refreshing ----------------------------------------------------------------


def start(session: Session, user: User, details: SessionStart) -> Grant:
    """A new session for `user` in the caller's transaction (the caller commits). The
    user's sessions that ended are cleared out on the way: a spent refresh token of one of
    them is then unknown, which is a 401 all the same."""
    now = utc_now()
    session.connection().execute(
        delete(_sessions).where(
            _sessions.c.user_id == user.id, or_(_sessions.c.expires_at <= now, _sessions.c.revoked_at.is_not(None))
        )
    )
    session_id = uuid.uuid4()
    expires_at = now + details.refresh_lifetime
    session.connection().execute(
        insert(_sessions).values(
            id=session_id,
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=expires_at,
            user_agent=_user_agent(details.user_agent),
        )
    )
    token = _new_refresh_token(session, session_id, expires_at)
    return Grant(user, session_id, token, expires_at)


def refresh(session: Session, presented: str, lifetime: timedelta) -> Grant:
    """Spend a refresh token for a new one in the same session. A spent token presented
    again means two parties hold it: the whole session is revoked (OAuth 2.0 Security BCP,
    refresh token rotation), and the answer is the same 401 as for an unknown token."""
    now = utc_now()
    found = (
        session.connection()
        .execute(
            select(_refresh_tokens, _sessions.c.user_id, _sessions.c.revoked_at)
            .join(_sessions, _sessions.c.id == _refresh_tokens.c.session_id)
            .where(_refresh_tokens.c.token_hash == refresh_token_hash(presented))
            .with_for_update(of=_refresh_tokens)
        )
        .first()
    )
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        session.rollback()
        raise InvalidRefreshToken
    if found.spent_at is not None:
        _revoke(session, _sessions.c.id == found.session_id, now)
        session.commit()
        raise InvalidRefreshToken
    user = session.get(User, found.user_id)
    if user is None:  # the account went between the two statements
        session.rollback()
        raise InvalidRefreshToken
    session.connection().execute(
        update(_refresh_tokens).where(_refresh_tokens.c.token_hash == found.token_hash).values(spent_at=now)
    )
    # Spent tokens are kept for theft detection only until they would have expired anyway.
    session.connection().execute(
        delete(_refresh_tokens).where(
            _refresh_tokens.c.session_id == found.session_id, _refresh_tokens.c.expires_at <= now
        )
    )
    expires_at = now + lifetime
    session.connection().execute(
        update(_sessions).where(_sessions.c.id == found.session_id).values(last_used_at=now, expires_at=expires_at)
    )
    token = _new_refresh_token(session, found.session_id, expires_at)
    session.commit()
    return Grant(user, found.session_id, token, expires_at)


def _new_refresh_token(session: Session, session_id: uuid.UUID, expires_at: datetime) -> str:
    token = new_refresh_token()
    session.connection().execute(
        insert(_refresh_tokens).values(
            token_hash=refresh_token_hash(token), session_id=session_id, expires_at=expires_at
        )
    )
    return token


def _user_agent(value: str | None) -> str | None:
    if not value:
        return None
    return value.replace("\x00", "")[:USER_AGENT_MAX_CHARS]


# --- listing and ending ---------------------------------------------------------------------


def active_sessions(session: Session, claims: TokenClaims) -> Sequence[Row[Any]]:
    """The caller's sessions that are neither revoked nor expired, newest first."""
    require_live(session, claims)
    return (
        session.connection()
        .execute(
            select(_sessions)
            .where(_sessions.c.user_id == claims.subject, _sessions.c.revoked_at.is_(None))
            .where(_sessions.c.expires_at > utc_now())
            .order_by(_sessions.c.created_at.desc(), _sessions.c.id.desc())
        )
        .all()
    )


def end(session: Session, claims: TokenClaims, session_id: uuid.UUID) -> None:
    """Revoke one of the caller's active sessions (their current one included)."""
    require_live(session, claims)
    now = utc_now()
    revoked = _revoke(
        session,
        (_sessions.c.id == session_id) & (_sessions.c.user_id == claims.subject) & (_sessions.c.expires_at > now),
        now,
    )
    if not revoked:
        session.rollback()
        raise SessionNotFound
    session.commit()


def logout(session: Session, claims: TokenClaims) -> None:
    """End the caller's own session; a token without one has none to end."""
    if claims.session_id is None:
        raise NoSession
    end(session, claims, claims.session_id)


def logout_everywhere(session: Session, claims: TokenClaims) -> None:
    require_live(session, claims)
    end_all(session, claims.subject)
    session.commit()


def end_all(session: Session, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> None:
    """Revoke every session of the user but `keep`, and every token without a session
    issued until now, in the caller's transaction (the caller commits)."""
    now = utc_now()
    condition = _sessions.c.user_id == user_id
    if keep is not None:
        condition &= _sessions.c.id != keep
    _revoke(session, condition, now)
    session.connection().execute(update(_users).where(_users.c.id == user_id).values(tokens_revoked_at=now))


def _revoke(session: Session, condition: ColumnElement[bool], now: datetime) -> int:
    result = session.connection().execute(
        update(_sessions).where(condition, _sessions.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount)


def require_live(session: Session, claims: TokenClaims) -> None:
    if not is_live(session, claims):
        raise AccountGone
