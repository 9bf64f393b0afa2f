"""The Postman collection (format v2.1), generated from the app's OpenAPI document.

`make postman` writes `docs/todo-api.postman_collection.json`; tests/test_postman.py fails when
the committed file is not what the routes generate now. One request per operation, named by its
summary, in one folder per tag, with the documented example body. The collection variables are
`baseUrl` and `token` (plus one per path parameter: `userId`, `taskId`, `sessionId`); signup,
login, refresh and change-password store the answer's `access_token` in `token` and the user's id
in `userId`, and a created task's id goes to `taskId`, so that the requests run one after another.

The output is deterministic: stable ordering, no timestamps, and `_postman_id` a hash of the
collection's name, so that importing a new version replaces the old one in Postman."""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = PROJECT_ROOT / "docs" / "todo-api.postman_collection.json"
SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
BASE_URL = "http://127.0.0.1:8000"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The app is built only to read its document: no database is opened, nothing is signed.
_DOCUMENT_ONLY_SECRET = "postman-collection-generation-only-not-a-real-secret"

# Scripts run after a response ("test" scripts): what each stores for the requests that follow.
_STORE_TOKENS = [
    "if (pm.response.code >= 200 && pm.response.code < 300) {",
    "    const body = pm.response.json();",
    '    pm.collectionVariables.set("token", body.access_token);',
    '    pm.collectionVariables.set("userId", body.user.id);',
    "}",
]
_STORE_TASK_ID = [
    "if (pm.response.code === 201) {",
    '    pm.collectionVariables.set("taskId", pm.response.json().id);',
    "}",
]
CREATES_A_TASK = "tasks_create"


def openapi_document() -> dict[str, Any]:
    """The document of an app built with fixed settings, whatever the environment says."""
    os.environ.setdefault("BETTER_AUTH_SECRET", _DOCUMENT_ONLY_SECRET)  # `main` builds its own app on import
    from core.config import Settings
    from main import create_app

    app = create_app(Settings(database_url="sqlite://", secret=_DOCUMENT_ONLY_SECRET))
    return app.openapi()


def camel(name: str) -> str:
    """`user_id` -> `userId`: the collection variable that fills a path parameter."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].removeprefix("#/components/schemas/")]
    return schema


def _schemas(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and each part of its `anyOf`/`oneOf`/`allOf`, resolved."""
    schema = _resolve(document, schema)
    parts = [_resolve(document, part) for key in ("anyOf", "oneOf", "allOf") for part in schema.get(key, [])]
    return [schema, *parts]


def body_example(document: dict[str, Any], media: dict[str, Any]) -> Any:
    """The media type's example, else the first of its `examples`, else its schema's first example."""
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return next(iter(media["examples"].values()))["value"]
    for schema in _schemas(document, media.get("schema", {})):
        if "example" in schema:
            return schema["example"]
        if schema.get("examples"):
            return schema["examples"][0]
    return None


def _answers_with_tokens(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    """Whether a 2xx answer carries an `access_token` (signup, login, refresh, change-password)."""
    return any(
        "access_token" in part.get("properties", {})
        for code, answer in operation.get("responses", {}).items()
        if code.startswith("2")
        for part in _schemas(document, answer.get("content", {}).get("application/json", {}).get("schema", {}))
    )


def _parameter_value(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    for value in (parameter.get("example"), *(schema.get("examples") or [None])[:1], schema.get("default")):
        if value is not None:
            return json.dumps(value) if not isinstance(value, str) else value
    return ""


def _url(path: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    postman_path = re.sub(r"\{(\w+)\}", r":\1", path)
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}" + postman_path,
        "host": ["{{baseUrl}}"],
        "path": postman_path.strip("/").split("/"),
    }
    query = [
        {
            "key": parameter["name"],
            "value": _parameter_value(parameter),
            "description": parameter.get("description", ""),
            "disabled": True,  # optional: tick the ones you want
        }
        for parameter in parameters
        if parameter["in"] == "query"
    ]
    if query:
        url["query"] = query
    variables = [
        {"key": parameter["name"], "value": "{{" + camel(parameter["name"]) + "}}"}
        | ({"description": parameter["description"]} if parameter.get("description") else {})
        for parameter in parameters
        if parameter["in"] == "path"
    ]
    if variables:
        url["variable"] = variables
    return url


def _request_item(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    parameters = operation.get("parameters", [])
    headers: list[dict[str, Any]] = [
        {
            "key": parameter["name"],
            "value": _parameter_value(parameter),
            "description": parameter.get("description", ""),
            "disabled": True,
        }
        for parameter in parameters
        if parameter["in"] == "header"
    ]
    request: dict[str, Any] = {
        "method": method.upper(),
        "description": operation.get("description", ""),
        "url": _url(path, parameters),
    }
    if operation.get("security"):
        request["auth"] = {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]}
    else:
        request["auth"] = {"type": "noauth"}
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is not None:
        headers.insert(0, {"key": "Content-Type", "value": "application/json"})
        example = body_example(document, media)
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(example, indent=2, ensure_ascii=False) if example is not None else "",
            "options": {"raw": {"language": "json"}},
        }
    request["header"] = headers
    item: dict[str, Any] = {"name": operation["summary"], "request": request, "response": []}
    script = []
    if _answers_with_tokens(document, operation):
        script = _STORE_TOKENS
    elif operation.get("operationId") == CREATES_A_TASK:
        script = _STORE_TASK_ID
    if script:
        item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": list(script)}}]
    return item


def build_collection(document: dict[str, Any]) -> dict[str, Any]:
    folders: dict[str, list[dict[str, Any]]] = {}
    path_variables: list[str] = []
    for path, path_item in document["paths"].items():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            folders.setdefault(tag, []).append(_request_item(document, path, method, operation))
            for name in re.findall(r"\{(\w+)\}", path):
                if camel(name) not in path_variables:
                    path_variables.append(camel(name))
    tag_descriptions = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    name = document["info"]["title"]
    variables = [
        {"key": "baseUrl", "value": BASE_URL, "type": "string"},
        {"key": "token", "value": "", "type": "string"},
        *({"key": variable, "value": "", "type": "string"} for variable in path_variables),
    ]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:todo-api:postman-collection:{name}")),
            "name": name,
            "description": document["info"].get("description", ""),
            "schema": SCHEMA_URL,
        },
        "item": [
            {"name": tag, "description": tag_descriptions.get(tag, ""), "item": items} for tag, items in folders.items()
        ],
        "variable": variables,
    }


def render(collection: dict[str, Any]) -> str:
    return json.dumps(collection, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    text = render(build_collection(openapi_document()))
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
