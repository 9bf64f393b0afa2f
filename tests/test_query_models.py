"""core/query_models.py: a query string read into a model in one validation, documented and
answered as FastAPI's own `Query()` model would be."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from core.openapi import install_openapi
from core.query_models import QueryModel
from models.task import TaskListParams


class Window(BaseModel):
    size: int = Field(10, ge=1, le=50, description="How many")
    label: str | None = None


WINDOW = QueryModel(Window)
LISTING = QueryModel(TaskListParams)


def two_routes() -> FastAPI:
    app = FastAPI()

    @app.get("/ours", openapi_extra=WINDOW.openapi_extra)
    async def ours(params: Annotated[Window, Depends(WINDOW)]) -> dict[str, Any]:
        return params.model_dump()

    @app.get("/fastapis")
    async def fastapis(params: Annotated[Window, Query()]) -> dict[str, Any]:
        return params.model_dump()

    return app


def operation(app: FastAPI, path: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["paths"][path]["get"]
    return found


def test_the_parameters_are_documented_as_fastapi_documents_a_query_model() -> None:
    app = two_routes()
    install_openapi(app)

    assert operation(app, "/ours")["parameters"] == operation(app, "/fastapis")["parameters"]
    assert "x-query-model-schemas" not in operation(app, "/ours")


@pytest.mark.parametrize("query", ["", "size=7&label=x", "size=0", "size=abc", "size=51&label=", "size=3&size=4"])
def test_answers_are_those_of_fastapis_query_model(query: str) -> None:
    client = TestClient(two_routes())

    ours, fastapis = client.get(f"/ours?{query}"), client.get(f"/fastapis?{query}")

    assert (ours.status_code, ours.json()) == (fastapis.status_code, fastapis.json())


def test_the_enums_a_parameter_refers_to_become_components() -> None:
    app = FastAPI()

    @app.get("/tasks", openapi_extra=LISTING.openapi_extra)
    async def tasks(params: Annotated[TaskListParams, Depends(LISTING)]) -> None:
        return None

    install_openapi(app)
    schema = app.openapi()

    assert {"TaskSort", "SortOrder", "Priority"} <= set(schema["components"]["schemas"])
    assert [parameter["in"] for parameter in schema["paths"]["/tasks"]["get"]["parameters"]] == ["query"] * len(
        TaskListParams.model_fields
    )


def test_a_model_with_a_list_field_is_refused() -> None:
    class Tags(BaseModel):
        tag: list[str] = []

    with pytest.raises(TypeError, match="single values"):
        QueryModel(Tags)
