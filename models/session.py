"""The `sessions` and `refresh_tokens` tables, and the session schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import CleanStr, Timestamp, UTCDateTime, utc_now

USER_AGENT_MAX_CHARS = 512
REFRESH_TOKEN_MAX_CHARS = 256


class LoginSession(SQLModel, table=True):
    """One login (signup, login or change-password) and the refreshes that keep it going.
    Its id is the `sid` claim of every access token it issued; revoking it ends them all."""

    __tablename__ = "sessions"

    id: uuid.UUID = Column(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", nullable=False, index=True)
    created_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    # When its newest refresh token expires; past it, the session is over.
    expires_at: datetime = Column(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Column(default=None, sa_type=UTCDateTime)
    user_agent: str | None = Column(default=None, max_length=USER_AGENT_MAX_CHARS)


class RefreshToken(SQLModel, table=True):
    """Every refresh token a session was given, by the SHA-256 of its value (the value
    itself is never stored). A spent one stays, so that presenting it again is recognized
    as theft; they go with their session."""

    __tablename__ = "refresh_tokens"

    token_hash: str = Column(primary_key=True, max_length=64)
    session_id: uuid.UUID = Column(foreign_key="sessions.id", ondelete="CASCADE", nullable=False, index=True)
    expires_at: datetime = Column(sa_type=UTCDateTime, nullable=False)
    spent_at: datetime | None = Column(default=None, sa_type=UTCDateTime)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "kq3v...opaque"}]})

    refresh_token: CleanStr = Field(
        max_length=REFRESH_TOKEN_MAX_CHARS, description="The `refresh_token` of the last signup, login or refresh"
    )


class SessionPublic(BaseModel):
    id: uuid.UUID
    created_at: Timestamp
    last_used_at: Timestamp
    user_agent: str | None = Field(description="The User-Agent header of the login, if there was one")
    current: bool = Field(description="Whether this is the session of the token making the request")
