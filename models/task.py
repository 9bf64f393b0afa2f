"""The `tasks` table and the task schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict
from sqlalchemy import JSON, BigInteger, Index, SmallInteger, Text, text
from sqlmodel import Field as Column
from sqlmodel import SQLModel

from models.common import (
    InputTimestamp,
    NulFree,
    SchemaKeys,
    Storable,
    Timestamp,
    UTCDateTime,
    partial_update_schema,
    utc_now,
)

TITLE_MAX_CHARS = 255
DESCRIPTION_MAX_CHARS = 10_000


class _TaskColumns(SQLModel):
    """What a task is, live (`tasks`) or in the trash (`trashed_tasks`)."""

    id: uuid.UUID = Column(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    title: str = Column(max_length=TITLE_MAX_CHARS)
    description: str | None = Column(default=None, sa_type=Text)
    completed: bool = Column(default=False)
    completed_at: datetime | None = Column(default=None, sa_type=UTCDateTime)
    created_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Column(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    due_at: datetime | None = Column(default=None, sa_type=UTCDateTime)
    # 0 to 3 for none, low, medium, high: sorts by importance, stays small in every index.
    priority: int = Column(default=0, sa_type=SmallInteger, nullable=False, sa_column_kwargs={"server_default": "0"})
    # As returned: distinct without regard to case, sorted. A list on the row, so that a page
    # of tasks comes back with its tags in the one query it runs.
    tags: list[str] = Column(
        default_factory=list, sa_type=JSON, nullable=False, sa_column_kwargs={"server_default": "[]"}
    )
    # 1 at creation, plus one on every write that changes something.
    version: int = Column(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    # The owner's change counter (`task_totals.changes`) as this task's last write left it:
    # delta sync reads the tasks written after a position in this order.
    change_seq: int = Column(default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs={"server_default": "0"})


class Task(_TaskColumns, table=True):
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
        # The `priority` sort, and the `priority` filter with the default sort.
        Index("ix_tasks_user_id_priority_created_at_id", "user_id", "priority", "created_at", "id"),
        # The `due_at` sort puts tasks without a due date last in both orders: ascending
        # reads the first index forwards, descending the second backwards.
        Index("ix_tasks_user_id_due_at_nulls_last_id", "user_id", text("(due_at IS NULL)"), "due_at", "id"),
        Index("ix_tasks_user_id_due_at_nulls_first_id", "user_id", text("(due_at IS NOT NULL)"), "due_at", "id"),
        # Open tasks by due date: `overdue=true` and its count read only this index.
        Index(
            "ix_tasks_user_id_due_at_open",
            "user_id",
            "due_at",
            postgresql_where=text("NOT completed"),
            sqlite_where=text("NOT completed"),
        ),
        # Delta sync: the owner's tasks written after a position (services/changes.py).
        Index("ix_tasks_user_id_change_seq_id", "user_id", "change_seq", "id"),
    )


class TrashedTask(_TaskColumns, table=True):
    """A deleted task, restorable until the trash retention has passed. Apart from `tasks`,
    so that every route that reads tasks keeps treating it as gone without a condition of
    its own, and the list's indexes hold live tasks only."""

    __tablename__ = "trashed_tasks"
    __table_args__ = (
        Index("ix_trashed_tasks_user_id_deleted_at_id", "user_id", "deleted_at", "id"),
        Index("ix_trashed_tasks_user_id_change_seq_id", "user_id", "change_seq", "id"),
    )

    deleted_at: datetime = Column(sa_type=UTCDateTime, nullable=False)


class TaskTag(SQLModel, table=True):
    """Each tag of a task in lower case, so that the `tag` filter is an index lookup; the
    task's own `tags` column stays what answers carry."""

    __tablename__ = "task_tags"
    __table_args__ = (Index("ix_task_tags_user_id_tag_task_id", "user_id", "tag", "task_id"),)

    task_id: uuid.UUID = Column(foreign_key="tasks.id", ondelete="CASCADE", primary_key=True)
    tag: str = Column(primary_key=True, sa_type=Text)
    user_id: uuid.UUID = Column(nullable=False)


