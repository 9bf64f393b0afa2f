"""The error answers each route documents in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from models.errors import ErrorResponse

_DESCRIPTIONS = {
    400: "Malformed request: invalid JSON, a missing field or a value out of range",
    401: "Missing, malformed or expired bearer token, or wrong credentials",
    403: "The resource belongs to another user",
    404: "No such resource",
    409: "The username or email is already taken",
    413: "Request body larger than the configured limit",
    429: "Too many attempts; retry after `Retry-After` seconds",
    503: "The database is unreachable; retry after `Retry-After` seconds",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}
