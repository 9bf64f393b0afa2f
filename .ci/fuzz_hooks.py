"""Schemathesis hooks for `.ci/fuzz`.

JSON Schema cannot say that `confirm_password` equals `password`, so nearly every signup the
fuzzer makes up would be a 400 for that alone and the happy path (201, 409) would hardly be
reached. A positive (schema-valid) signup gets `confirm_password` set to its `password`;
negative ones are left as they are, so that what makes them invalid still reaches the server.
"""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook("map_case").apply_to(operation_id="auth_signup")  # type: ignore[attr-defined, untyped-decorator]
def confirm_the_password(_context: Any, case: Any) -> Any:
    meta = case.meta
    body = case.body
    if meta is not None and meta.generation.mode.is_positive and isinstance(body, dict) and "password" in body:
        case.body = {**body, "confirm_password": body["password"]}
    return case
