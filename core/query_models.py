"""Query parameters read into a Pydantic model in one call, and documented as FastAPI would.

FastAPI reads an `Annotated[Model, Query()]` parameter field by field in Python: for the
task list's 14 parameters that is some 700,000 instructions a request, a ninth of the whole
list. Pydantic validates the same query string in one call for 3% of that. The route then
takes `Annotated[Model, Depends(QueryModel(Model))]`, which FastAPI cannot describe, so the
OpenAPI document gets the very parameters FastAPI writes for `Query()`: generated once from
the model by FastAPI itself (`parameters`, `schemas`), merged in by core/openapi.py."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Generic, TypeVar, get_origin

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

# Where in an operation's parameter list each kind goes, as FastAPI orders them.
PARAMETER_ORDER = {"path": 0, "query": 1, "header": 2, "cookie": 3}
# An operation's extension that carries the component schemas its parameters refer to, until
# core/openapi.py moves them into the document's components.
SCHEMAS_EXTENSION = "x-query-model-schemas"

M = TypeVar("M", bound=BaseModel)


class QueryModel(Generic[M]):
    """A dependency that validates the request's query string as `model`. Only for models
    of single values: a repeated parameter counts once (its last value), as for FastAPI."""

    def __init__(self, model: type[M]) -> None:
        for name, field in model.model_fields.items():
            if get_origin(field.annotation) in (list, set, tuple, frozenset):
                raise TypeError(f"{model.__name__}.{name}: a query model here takes single values only")
        self.model = model

    # `async` on purpose: a sync dependency would cost a trip to the thread pool.
    async def __call__(self, request: Request) -> M:
        try:
            return self.model.model_validate(dict(request.query_params))
        except ValidationError as error:
            # FastAPI's shape: each error's location starts with "query".
            errors = error.errors(include_url=False)
            raise RequestValidationError([{**item, "loc": ("query", *item["loc"])} for item in errors]) from None

    @property
    def openapi_extra(self) -> dict[str, Any]:
        """For the route's `openapi_extra`: the parameter objects FastAPI writes for `Query()`
        of this model, and the component schemas they refer to (enums, for example)."""
        parameters, schemas = _documented(self.model)
        return {"parameters": parameters, SCHEMAS_EXTENSION: schemas}


@functools.cache
def _documented(model: type[BaseModel]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    probe = FastAPI()

    def read(params: Any) -> None:
        """Never called: it only makes FastAPI describe the model's parameters."""

    # Set here rather than written above, where this module's postponed annotations would
    # leave FastAPI the string "Annotated[model, Query()]" with no `model` to resolve.
    read.__annotations__ = {"params": Annotated[model, Query()], "return": None}
    probe.get("/")(read)

    document = probe.openapi()
    parameters: list[dict[str, Any]] = document["paths"]["/"]["get"]["parameters"]
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):  # the probe's own 422
        schemas.pop(unused, None)
    return parameters, schemas


def order_parameters(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Path, query, header, cookie, as FastAPI lists them (a stable sort)."""
    return sorted(parameters, key=lambda parameter: PARAMETER_ORDER.get(parameter.get("in", ""), len(PARAMETER_ORDER)))
