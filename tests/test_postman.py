"""The committed Postman collection is the one the routes generate (`make postman` after any
route change), and it works as a walk-through: signing up or logging in stores the token that
the protected requests send."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts.postman import BASE_URL, OUTPUT, build_collection, openapi_document, render

DOCUMENT = openapi_document()
COLLECTION = build_collection(DOCUMENT)
METHODS = {"get", "put", "post", "delete", "patch"}
OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]


def requests_of(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for folder in collection["item"] for item in folder["item"]]


def request_for(operation_summary: str) -> dict[str, Any]:
    return next(item for item in requests_of(COLLECTION) if item["name"] == operation_summary)


def operation(operation_id: str) -> dict[str, Any]:
    return next(found for _method, _path, found in OPERATIONS if found["operationId"] == operation_id)


def test_the_committed_collection_is_what_the_routes_generate() -> None:
    committed = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""

    assert committed == render(COLLECTION), f"{OUTPUT.name} is stale: run `make postman` and commit it"


def test_the_collection_is_postman_format_2_1() -> None:
    assert COLLECTION["info"]["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def test_the_collection_id_does_not_change_from_one_generation_to_the_next() -> None:
    again = build_collection(openapi_document())

    assert render(again) == render(COLLECTION)


def test_every_operation_is_one_request_named_by_its_summary_in_its_tags_folder() -> None:
    in_folders = sorted(
        (folder["name"], item["name"], item["request"]["method"])
        for folder in COLLECTION["item"]
        for item in folder["item"]
    )
    expected = sorted((found["tags"][0], found["summary"], method) for method, _path, found in OPERATIONS)

    assert in_folders == expected


def test_the_base_url_and_the_token_are_collection_variables() -> None:
    variables = {variable["key"]: variable["value"] for variable in COLLECTION["variable"]}

    assert variables["baseUrl"] == BASE_URL == "http://127.0.0.1:8000"
    assert variables["token"] == ""
    assert all(item["request"]["url"]["raw"].startswith("{{baseUrl}}/") for item in requests_of(COLLECTION))


def test_protected_requests_send_the_token_and_public_ones_send_none() -> None:
    for _method, _path, found in OPERATIONS:
        auth = request_for(found["summary"])["request"]["auth"]
        if found.get("security"):
            assert auth == {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]}
        else:
            assert auth == {"type": "noauth"}, found["operationId"]


@pytest.mark.parametrize("operation_id", ["auth_login", "auth_signup"])
def test_logging_in_or_signing_up_stores_the_access_token(operation_id: str) -> None:
    item = request_for(operation(operation_id)["summary"])
    scripts = [event["script"]["exec"] for event in item["event"] if event["listen"] == "test"]

    assert len(scripts) == 1
    script = "\n".join(scripts[0])
    assert "const body = pm.response.json();" in script
    assert 'pm.collectionVariables.set("token", body.access_token);' in script


def test_path_parameters_are_filled_from_collection_variables() -> None:
    item = request_for(operation("tasks_get")["summary"])
    url = item["request"]["url"]

    assert url["path"] == ["api", ":user_id", "tasks", ":task_id"]
    assert {(variable["key"], variable["value"]) for variable in url["variable"]} == {
        ("user_id", "{{userId}}"),
        ("task_id", "{{taskId}}"),
    }
    assert {"userId", "taskId"} <= {variable["key"] for variable in COLLECTION["variable"]}


def test_every_request_body_is_the_documented_example_as_json() -> None:
    with_bodies = [(method, path, found) for method, path, found in OPERATIONS if "requestBody" in found]
    assert with_bodies
    for _method, _path, found in with_bodies:
        body = request_for(found["summary"])["request"]["body"]
        assert body["mode"] == "raw"
        assert body["raw"], found["operationId"]
        assert isinstance(json.loads(body["raw"]), dict), found["operationId"]


def test_the_login_body_is_the_login_example() -> None:
    body = json.loads(request_for(operation("auth_login")["summary"])["request"]["body"]["raw"])

    assert body == DOCUMENT["components"]["schemas"]["LoginRequest"]["examples"][0]
