"""Idempotency keys (the IETF Idempotency-Key draft): a request repeated with the same key and
body gets the first answer again, and its effect happens once.

The key, a fingerprint of the body and the answer are written in the same transaction as the
effect, so a crash between the two cannot keep one without the other. While a first request
with a key is running, a repeat is told so (409) instead of waiting: on PostgreSQL each key
takes a transaction-scoped advisory lock, tried without waiting; the primary key on (user,
route, key) settles whatever gets past that (SQLite, which runs one writer at a time)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.security import TokenClaims
from models.common import UTCDateTime, utc_now
from models.idempotency import IdempotencyKey
from services.errors import IdempotencyKeyInFlight, IdempotencyKeyReused

KEY_LIFETIME = timedelta(hours=24)

_keys = IdempotencyKey.__table__  # type: ignore[attr-defined]
_OWN_KEY = (
    _keys.c.user_id == bindparam("user_id"),
    _keys.c.route == bindparam("route"),
    _keys.c.key == bindparam("key"),
)
_FIND = select(_keys).where(*_OWN_KEY)
_INSERT = insert(_keys)
_FORGET_EXPIRED = delete(_keys).where(
    _keys.c.user_id == bindparam("user_id"), _keys.c.created_at <= bindparam("expired_before", type_=UTCDateTime())
)
_TRY_LOCK = select(func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("lock_name"), 0)))


@dataclass(frozen=True)
class StoredAnswer:
    """What a request answered: enough to answer a repeat the same way."""

    status_code: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(body: Any) -> str:
    """The request body as a JSON value: key order and white space do not count."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    session: Session,
    caller: TokenClaims,
    route: str,
    key: str,
    body_fingerprint: str,
    effect: Callable[[], StoredAnswer],
) -> tuple[StoredAnswer, bool]:
    """The answer to the request with `key`, and whether it is a replay. `effect` does the
    request's work in `session` without committing and returns its answer; it runs only if
    no answer is stored for the key. A failing effect (any exception) stores nothing, so the
    key may be used again."""
    names = {"user_id": caller.subject, "route": route, "key": key}
    if session.get_bind().dialect.name == "postgresql":
        locked = session.connection().execute(_TRY_LOCK, {"lock_name": f"{caller.subject}/{route}/{key}"}).scalar()
        if not locked:
            session.rollback()
            raise IdempotencyKeyInFlight
    now = utc_now()
    stored = session.connection().execute(_FIND, names).first()
    if stored is not None and stored.created_at > now - KEY_LIFETIME:
        session.rollback()
        if stored.fingerprint != body_fingerprint:
            raise IdempotencyKeyReused
        return StoredAnswer(stored.status_code, stored.body, dict(stored.headers)), True
    # Expired keys of this user go now, this one among them.
    session.connection().execute(_FORGET_EXPIRED, {"user_id": caller.subject, "expired_before": now - KEY_LIFETIME})
    answer = effect()
    record = {
        **names,
        "fingerprint": body_fingerprint,
        "status_code": answer.status_code,
        "body": answer.body,
        "headers": answer.headers,
        "created_at": now,
    }
    try:
        session.connection().execute(_INSERT, record)
        session.commit()
    except IntegrityError:  # the same key, committed by a concurrent request meanwhile
        session.rollback()
        raise IdempotencyKeyInFlight from None
    return answer, False
