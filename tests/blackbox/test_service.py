"""Outside the task routes: health, CORS preflights and the OpenAPI document."""

from __future__ import annotations

import uuid

import httpx

FRONTEND_ORIGIN = "http://localhost:5173"  # a default CORS origin (the Vite dev server)


def test_health_answers_200_ok(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


def test_ready_answers_200_when_the_database_answers(api: httpx.Client) -> None:
    response = api.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


def test_cors_preflight_from_the_frontend_needs_no_token(api: httpx.Client) -> None:
    response = api.options(
        f"/api/{uuid.uuid4()}/tasks",
        headers={
            "Origin": FRONTEND_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


def test_openapi_documents_400_for_validation_and_422_only_for_a_reused_idempotency_key(api: httpx.Client) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200, response.text
    schema = response.json()
    operations = [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert operations
    with_422 = {f"{method} {path}" for method, path, operation in operations if "422" in operation["responses"]}
    assert with_422 == {"POST /api/{user_id}/tasks", "POST /api/{user_id}/tasks/bulk"}
    assert "HTTPValidationError" not in response.text
    create = schema["paths"]["/api/{user_id}/tasks"]["post"]
    assert "400" in create["responses"]
