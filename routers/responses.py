"""How routes answer: JSON bodies serialized once, and the errors each route documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy import Row

from models.errors import ErrorResponse

_DESCRIPTIONS = {
    400: "Malformed request: invalid JSON, a missing field or a value out of range",
    401: "Missing, malformed or expired bearer token, or wrong credentials",
    403: "The resource belongs to another user",
    404: "No such resource",
    409: "The username or email is already taken",
    412: "`If-Match` names another version: the body is the task as it is now",
    413: "Request body larger than the configured limit",
    428: "This server requires `If-Match` on task writes (`REQUIRE_IF_MATCH`)",
    429: "Too many attempts; retry after `Retry-After` seconds",
    503: "The database is unreachable; retry after `Retry-After` seconds",
}

RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "Seconds to wait before trying again",
    "required": True,
    "schema": {"type": "integer"},
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The authentication scheme to use: `Bearer`",
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer( |$)"},
        }
    },
    429: {"Retry-After": RETRY_AFTER_HEADER},
    503: {"Retry-After": RETRY_AFTER_HEADER},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """For a route's `responses=`: each code with its description, `ErrorResponse` body and headers."""
    return {code: {"model": ErrorResponse, **_documented(code)} for code in codes}


def error_response_object(code: int) -> dict[str, Any]:
    """The same answer as an OpenAPI response object, for what core/openapi.py adds itself."""
    return {
        **_documented(code),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }


def _documented(code: int) -> dict[str, Any]:
    documented: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
    if code in _HEADERS:
        documented["headers"] = _HEADERS[code]
    return documented


def json_response(model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """The model as JSON, serialized once. A route that returns the model itself has FastAPI
    validate it against `response_model` all over again (which doubles the cost of a page)
    and in a second trip to the thread pool; the declared `response_model` still documents it."""
    return Response(model.model_dump_json(), status_code, headers, media_type="application/json")


def row_fields(row: Row[Any]) -> dict[str, Any]:
    """A row as a dict, for a response model to validate. Pydantic reads a dict in its own
    code but a row's attributes through Python, one call per field: a page of 20 tasks
    validates in a third of the time this way."""
    return dict(zip(row._fields, row, strict=True))


def rows_fields(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """`row_fields` of each row (of one result: the names are read once)."""
    if not rows:
        return []
    names = rows[0]._fields  # a property that builds the tuple on every call
    return [dict(zip(names, row, strict=True)) for row in rows]
