"""Schemathesis hooks for `.ci/fuzz`.

JSON Schema cannot say that `confirm_password` equals `password`, so nearly every signup the
fuzzer makes up would be a 400 for that alone and the happy path (201, 409) would hardly be
reached. A positive (schema-valid) signup gets `confirm_password` set to its `password`;
negative ones are left as they are, so that what makes them invalid still reaches the server.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path
from typing import Any

import schemathesis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.conditional import ENTITY_TAGS_PATTERN  # the app's own grammar


@schemathesis.hook("map_case").apply_to(operation_id="auth_signup")  # type: ignore[attr-defined, untyped-decorator]
def confirm_the_password(_context: Any, case: Any) -> Any:
    meta = case.meta
    body = case.body
    if meta is not None and meta.generation.mode.is_positive and isinstance(body, dict) and "password" in body:
        case.body = {**body, "confirm_password": body["password"]}
    return case


def _at_most_20_distinct(tags: list[Any]) -> list[Any]:
    kept: dict[str, Any] = {}
    for tag in tags:
        key = tag.strip().lower() if isinstance(tag, str) else repr(tag)
        if key in kept or len(kept) < 20:
            kept.setdefault(key, tag)
    return [tag for tag in tags if (tag.strip().lower() if isinstance(tag, str) else repr(tag)) in kept]


# JSON Schema cannot say "at most 20 tags, counted without regard to case after trimming" either
# (21 with a duplicate are fine): a positive task body keeps its first 20 distinct tags.
@schemathesis.hook("map_case").apply_to(operation_id="tasks_create")  # type: ignore[attr-defined, untyped-decorator]
def at_most_20_tags_and_a_fresh_key_on_create(_context: Any, case: Any) -> Any:
    return _fresh_idempotency_key(_cap_tags(case))  # (one hook per operation)


@schemathesis.hook("map_case").apply_to(operation_id="tasks_replace")  # type: ignore[attr-defined, untyped-decorator]
def at_most_20_tags_on_replace(_context: Any, case: Any) -> Any:
    return _valid_if_match(_cap_tags(case))  # (one hook per operation)


@schemathesis.hook("map_case").apply_to(operation_id="tasks_update")  # type: ignore[attr-defined, untyped-decorator]
def at_most_20_tags_on_update(_context: Any, case: Any) -> Any:
    return _valid_if_match(_cap_tags(case))  # (one hook per operation)


def _cap_tags(case: Any) -> Any:
    meta = case.meta
    body = case.body
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and isinstance(body, dict) and isinstance(body.get("tags"), list):
        case.body = {**body, "tags": _at_most_20_distinct(body["tags"])}
    return case


# A cursor is only ever one the server issued (signed, bound to its query): any other string
# is a 400 by design, and so is a cursor next to `offset`. A positive list query therefore
# leaves `cursor` out; negative ones keep whatever they made up.
@schemathesis.hook("map_case").apply_to(operation_id="tasks_list")  # type: ignore[attr-defined, untyped-decorator]
def no_made_up_cursor(_context: Any, case: Any) -> Any:
    return _without_query_parameter(case, "cursor")


# The same holds for a delta-sync token (`since`) and a trash cursor: only issued ones are valid.
@schemathesis.hook("map_case").apply_to(operation_id="tasks_changes")  # type: ignore[attr-defined, untyped-decorator]
def no_made_up_since(_context: Any, case: Any) -> Any:
    return _without_query_parameter(case, "since")


@schemathesis.hook("map_case").apply_to(operation_id="tasks_trash")  # type: ignore[attr-defined, untyped-decorator]
def no_made_up_trash_cursor(_context: Any, case: Any) -> Any:
    return _without_query_parameter(case, "cursor")


def _without_query_parameter(case: Any, name: str) -> Any:
    if _is_positive(case) and isinstance(case.query, dict):
        case.query = {key: value for key, value in case.query.items() if key != name}
    return case


# The same Idempotency-Key with another body is a 422 by design (the IETF draft): a positive
# case that reuses a key the fuzzer made up before would be "rejected". Positive creates and
# bulk requests get a fresh key each; negative ones keep what they made up.
def _fresh_idempotency_key(case: Any) -> Any:
    if _is_positive(case) and case.headers is not None and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    return case


@schemathesis.hook("map_case").apply_to(operation_id="tasks_bulk")  # type: ignore[attr-defined, untyped-decorator]
def fresh_key_on_bulk(_context: Any, case: Any) -> Any:
    return _fresh_idempotency_key(case)


# Some phases make up header values without their pattern (`If-Match: 0`), which the server
# refuses as it should (400). A positive write keeps its If-Match only when it is one.
_ENTITY_TAGS = re.compile(ENTITY_TAGS_PATTERN)


def _valid_if_match(case: Any) -> Any:
    headers = case.headers
    positive_with_tags = _is_positive(case) and headers is not None and "If-Match" in headers
    if positive_with_tags and not _ENTITY_TAGS.match(str(headers["If-Match"])):
        del headers["If-Match"]
    return case


@schemathesis.hook("map_case").apply_to(operation_id="tasks_complete")  # type: ignore[attr-defined, untyped-decorator]
def valid_if_match_on_complete(_context: Any, case: Any) -> Any:
    return _valid_if_match(case)


@schemathesis.hook("map_case").apply_to(operation_id="tasks_delete")  # type: ignore[attr-defined, untyped-decorator]
def valid_if_match_on_delete(_context: Any, case: Any) -> Any:
    return _valid_if_match(case)


def _is_positive(case: Any) -> bool:
    return case.meta is not None and bool(case.meta.generation.mode.is_positive)