class TaskSearch(SQLModel, table=True):
    """The text `q` searches, beside the task: on PostgreSQL under a trigram index, which
    serves a case-insensitive substring search (ILIKE) without reading every task. Apart
    from `tasks`, so that a write that leaves the text alone (a completion, a new priority)
    does not rewrite the text's index entries; SQLite has no trigram index and reads the
    owner's rows."""

    __tablename__ = "task_search"
    __table_args__ = (
        # A search with no trigram to look up (one or two characters) reads the owner's rows.
        Index("ix_task_search_user_id", "user_id"),
        # A small pending list (kB): a search reads all of it, and the planner gives up on
        # the index for a big one (migration 0010).
        Index(
            "ix_task_search_trgm",
            "title",
            "description",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops", "description": "gin_trgm_ops"},
            postgresql_with={"gin_pending_list_limit": 128},
        ).ddl_if(dialect="postgresql"),
    )

    task_id: uuid.UUID = Column(foreign_key="tasks.id", ondelete="CASCADE", primary_key=True)
    user_id: uuid.UUID = Column(nullable=False)
    title: str = Column(sa_type=Text, nullable=False)
    description: str | None = Column(default=None, sa_type=Text)


def tag_key(tag: str) -> str:
    """A tag as `task_tags` holds it and the `tag` filter looks it up."""
    return tag.lower()


# The title rule in JSON Schema terms, so that the document promises exactly what is
# accepted: surrounding white space (what Pydantic trims: Unicode White_Space), then 1 to
# 255 characters that neither start nor end with it, and no NUL anywhere. A plain
# `maxLength: 255` would be untrue: 300 characters are fine when 45 of them are trimmed.
_WHITE_SPACE = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def trimmed_text_pattern(max_chars: int) -> str:
    """1 to `max_chars` characters after trimming surrounding white space, no NUL."""
    return (
        rf"^[{_WHITE_SPACE}]*[^{_WHITE_SPACE}\u0000]"
        rf"(?:[^\u0000]{{0,{max_chars - 2}}}[^{_WHITE_SPACE}\u0000])?[{_WHITE_SPACE}]*$"
    )


TITLE_PATTERN = trimmed_text_pattern(TITLE_MAX_CHARS)

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


class Priority(StrEnum):
    """In increasing importance; stored as its position in this order."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANKS[self]

    @classmethod
    def of_rank(cls, rank: int) -> Priority:
        return _PRIORITIES[rank]


# Looked up for every task read or written: built once.
_PRIORITIES = tuple(Priority)
_PRIORITY_RANKS = {priority: rank for rank, priority in enumerate(_PRIORITIES)}


TAG_MAX_CHARS = 32
TAGS_MAX = 20


def _tag_order(tag: str) -> tuple[str, str]:
    return (tag.lower(), tag)  # without regard to case, ties by code point


def normalize_tags(tags: list[str]) -> list[str]:
    """Distinct without regard to case (the first spelling is kept), sorted; at most 20."""
    kept: dict[str, str] = {}
    for tag in tags:
        kept.setdefault(tag_key(tag), tag)
    if len(kept) > TAGS_MAX:
        raise ValueError(f"at most {TAGS_MAX} distinct tags")
    return sorted(kept.values(), key=_tag_order)


Tag = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_MAX_CHARS),
    Storable,
    SchemaKeys({"pattern": trimmed_text_pattern(TAG_MAX_CHARS)}, drop=("minLength", "maxLength")),
]
Tags = Annotated[
    list[Tag],
    AfterValidator(normalize_tags),
    Field(
        description=f"Up to {TAGS_MAX} distinct tags (without regard to case; the first spelling is kept), "
        f"each 1 to {TAG_MAX_CHARS} characters after trimming; returned sorted",
        examples=[["home", "errands"]],
    ),
]
DueAt = Annotated[
    InputTimestamp | None,
    Field(description="When the task is due (RFC 3339 with an offset), or null", examples=["2026-12-01T09:00:00Z"]),
]
# What a PATCH may set to null; the other fields may be left out but not be null.
NULLABLE_IN_PATCH = frozenset({"description", "due_at"})
_patch_schema = partial_update_schema(NULLABLE_IN_PATCH, {"priority": "high", "due_at": "2026-12-01T09:00:00Z"})


class TaskCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None = Field(None, description=_DESCRIPTION_DOC + "; null when omitted")
    completed: StrictBool = False
    due_at: DueAt = None
    priority: Priority = Priority.NONE
    tags: Tags = []


class TaskReplace(BaseModel):
    """Full replacement: the three fields of version 1 are required (`description` may be
    null); the fields of version 2 may be left out, and then go back to their defaults."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    title: Title
    description: Description | None = Field(description=_DESCRIPTION_DOC)
    completed: StrictBool
    due_at: DueAt = None
    priority: Priority = Priority.NONE
    tags: Tags = []


