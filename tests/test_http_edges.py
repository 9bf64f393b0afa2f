"""HTTP edges: CORS, the body size limit, the OpenAPI document, unexpected errors and an
unreachable database."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from main import create_app
from tests.support import DEFAULT_PASSWORD, Account, Database, make_token, settings_for

ALLOWED_ORIGIN = "http://localhost:5173"
DISALLOWED_ORIGIN = "http://evil.example"
LIMIT = 1000
UNREACHABLE_DATABASE = "postgresql+psycopg2://postgres@127.0.0.1:1/none"

MakeClient = Callable[..., TestClient]


def preflight(client: TestClient, url: str, origin: str) -> Any:
    return client.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def header_values(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


# CORS


def test_preflight_from_an_allowed_origin_needs_no_token(client: TestClient) -> None:
    response = preflight(client, f"/api/{uuid.uuid4()}/tasks", ALLOWED_ORIGIN)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "post" in header_values(response.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type"} <= header_values(response.headers["Access-Control-Allow-Headers"])


def test_preflight_from_a_disallowed_origin_gets_no_allow_origin(client: TestClient) -> None:
    response = preflight(client, f"/api/{uuid.uuid4()}/tasks", DISALLOWED_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response.headers


def test_request_from_a_disallowed_origin_gets_no_allow_origin(client: TestClient, alice: Account) -> None:
    response = client.get(alice.tasks_url, headers={**alice.headers, "Origin": DISALLOWED_ORIGIN})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_401_to_an_allowed_origin_carries_allow_origin(client: TestClient) -> None:
    response = client.get(f"/api/{uuid.uuid4()}/tasks", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_location_is_exposed_to_the_browser_on_create(client: TestClient, alice: Account) -> None:
    response = client.post(
        alice.tasks_url, json={"title": "Buy milk"}, headers={**alice.headers, "Origin": ALLOWED_ORIGIN}
    )

    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "location" in header_values(response.headers["Access-Control-Expose-Headers"])


def test_a_preflight_for_a_conditional_write_allows_if_match(client: TestClient) -> None:
    response = client.options(
        f"/api/{uuid.uuid4()}/tasks/{uuid.uuid4()}",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match, if-none-match",
        },
    )

    assert response.status_code == 200
    assert {"if-match", "if-none-match"} <= header_values(response.headers["Access-Control-Allow-Headers"])


def test_etag_is_exposed_to_the_browser(client: TestClient, alice: Account) -> None:
    response = client.post(
        alice.tasks_url, json={"title": "Buy milk"}, headers={**alice.headers, "Origin": ALLOWED_ORIGIN}
    )

    assert response.headers["ETag"] == '"1"'
    assert "etag" in header_values(response.headers["Access-Control-Expose-Headers"])


# Body size limit


@pytest.fixture
def limited(make_client: MakeClient, database: Database) -> TestClient:
    return make_client(settings_for(database, max_body_bytes=LIMIT))


def json_headers(account: Account) -> dict[str, str]:
    return {**account.headers, "Content-Type": "application/json"}


def task_body_of_exactly(size: int) -> bytes:
    empty = json.dumps({"title": "at the limit", "description": ""}).encode()
    body = json.dumps({"title": "at the limit", "description": "d" * (size - len(empty))}).encode()
    assert len(body) == size
    return body


def assert_too_large(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


def test_declared_body_over_the_limit_is_413(limited: TestClient, alice: Account) -> None:
    response = limited.post(alice.tasks_url, content=task_body_of_exactly(LIMIT + 1), headers=json_headers(alice))

    assert_too_large(response)


def test_chunked_body_over_the_limit_is_413(limited: TestClient, alice: Account) -> None:
    body = task_body_of_exactly(LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        yield body[:600]
        yield body[600:]

    response = limited.post(alice.tasks_url, content=chunks(), headers=json_headers(alice))

    assert "content-length" not in response.request.headers
    assert_too_large(response)


def test_body_at_the_limit_is_accepted(limited: TestClient, alice: Account) -> None:
    response = limited.post(alice.tasks_url, content=task_body_of_exactly(LIMIT), headers=json_headers(alice))

    assert response.status_code == 201, response.text


def test_oversized_body_creates_nothing(limited: TestClient, alice: Account) -> None:
    limited.post(alice.tasks_url, content=task_body_of_exactly(LIMIT + 1), headers=json_headers(alice))

    assert limited.get(alice.tasks_url, headers=alice.headers).json()["total"] == 0


def test_oversized_signup_is_413(limited: TestClient) -> None:
    body = {"username": "big", "email": "big@example.com", "password": DEFAULT_PASSWORD, "pad": "x" * LIMIT}

    assert_too_large(limited.post("/api/auth/signup", json=body))


def test_oversized_body_without_a_token_is_401(limited: TestClient, alice: Account) -> None:
    response = limited.post(
        alice.tasks_url, content=task_body_of_exactly(LIMIT + 1), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401


# OpenAPI document


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_openapi_documents_422_only_for_a_reused_idempotency_key(openapi: dict[str, Any]) -> None:
    with_422 = {name for name, operation in operations(openapi) if "422" in operation["responses"]}

    assert with_422 == {"POST /api/{user_id}/tasks", "POST /api/{user_id}/tasks/bulk"}
    for path in ("/api/{user_id}/tasks", "/api/{user_id}/tasks/bulk"):
        assert "Idempotency-Key" in openapi["paths"][path]["post"]["responses"]["422"]["description"]
    assert "HTTPValidationError" not in json.dumps(openapi)


def test_openapi_documents_400_with_a_detail_string_or_list(openapi: dict[str, Any]) -> None:
    checked = 0
    for name, operation in operations(openapi):
        if "requestBody" not in operation and not operation.get("parameters"):
            continue
        assert "400" in operation["responses"], f"{name} does not document 400"
        schema = resolve(openapi, operation["responses"]["400"]["content"]["application/json"]["schema"])
        detail = resolve(openapi, schema["properties"]["detail"])
        kinds = {resolve(openapi, option).get("type") for option in detail.get("anyOf", [detail])}
        assert kinds & {"string", "array"}, f"{name}: 400 detail is {detail}"
        assert kinds <= {"string", "array"}, f"{name}: 400 detail is {detail}"
        checked += 1
    assert checked >= 8  # signup, login and the six task operations


def test_openapi_declares_an_http_bearer_scheme(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"].values()

    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes)


def test_task_operations_require_the_bearer_scheme(openapi: dict[str, Any]) -> None:
    bearer = {n for n, s in openapi["components"]["securitySchemes"].items() if s["type"] == "http"}

    for name, operation in operations(openapi):
        if name.split(" ")[1].startswith("/api/{user_id}/"):
            assert {key for requirement in operation.get("security", []) for key in requirement} & bearer, name


def test_docs_answers_200(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]


# Unexpected errors: a plain client, outside the fixtures' 5xx watch, since a 500 is the point


@pytest.fixture
def failing_app(database: Database) -> FastAPI:
    app = create_app(settings_for(database))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom: internal detail that must not leak")

    return app


def test_unexpected_error_is_500_without_a_stack_trace(failing_app: FastAPI) -> None:
    response = TestClient(failing_app, raise_server_exceptions=False).get("/boom")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert "kaboom" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_error_is_logged(failing_app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)

    TestClient(failing_app, raise_server_exceptions=False).get("/boom")

    assert any(record.exc_info and "kaboom" in str(record.exc_info[1]) for record in caplog.records)


def test_unexpected_error_carries_cors_headers(failing_app: FastAPI) -> None:
    client = TestClient(failing_app, raise_server_exceptions=False)

    response = client.get("/boom", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


# Database unreachable


@pytest.fixture
def unreachable(make_client: MakeClient, database: Database) -> TestClient:
    return make_client(settings_for(database, database_url=UNREACHABLE_DATABASE))


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["detail"]


@pytest.mark.allow_unavailable
def test_health_stays_200_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    response = unreachable.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.allow_unavailable
def test_ready_is_503_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    assert_unavailable(unreachable.get("/health/ready"))


@pytest.mark.allow_unavailable
def test_signup_is_503_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    body = {"username": "carol", "email": "carol@example.com", "password": DEFAULT_PASSWORD}

    assert_unavailable(unreachable.post("/api/auth/signup", json={**body, "confirm_password": DEFAULT_PASSWORD}))


@pytest.mark.allow_unavailable
def test_task_route_is_503_when_the_database_is_unreachable(unreachable: TestClient) -> None:
    user_id = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {make_token(user_id)}"}

    assert_unavailable(unreachable.get(f"/api/{user_id}/tasks", headers=headers))
