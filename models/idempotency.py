"""The `idempotency_keys` table: the first answer to a request sent with an `Idempotency-Key`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    """Written in the same transaction as the request's effect, so that there is never a
    task without its key or a key without its task. Keys are the caller's and the route's."""

    __tablename__ = "idempotency_keys"

    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    route: str = Column(primary_key=True, max_length=64)
    key: str = Column(primary_key=True, max_length=255)
    # SHA-256 of the request body as a JSON value (key order and spacing ignored).
    fingerprint: str = Column(max_length=64)
    status_code: int
    body: str = Column(sa_type=Text)
    headers: dict[str, Any] = Column(default_factory=dict, sa_type=JSON)
    created_at: datetime = Column(sa_type=UTCDateTime, nullable=False)