class TaskPatch(BaseModel):
    """Any subset of the fields; what is left out stays as it is, and `null` clears
    `description` or `due_at` (the others cannot be null)."""

    model_config = ConfigDict(json_schema_extra=_patch_schema)

    title: Title = None  # type: ignore[assignment]
    description: Description | None = Field(None, description=_DESCRIPTION_DOC)
    completed: StrictBool = None  # type: ignore[assignment]
    due_at: DueAt = None
    priority: Priority = None  # type: ignore[assignment]
    tags: Tags = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _something_to_change(self) -> TaskPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        for name in self.model_fields_set - NULLABLE_IN_PATCH:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


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
    due_at: Timestamp | None
    priority: Priority
    tags: list[str]
    version: int

    @field_validator("priority", mode="before")
    @classmethod
    def _priority_of_rank(cls, value: object) -> object:
        return Priority.of_rank(value) if isinstance(value, int) else value


class TaskConflict(TaskPublic):
    """A 412's body: the task as it is now, so that the client can merge its change into it."""

    detail: str


class TaskSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"
    COMPLETED = "completed"
    DUE_AT = "due_at"  # tasks without a due date last, in both orders
    PRIORITY = "priority"  # then by creation, in the same order


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


SEARCH_MAX_CHARS = 200
_BOOLEAN_SPELLINGS = "`1`/`0`, `yes`/`no`, `on`/`off` are accepted too"


class PageParams(BaseModel):
    """Where a page starts: at `offset`, or after the position a `cursor` holds."""

    limit: int = Field(20, ge=1, le=100, description="Tasks per page, 1 to 100")
    offset: int = Field(
        0,
        ge=0,
        le=2_147_483_647,
        description="Tasks to skip; not allowed together with `cursor`",
    )
    cursor: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="The `next_cursor` of the previous page, with the same sort, order and filters "
        "(`limit` may change). Unlike `offset`, it never skips or repeats a task while tasks are "
        "added or removed between pages",
    )

    @model_validator(mode="after")
    def _cursor_or_offset(self) -> PageParams:
        if self.cursor is not None and "offset" in self.model_fields_set:
            raise ValueError("give either offset or cursor, not both")
        return self


