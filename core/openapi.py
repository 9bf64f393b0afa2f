"""Keep the OpenAPI document truthful: validation failures are 400 here, never 422, and the
answers the middlewares give (before any route runs) are documented on every route they reach."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from core.auth_middleware import is_protected
from core.query_models import SCHEMAS_EXTENSION, order_parameters
from routers.responses import error_response_object

# BodySizeLimitMiddleware answers any request whose declared or sent body is too large.
EVERY_ROUTE = (413,)
# JWTAuthMiddleware answers every `/api/` route but `/api/auth/*`: no valid token, or no database.
PROTECTED_ROUTES = (401, 503)


_VALIDATION_ERROR_REF = "#/components/schemas/HTTPValidationError"


def install_openapi(app: FastAPI, tag_order: tuple[str, ...] = ()) -> None:
    """`tag_order`: the document lists paths by their first tag in this order (and in route
    order within a tag), whatever order the routes are matched in."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _order_paths(schema, tag_order)
            _place_query_models(schema)
            _replace_422_with_400(schema)
            _document_middleware_answers(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operation)
        for path, path_item in schema.get("paths", {}).items()
        for operation in path_item.values()
        if isinstance(operation, dict) and "responses" in operation
    ]


def _order_paths(schema: dict[str, Any], tag_order: tuple[str, ...]) -> None:
    def rank(path_item: dict[str, Any]) -> int:
        tags = next((operation.get("tags") for operation in path_item.values() if isinstance(operation, dict)), None)
        tag = tags[0] if tags else None
        return tag_order.index(tag) if tag in tag_order else len(tag_order)

    paths = schema.get("paths", {})
    schema["paths"] = dict(sorted(paths.items(), key=lambda item: rank(item[1])))


def _place_query_models(schema: dict[str, Any]) -> None:
    # Parameters of a QueryModel come in through `openapi_extra`, after the route's own:
    # put them in FastAPI's order, and their schemas among the components.
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for _path, operation in _operations(schema):
        components.update(operation.pop(SCHEMAS_EXTENSION, {}))
        if "parameters" in operation:
            operation["parameters"] = order_parameters(operation["parameters"])
    schema["components"]["schemas"] = dict(sorted(components.items()))


def _replace_422_with_400(schema: dict[str, Any]) -> None:
    # FastAPI's own 422 (validation) only: a route's declared 422 (a reused Idempotency-Key)
    # is a real answer and stays.
    for _path, operation in _operations(schema):
        responses = operation["responses"]
        if _VALIDATION_ERROR_REF in str(responses.get("422")):
            del responses["422"]
            responses.setdefault("400", error_response_object(400))
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _document_middleware_answers(schema: dict[str, Any]) -> None:
    for path, operation in _operations(schema):
        codes = EVERY_ROUTE + (PROTECTED_ROUTES if is_protected(path) else ())
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(str(code), error_response_object(code))
        operation["responses"] = dict(sorted(responses.items()))
