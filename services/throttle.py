"""Attempt limits counted in the database, so they hold across workers and replicas."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal
from sqlmodel import Session

from models.common import UTCDateTime, utc_now
from models.rate_limit import RateLimitCounter
from services.errors import TooManyAttempts
from services.sql import upsert_insert

_table = RateLimitCounter.__table__  # type: ignore[attr-defined]
PURGE_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Limit:
    max_hits: int  # 0 turns the limit off
    window: timedelta

    @property
    def enabled(self) -> bool:
        return self.max_hits > 0


class Throttle:
    """Fixed windows: the first hit opens a window of `limit.window`; past `max_hits`
    within it, every attempt is refused until the window ends."""

    def __init__(self, login: Limit, signup: Limit) -> None:
        self.login = login
        self.signup = signup
        self._next_purge = datetime.min.replace(tzinfo=utc_now().tzinfo)

    def hit(self, session: Session, key: str, limit: Limit) -> None:
        """Count one attempt, atomically; raise TooManyAttempts when it is one too many."""
        if not limit.enabled:
            return
        now = utc_now()
        self._purge_expired(session, now)
        hits, window_ends_at = session.execute(_upsert(session, key, now, now + limit.window)).one()
        session.commit()
        if hits > limit.max_hits:
            raise TooManyAttempts(retry_after=max(1, math.ceil((window_ends_at - now).total_seconds())))

    def clear(self, session: Session, key: str, limit: Limit) -> None:
        if not limit.enabled:
            return
        session.execute(delete(_table).where(_table.c.key == key))
        session.commit()

    def _purge_expired(self, session: Session, now: datetime) -> None:
        # Keys of unknown logins would pile up otherwise; once a minute per process is plenty.
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_INTERVAL
        session.execute(delete(_table).where(_table.c.window_ends_at <= literal(now, UTCDateTime)))


def _upsert(session: Session, key: str, now: datetime, new_window_end: datetime) -> Any:
    expired = _table.c.window_ends_at <= literal(now, UTCDateTime)
    new_end = literal(new_window_end, UTCDateTime)
    return (
        upsert_insert(session.get_bind().dialect.name, _table)
        .values(key=key, hits=1, window_ends_at=new_end)
        .on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "hits": case((expired, 1), else_=_table.c.hits + 1),
                "window_ends_at": case((expired, new_end), else_=_table.c.window_ends_at),
            },
        )
        .returning(_table.c.hits, _table.c.window_ends_at)
    )
