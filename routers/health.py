"""Liveness and readiness, outside `/api` and without a token."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.errors import DATABASE_RETRY_AFTER_SECONDS
from routers.responses import RETRY_AFTER_HEADER

router = APIRouter(prefix="/health", tags=["health"])


# The shapes `ready` answers with, for the OpenAPI document only (it builds its answers itself).
class Ready(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class NotReady(BaseModel):
    status: Literal["unavailable"]
    detail: str


@router.get("", operation_id="health_live", summary="The process is up")
async def live() -> dict[str, str]:
    """200 as long as the process serves requests, without asking the database: for a liveness
    probe, which should restart the process only when this stops answering."""
    return {"status": "ok"}


@router.get(
    "/ready",
    operation_id="health_ready",
    summary="The database answers",
    responses={
        200: {"model": Ready, "description": "The database answers"},
        503: {
            "model": NotReady,
            "description": "The database is unreachable",
            "headers": {"Retry-After": RETRY_AFTER_HEADER},
        },
    },
)
def ready(request: Request) -> JSONResponse:
    """Runs `SELECT 1`: 200 when the database answers, 503 with `Retry-After` when it cannot be
    reached (the process recovers by itself once it is back, so do not restart it for this). For a
    readiness probe or a load balancer's health check."""
    try:
        with request.app.state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse(
            {"status": "unavailable", "detail": "Database unavailable"},
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"status": "ok", "database": "ok"})
