"""The `tasks` table and the task schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, StringConstraints
from pydantic.config import JsonDict
from sqlalchemy import Index, Text
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import Storable, Timestamp, UTCDateTime, utc_now

TITLE_MAX_CHARS = 255
DESCRIPTION_MAX_CHARS = 10_000


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    # Serves the default list query (one owner, newest first, ties by id) from the index.
    __table_args__ = (Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),)

    id: uuid.UUID = Column(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    title: str = Column(max_length=TITLE_MAX_CHARS)
    description: str | None = Column(default=None, sa_type=Text)
    completed: bool = Column(default=False)
    completed_at: datetime | None = Column(default=None, sa_type=UTCDateTime)
    created_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


Title = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS),
    Storable,
    Field(description="1 to 255 characters after trimming surrounding whitespace"),
]
Description = Annotated[StrictStr, StringConstraints(max_length=DESCRIPTION_MAX_CHARS), Storable]

_TASK_EXAMPLE: JsonDict = {"title": "Buy milk", "description": "Two litres, semi-skimmed", "completed": False}


class TaskCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None = None
    completed: StrictBool = False


class TaskReplace(BaseModel):
    """Full replacement: all three fields are required (`description` may be null)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None
    completed: StrictBool


class TaskCompletion(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"completed": False}]})

    completed: StrictBool = True


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
    completed: bool | None = Field(None, description="Only completed (`true`) or open (`false`) tasks")


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int = Field(description="All tasks that match the filter, across pages")
    limit: int
    offset: int
