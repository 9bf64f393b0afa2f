"""Domain errors: what went wrong in the rules, with no idea of HTTP."""

from __future__ import annotations


class DomainError(Exception):
    message = "The request cannot be completed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class AlreadyTaken(DomainError):
    message = "Username or email is already taken"


class InvalidCredentials(DomainError):
    message = "Invalid username/email or password"


class AccountGone(DomainError):
    # Its account was deleted or its session revoked: the token is no longer valid.
    message = "Invalid or expired token"


class InvalidRefreshToken(DomainError):
    message = "Invalid or expired refresh token"


class SessionNotFound(DomainError):
    message = "Session not found"


class WrongPassword(DomainError):
    message = "Current password is incorrect"


class NoSession(DomainError):
    message = "This token has no session to end; use /api/auth/logout-all"


class TaskNotFound(DomainError):
    message = "Task not found"


class TaskContended(DomainError):
    message = "The task is being changed by many requests at once; retry shortly"
    retry_after = 1


class NotTaskOwner(DomainError):
    message = "This task belongs to another user"


class TooManyAttempts(DomainError):
    message = "Too many attempts, try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class InvalidCursor(DomainError):
    message = "Invalid cursor: it is malformed or was altered"


class CursorMismatch(InvalidCursor):
    message = "This cursor belongs to a list with another sort, order or filters (or another user)"


class InvalidSyncToken(InvalidCursor):
    message = "Invalid since token: it is malformed, was altered, or is another user's; pass a next_since you got"


class SyncTokenExpired(DomainError):
    message = "This since token is older than the trash retention: sync from scratch (leave since out)"


class VersionMismatch(DomainError):
    """The task is not at the version the write was conditioned on (`If-Match`)."""

    message = "The task has changed since you read it (its version does not match If-Match)"

    def __init__(self, current: object) -> None:
        super().__init__()
        self.current = current  # the task as it is now, for the client to merge with


class IdempotencyKeyInFlight(DomainError):
    message = "A request with this Idempotency-Key is still being processed; retry shortly"


class IdempotencyKeyReused(DomainError):
    message = "This Idempotency-Key was used with a different request body"
