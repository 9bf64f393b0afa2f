"""The error body every non-2xx answer has, for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: str | list[ValidationIssue]
