"""The floor for the list in this stack: a sync `def` route that does only the unavoidable
part of `GET /api/{user_id}/tasks` (one pooled PostgreSQL connection without a transaction,
from an engine made as the app's reads' engine is; the same page query on the same index;
20 rows through a response model into JSON), served by uvicorn as the baseline is. No
token, no middleware, no request log, no parameter validation, no total, no owner check.
The app's list can only be slower than this; the ratio between the two is what all of
that costs."""

from __future__ import annotations

import os
import uuid
from datetime import datetime

import uvicorn
from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import bindparam, desc, select
from sqlmodel import Session

from core.db import create_db_engine
from models.task import Task

tasks = Task.__table__  # type: ignore[attr-defined]
engine = create_db_engine(os.environ["DATABASE_URL"], autocommit=True)
PAGE = (
    select(tasks)
    .where(tasks.c.user_id == bindparam("owner_id"))
    .order_by(desc(tasks.c.created_at), desc(tasks.c.id))
    .limit(20)
)


class TaskOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    priority: int  # the app names it; a floor need not
    tags: list[str]
    version: int


class PageOut(BaseModel):
    items: list[TaskOut]


app = FastAPI(title="Benchmark floor")


@app.get("/")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/tasks/{owner_id}")
def page(owner_id: uuid.UUID) -> Response:
    with Session(engine) as session:
        rows = session.connection().execute(PAGE, {"owner_id": owner_id}).all()
    # As the app does (routers/responses.py): rows as dicts, which Pydantic reads in its own code.
    names = rows[0]._fields if rows else ()
    items = [dict(zip(names, row, strict=True)) for row in rows]
    body = PageOut.model_validate({"items": items}).model_dump_json()
    return Response(body, media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ["PORT"]), proxy_headers=False)
