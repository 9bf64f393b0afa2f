"""The OpenAPI document promises what the app does: the string rules of the request bodies
agree with the models' validation, and every status code and header a route's middlewares
can answer with is documented. (`.ci/fuzz` checks the same against a running server.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from models.task import TaskCreate
from models.user import LoginRequest, SignupRequest

SIGNUP = {"username": "ada", "email": "ada@example.com", "password": "N3w-Passw0rd", "confirm_password": "N3w-Passw0rd"}


@pytest.fixture(scope="module")
def openapi(_session_app: TestClient) -> dict[str, Any]:
    response = _session_app.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, item in openapi["paths"].items() for method, operation in item.items()]


def property_schema(openapi: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = openapi["components"]["schemas"][model]["properties"][name]
    return next((option for option in schema.get("anyOf", []) if option.get("type") == "string"), schema)


def documented(schema: dict[str, Any], value: str) -> bool:
    """Whether `value` satisfies the string keywords the document uses."""
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
        return False
    return "pattern" not in schema or re.search(schema["pattern"], value) is not None


def accepted(model: type[BaseModel], body: dict[str, Any], name: str) -> bool:
    try:
        model.model_validate(body)
    except ValidationError as error:
        return not any(issue["loc"][0] == name for issue in error.errors())
    return True


TITLES = [
    "a",
    " a ",
    "",
    " ",
    "\t\n\r\x0b\x0c",
    "\u3000\u00a0\u2028",
    "\x85",
    "\x1c",  # white space to Python's str.strip(), not to Pydantic: a title
    "\ufeff",  # not white space to Pydantic either
    "a\x00b",
    "\x00",
    "a" * 255,
    "a" * 256,
    " " * 40 + "a" * 255 + "\n" * 40,
    " " * 40 + "a" * 256,
    "a" + " " * 253 + "b",
    "a" + " " * 254 + "b",
    "a\nb",
]


@pytest.mark.parametrize("title", TITLES, ids=[repr(title)[:30] for title in TITLES])
def test_title_pattern_accepts_exactly_what_the_model_accepts(openapi: dict[str, Any], title: str) -> None:
    schema = property_schema(openapi, "TaskCreate", "title")

    assert documented(schema, title) == accepted(TaskCreate, {"title": title}, "title")


TEXTS = ["", "a", "a\x00", "\x00", "plain text\n", "ü" * 8, "a" * 7, "a" * 8, "a" * 72, "a" * 73, "a" * 254, "a" * 255]
# The other fields of a valid body; a confirmation that differs is refused for that alone.
FIELDS = [
    (TaskCreate, "TaskCreate", "description", lambda _text: {"title": "t"}),
    (SignupRequest, "SignupRequest", "password", lambda text: {**SIGNUP, "confirm_password": text}),
    (SignupRequest, "SignupRequest", "confirm_password", lambda text: {**SIGNUP, "password": text}),
    (LoginRequest, "LoginRequest", "username_or_email", lambda _text: {"password": "p"}),
]


@pytest.mark.parametrize("text", TEXTS, ids=[repr(text)[:20] for text in TEXTS])
@pytest.mark.parametrize(
    ("model", "component", "name", "others"), FIELDS, ids=[f"{component}.{name}" for _, component, name, _ in FIELDS]
)
def test_string_rules_match_validation(
    openapi: dict[str, Any],
    model: type[BaseModel],
    component: str,
    name: str,
    others: Callable[[str], dict[str, Any]],
    text: str,
) -> None:
    schema = property_schema(openapi, component, name)

    assert documented(schema, text) == accepted(model, {**others(text), name: text}, name)


def test_every_operation_documents_413(openapi: dict[str, Any]) -> None:
    for path, method, operation in operations(openapi):
        assert "413" in operation["responses"], f"{method.upper()} {path}"


def test_protected_operations_document_401_and_503_with_their_headers(openapi: dict[str, Any]) -> None:
    for path, method, operation in operations(openapi):
        if not path.startswith("/api/") or (path.startswith("/api/auth/") and path != "/api/auth/me"):
            continue
        responses = operation["responses"]
        assert "WWW-Authenticate" in responses["401"]["headers"], f"{method.upper()} {path}"
        assert "Retry-After" in responses["503"]["headers"], f"{method.upper()} {path}"


def test_created_task_documents_its_location(openapi: dict[str, Any]) -> None:
    created = openapi["paths"]["/api/{user_id}/tasks"]["post"]["responses"]["201"]

    assert created["headers"]["Location"]["required"] is True


def test_readiness_documents_both_answers(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"]["/health/ready"]["get"]["responses"]

    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Ready"}
    assert responses["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/NotReady"}
    assert "Retry-After" in responses["503"]["headers"]
