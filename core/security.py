"""Password hashing, JWT access tokens and opaque refresh tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt
from passlib.context import CryptContext

JWT_ALGORITHM = "HS256"
BCRYPT_MAX_BYTES = 72


class InvalidTokenError(Exception):
    """The bearer token is malformed, badly signed, expired or lacks a claim we need."""


@dataclass(frozen=True)
class TokenClaims:
    subject: uuid.UUID
    issued_at: int | None
    expires_at: int
    # The login session that issued the token (`sid`); None for a token from a companion
    # service that shares the secret, judged by `issued_at` instead (see services/sessions.py).
    session_id: uuid.UUID | None = None


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self._context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=rounds)
        self._dummy_hash = ""

    def warm_up(self) -> None:
        # A real hash of the configured cost, so verifying an unknown user costs what
        # verifying a wrong password does.
        self._dummy_hash = str(self._context.hash("not-a-real-password"))

    def hash(self, password: str) -> str:
        return str(self._context.hash(password))

    def verify(self, password: str, hashed: str) -> bool:
        if not is_verifiable(password):
            self.waste_time()
            return False
        return bool(self._context.verify(password, hashed))

    def waste_time(self) -> None:
        if not self._dummy_hash:
            self.warm_up()
        self._context.verify("not-the-password", self._dummy_hash)


def is_verifiable(password: str) -> bool:
    """bcrypt only sees the first 72 bytes and cannot take NUL; such a password never matches."""
    try:
        encoded = password.encode()
    except UnicodeEncodeError:
        return False
    return 0 < len(encoded) <= BCRYPT_MAX_BYTES and b"\x00" not in encoded


REFRESH_TOKEN_BYTES = 32


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def refresh_token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, secret: str, expire_minutes: int, cache_size: int = 4096) -> None:
        self._secret = secret
        self.lifetime = timedelta(minutes=expire_minutes)
        # A client sends the same token with every request: verify its signature once and
        # remember the claims (only tokens that verified, keyed by the exact token string).
        self._verified = functools.lru_cache(maxsize=cache_size)(self._verify)

    def issue(self, subject: uuid.UUID, session_id: uuid.UUID, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        claims = {
            "sub": str(subject),
            "sid": str(session_id),
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        return str(jwt.encode(claims, self._secret, algorithm=JWT_ALGORITHM))

    def decode(self, token: str) -> TokenClaims:
        claims = self._verified(token)
        if claims.expires_at <= time.time():  # a remembered token expires like any other
            raise InvalidTokenError
        return claims

    def _verify(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[JWT_ALGORITHM],
                options={"require_exp": True, "require_sub": True},
            )
            subject = uuid.UUID(payload["sub"])
            session_id = uuid.UUID(payload["sid"]) if "sid" in payload else None
        except (JWTError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidTokenError from exc
        issued_at = payload.get("iat")
        return TokenClaims(
            subject=subject,
            issued_at=issued_at if isinstance(issued_at, int) else None,
            expires_at=payload["exp"],
            session_id=session_id,
        )
