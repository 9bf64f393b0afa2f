"""The `rate_limits` table: attempt counters shared by every worker and replica."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import UTCDateTime


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limits"

    key: str = Column(primary_key=True, max_length=320)
    hits: int
    window_ends_at: datetime = Column(sa_type=UTCDateTime, nullable=False, index=True)