class TaskListParams(PageParams):
    """The list's query parameters. Filters combine with AND; `total` counts every task
    that matches them."""

    sort: TaskSort = Field(
        TaskSort.CREATED_AT,
        description="`due_at` puts tasks without a due date last in both orders; "
        "`priority` orders by priority, then by creation",
    )
    order: SortOrder = SortOrder.DESC
    completed: bool | None = Field(
        None, description=f"Only completed (`true`) or open (`false`) tasks; {_BOOLEAN_SPELLINGS}"
    )
    q: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=SEARCH_MAX_CHARS),
            Storable,
            NulFree,
        ]
        | None
    ) = Field(
        None,
        description="Text that appears in the title or the description, without regard to case "
        "(1 to 200 characters, taken literally: `%` and `_` are not wildcards)",
        examples=["dentist"],
    )
    priority: Priority | None = Field(None, description="Only tasks of this priority")
    tag: Tag | None = Field(None, description="Only tasks with this tag (without regard to case)", examples=["home"])
    overdue: bool | None = Field(
        None,
        description="`true`: open tasks whose due date has passed; `false`: every other task",
    )
    due_before: InputTimestamp | None = Field(
        None,
        description="Only tasks due earlier than this (RFC 3339 with an offset)",
        examples=["2026-12-01T00:00:00Z"],
    )
    due_after: InputTimestamp | None = Field(
        None, description="Only tasks due at or after this (RFC 3339 with an offset)", examples=["2026-11-01T00:00:00Z"]
    )


_NEXT_CURSOR_DOC = "Pass as `cursor` for the next page; null when no more tasks follow"
_CURSOR_EXAMPLE = "eyJrIjpbIjIwMjYtMTEtMjZUMTA6MDA6MDAuMDAwMDAwWiJdfQ.c2lnbmF0dXJl"
_OFFSET_DOC = "As asked; 0 on a page reached by `cursor`"


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int = Field(description="All tasks that match the filters, across pages")
    limit: int
    offset: int = Field(description=_OFFSET_DOC)
    next_cursor: str | None = Field(description=_NEXT_CURSOR_DOC, examples=[_CURSOR_EXAMPLE])


class TrashedTaskPublic(TaskPublic):
    deleted_at: Timestamp = Field(description="When the task was deleted")


class TrashPage(BaseModel):
    """The caller's deleted tasks within the retention, newest deletion first."""

    items: list[TrashedTaskPublic]
    total: int = Field(description="Tasks in the trash, across pages")
    limit: int
    offset: int = Field(description=_OFFSET_DOC)
    next_cursor: str | None = Field(description=_NEXT_CURSOR_DOC, examples=[_CURSOR_EXAMPLE])


SYNC_TOKEN_MAX_CHARS = 4096


class ChangesParams(BaseModel):
    since: str | None = Field(
        None,
        min_length=1,
        max_length=SYNC_TOKEN_MAX_CHARS,
        description="The `next_since` of your last answer; leave it out for every task (a first sync). "
        "A token older than the trash retention is a 410: sync from scratch",
    )


class TaskChanges(BaseModel):
    changed: list[TaskPublic] = Field(description="Tasks created or changed since the token, as they are now")
    deleted: list[uuid.UUID] = Field(description="Ids of tasks deleted since the token (empty without `since`)")
    next_since: str = Field(
        description="Pass as `since` next time (or at once, while `has_more`)", examples=[_CURSOR_EXAMPLE]
    )
    has_more: bool = Field(description="More changes follow: call again with `next_since` right away")


BULK_MAX_IDS = 100


class BulkAction(StrEnum):
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"


def _distinct(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be distinct")
    return ids


class TaskBulkRequest(BaseModel):
    """One action on up to 100 of the caller's tasks, all or nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"action": "complete", "ids": ["3f1c2a9e-7b4d-4c1a-9f6e-2d8b5a7c0e11"]}],
        }
    )

    action: BulkAction
    ids: Annotated[
        list[uuid.UUID],
        Field(min_length=1, max_length=BULK_MAX_IDS, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
    ] = Field(description=f"1 to {BULK_MAX_IDS} distinct task ids")


class TaskBulkResult(BaseModel):
    action: BulkAction
    count: int = Field(description="Tasks whose state changed (completing a completed task does not count)")


class ClearCompletedResult(BaseModel):
    count: int = Field(description="Completed tasks deleted")
