"""The OpenAPI document is complete enough to learn the API from /docs, and to generate clients
and the Postman collection from it: every operation is tagged, summarized, described and named
by a short, hand-chosen id; every request body has an example; every error answer documents
its `detail`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from main import app

# Hand-written (never FastAPI's generated `live_health_get`), so renaming a function or moving a
# path does not rename the operation under the clients and the Postman collection built from it.
OPERATION_ID = re.compile(r"^[a-z]+(_[a-z]+)*$")
OPERATION_ID_MAX_CHARS = 32
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

DOCUMENT: dict[str, Any] = app.openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]
NAMES = [name for name, _operation in OPERATIONS]
# (path, route): the routes of included routers too, with their prefixed paths.
ROUTES = [
    (context.path or "", context.original_route)
    for context in iter_route_contexts(app.routes)
    if isinstance(context.original_route, APIRoute) and context.original_route.include_in_schema
]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = DOCUMENT["components"]["schemas"][name]
    return schema


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and, for `anyOf`/`oneOf`/`allOf`, each of its parts, resolved."""
    schema = resolve(schema)
    parts = [resolve(part) for key in ("anyOf", "oneOf", "allOf") for part in schema.get(key, [])]
    return [schema, *parts]


def test_the_document_has_operations() -> None:
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=NAMES)
def test_every_operation_has_a_tag(name: str, operation: dict[str, Any]) -> None:
    assert operation.get("tags"), f"{name} has no tag"


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=NAMES)
def test_every_operation_has_a_summary(name: str, operation: dict[str, Any]) -> None:
    assert operation.get("summary", "").strip(), f"{name} has no summary"


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=NAMES)
def test_every_operation_has_a_description_beyond_its_summary(name: str, operation: dict[str, Any]) -> None:
    description = operation.get("description", "").strip()

    assert description, f"{name} has no description (the route function's docstring)"
    assert description != operation["summary"].strip(), f"{name}: the description repeats the summary"


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=NAMES)
def test_every_operation_id_is_short_snake_case(name: str, operation: dict[str, Any]) -> None:
    operation_id = operation.get("operationId", "")

    assert OPERATION_ID.match(operation_id), f"{name}: operationId {operation_id!r}"
    assert len(operation_id) <= OPERATION_ID_MAX_CHARS, f"{name}: operationId {operation_id!r} is too long"


def label(path: str, route: APIRoute) -> str:
    return f"{' '.join(sorted(route.methods or ()))} {path}"


@pytest.mark.parametrize(("path", "route"), ROUTES, ids=[label(path, route) for path, route in ROUTES])
def test_every_operation_id_is_chosen_by_hand(path: str, route: APIRoute) -> None:
    assert route.operation_id, f"{label(path, route)}: set operation_id= on the route"


def test_every_documented_operation_comes_from_a_route_checked_above() -> None:
    assert len(ROUTES) == len(OPERATIONS)


def test_operation_ids_are_unique() -> None:
    ids = [operation.get("operationId") for _name, operation in OPERATIONS]

    assert len(ids) == len(set(ids))


BODIES = [(name, operation) for name, operation in OPERATIONS if "requestBody" in operation]


@pytest.mark.parametrize(("name", "operation"), BODIES, ids=[name for name, _operation in BODIES])
def test_every_request_body_has_an_example(name: str, operation: dict[str, Any]) -> None:
    content = operation["requestBody"]["content"]
    assert content, f"{name}: a request body without a media type"
    for media_type, media in content.items():
        in_media_type = "example" in media or bool(media.get("examples"))
        in_schema = any("example" in part or part.get("examples") for part in alternatives(media.get("schema", {})))
        assert in_media_type or in_schema, f"{name}: {media_type} body has no example"


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=NAMES)
def test_every_error_answer_documents_its_detail(name: str, operation: dict[str, Any]) -> None:
    # 4xx and 5xx: a 304 has no body by definition (RFC 9110, 15.4.5).
    errors = {code: answer for code, answer in operation["responses"].items() if code[0] in "45"}
    assert errors, f"{name} documents no error answer"
    for code, answer in errors.items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        assert schema, f"{name} {code}: no JSON body documented"
        parts = alternatives(schema)
        properties = {key for part in parts for key in part.get("properties", {})}
        required = {key for part in parts for key in part.get("required", [])}
        assert "detail" in properties & required, f"{name} {code}: the body's schema has no required `detail`"


def test_the_document_reads_auth_then_tasks_then_health_whatever_order_routes_are_matched_in() -> None:
    first_tags = [next(iter(item.values()))["tags"][0] for item in DOCUMENT["paths"].values()]

    assert first_tags == sorted(first_tags, key=["auth", "tasks", "health"].index)
    assert first_tags[0] == "auth" and first_tags[-1] == "health"
