"""The `users` table and the authentication schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Index, text
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import (
    CleanStr,
    NulFree,
    SchemaKeys,
    Storable,
    Timestamp,
    UTCDateTime,
    partial_update_schema,
    utc_now,
)

PASSWORD_MIN_CHARS = 8
PASSWORD_MAX_BYTES = 72  # bcrypt's limit; longer is refused, never silently truncated
EMAIL_MAX_CHARS = 254


class User(SQLModel, table=True):
    __tablename__ = "users"
    # Uniqueness without regard to case lives in the database, so that two concurrent
    # signups cannot both pass a check in the application.
    __table_args__ = (
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
    )

    id: uuid.UUID = Column(default_factory=uuid.uuid4, primary_key=True)
    username: str = Column(max_length=32)
    email: str = Column(max_length=EMAIL_MAX_CHARS)
    hashed_password: str = Column(max_length=255)
    created_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    # The last "log out everywhere" or password change: a token without a session (`sid`)
    # is refused unless it was issued in a later second.
    tokens_revoked_at: datetime | None = Column(default=None, sa_type=UTCDateTime)


def _password_rules(value: str) -> str:
    if len(value) < PASSWORD_MIN_CHARS:
        raise ValueError(f"must be at least {PASSWORD_MIN_CHARS} characters")
    if len(value.encode()) > PASSWORD_MAX_BYTES:
        raise ValueError(f"must be at most {PASSWORD_MAX_BYTES} bytes in UTF-8")
    return value


def _normalize_email(value: str) -> str:
    if len(value) > EMAIL_MAX_CHARS:
        raise ValueError(f"must be at most {EMAIL_MAX_CHARS} characters")
    return value.lower()


def confirmation_of(field: str, value: str, info: ValidationInfo) -> str:
    """`value` when it repeats `field` (a field that failed its own rules is not compared)."""
    if field in info.data and value != info.data[field]:
        raise ValueError("passwords do not match")
    return value


Username = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,32}$")]
# email-validator accepts internationalized addresses (`ü@example.com`): `idn-email`, not `email`.
Email = Annotated[
    EmailStr,
    AfterValidator(_normalize_email),
    SchemaKeys({"format": "idn-email", "maxLength": EMAIL_MAX_CHARS}),
]
# 72 bytes cannot be said in JSON Schema: 72 characters is its upper bound (ASCII), the
# description says the rest.
NewPassword = Annotated[
    CleanStr,
    AfterValidator(_password_rules),
    SchemaKeys({"minLength": PASSWORD_MIN_CHARS, "maxLength": PASSWORD_MAX_BYTES}),
]


class SignupRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "ada",
                    "email": "ada@example.com",
                    "password": "correct horse battery",
                    "confirm_password": "correct horse battery",
                }
            ]
        }
    )

    username: Username = Field(description="3 to 32 of A-Z a-z 0-9 _ . -; unique without regard to case")
    email: Email = Field(
        description="A valid address, syntax only (no deliverability check), at most 254 characters; "
        "quoted local parts, IP-literal and special-use domains (`.test`, `localhost`, ...) are refused; "
        "stored lower-cased; unique"
    )
    password: NewPassword = Field(description="At least 8 characters and at most 72 bytes in UTF-8, no NUL character")
    confirm_password: CleanStr = Field(description="The same as `password`")

    @field_validator("confirm_password")
    @classmethod
    def _matches_password(cls, value: str, info: ValidationInfo) -> str:
        return confirmation_of("password", value, info)


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username_or_email": "ada", "password": "correct horse battery"}]}
    )

    username_or_email: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=EMAIL_MAX_CHARS), Storable, NulFree
    ] = Field(description="A username or an email address, in any case")
    # No length rule here: an impossible password is simply a wrong one (401, not 400).
    password: Annotated[str, Field(strict=True, min_length=1)]


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    email: str
    created_at: Timestamp


class AuthResult(BaseModel):
    user: UserPublic
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str = Field(
        description="Opaque and single-use: `POST /api/auth/refresh` trades it for new tokens of the same session"
    )
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires")


class ChangePasswordRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "correct horse battery",
                    "new_password": "staple battery horse",
                    "confirm_password": "staple battery horse",
                }
            ]
        }
    )

    # No rule on the current password: a wrong one of any shape is a 400 that says so.
    current_password: Annotated[str, Field(strict=True, min_length=1)]
    new_password: NewPassword = Field(description="As at signup: 8 characters to 72 bytes in UTF-8, no NUL")
    confirm_password: CleanStr = Field(description="The same as `new_password`")

    @field_validator("confirm_password")
    @classmethod
    def _matches_password(cls, value: str, info: ValidationInfo) -> str:
        return confirmation_of("new_password", value, info)


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra=partial_update_schema(frozenset(), {"email": "ada@example.org"})
    )

    username: Username | None = Field(default=None, description="As at signup")
    email: Email | None = Field(default=None, description="As at signup")

    @model_validator(mode="after")
    def _something_to_change(self) -> ProfileUpdate:
        given = self.model_fields_set & {"username", "email"}
        if not given:
            raise ValueError("give a username, an email or both")
        if any(getattr(self, name) is None for name in given):
            raise ValueError("username and email cannot be null")
        return self


class AccountDeletion(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"password": "correct horse battery"}]})

    password: Annotated[str, Field(strict=True, min_length=1)] = Field(description="The account's password")
