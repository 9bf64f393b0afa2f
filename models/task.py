"""The `tasks` table and the task schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints
from pydantic.config import JsonDict
from sqlalchemy import Index, Text, text
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import NulFree, SchemaKeys, Storable, Timestamp, UTCDateTime, utc_now

TITLE_MAX_CHARS = 255
DESCRIPTION_MAX_CHARS = 10_000


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    # One index per sort key, each ending in the `id` tie-break, so that the first page of
    # any sort is an index range scan however many tasks the owner has (either direction).
    __table_args__ = (
        Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
        Index("ix_tasks_user_id_updated_at_id", "user_id", "updated_at", "id"),
        Index("ix_tasks_user_id_title_lower_id", "user_id", text("lower(title)"), "id"),
        Index("ix_tasks_user_id_completed_id", "user_id", "completed", "id"),
        # The `completed` filter with the default sort.
        Index("ix_tasks_user_id_completed_created_at_id", "user_id", "completed", "created_at", "id"),
    )

    id: uuid.UUID = Column(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    title: str = Column(max_length=TITLE_MAX_CHARS)
    description: str | None = Column(default=None, sa_type=Text)
    completed: bool = Column(default=False)
    completed_at: datetime | None = Column(default=None, sa_type=UTCDateTime)
    created_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


# The title rule in JSON Schema terms, so that the document promises exactly what is
# accepted: surrounding white space (what Pydantic trims: Unicode White_Space), then 1 to
# 255 characters that neither start nor end with it, and no NUL anywhere. A plain
# `maxLength: 255` would be untrue: 300 characters are fine when 45 of them are trimmed.
_WHITE_SPACE = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TITLE_PATTERN = (
    rf"^[{_WHITE_SPACE}]*[^{_WHITE_SPACE}\u0000]"
    rf"(?:[^\u0000]{{0,{TITLE_MAX_CHARS - 2}}}[^{_WHITE_SPACE}\u0000])?[{_WHITE_SPACE}]*$"
)

Title = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS),
    Storable,
    SchemaKeys({"pattern": TITLE_PATTERN}, drop=("minLength", "maxLength")),
    Field(
        description="1 to 255 characters after trimming surrounding white space (stored trimmed); "
        "blank is refused, and so is a NUL character",
        examples=["Buy milk"],
    ),
]
Description = Annotated[
    StrictStr,
    StringConstraints(max_length=DESCRIPTION_MAX_CHARS),
    Storable,
    NulFree,
]
_DESCRIPTION_DOC = "Null, or at most 10,000 characters with no NUL character"

_TASK_EXAMPLE: JsonDict = {"title": "Buy milk", "description": "Two litres, semi-skimmed", "completed": False}


class TaskCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None = Field(None, description=_DESCRIPTION_DOC + "; null when omitted")
    completed: StrictBool = False


class TaskReplace(BaseModel):
    """Full replacement: all three fields are required (`description` may be null)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None = Field(description=_DESCRIPTION_DOC)
    completed: StrictBool


class TaskCompletion(BaseModel):
    """Optional: without a body the task is marked completed."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"completed": False}]})

    completed: StrictBool = Field(True, description="`false` reopens the task")


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    completed_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class TaskSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"
    COMPLETED = "completed"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class TaskListParams(BaseModel):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=2_147_483_647)
    sort: TaskSort = TaskSort.CREATED_AT
    order: SortOrder = SortOrder.DESC
    completed: bool | None = Field(
        None,
        description="Only completed (`true`) or open (`false`) tasks; `1`/`0`, `yes`/`no`, `on`/`off` are accepted too",
    )


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int = Field(description="All tasks that match the filter, across pages")
    limit: int
    offset: int
