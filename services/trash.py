"""The trash: deleted tasks stay restorable for the retention (`TRASH_RETENTION_DAYS`), then
are purged. services/tasks.py moves tasks in (DELETE, bulk delete, clear-completed) and back
out (restore) with the statements here; this module also reads the trash a page at a time."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, delete, desc, func, insert, select, tuple_
from sqlmodel import Session

from core.security import TokenClaims
from models.common import UTCDateTime, format_timestamp, utc_now
from models.task import PageParams, Task, TrashedTask
from services.errors import InvalidCursor, TaskNotFound
from services.sessions import require_live

TrashedRow = Any  # a `trashed_tasks` row: a task's attributes plus `deleted_at`

_tasks = Task.__table__  # type: ignore[attr-defined]
_trashed = TrashedTask.__table__  # type: ignore[attr-defined]
TASK_COLUMNS = tuple(column.name for column in _tasks.c)  # the same names in both tables

_MOVE_IN = insert(_trashed).from_select(
    [*TASK_COLUMNS, "deleted_at"],
    select(
        *[
            _tasks.c[name] if name != "change_seq" else bindparam("trash_seq", type_=BigInteger)
            for name in TASK_COLUMNS
        ],
        bindparam("trash_deleted_at", type_=UTCDateTime()),
    ).where(_tasks.c.id.in_(bindparam("ids", expanding=True))),
)
_DELETE_LIVE = delete(_tasks).where(_tasks.c.id.in_(bindparam("ids", expanding=True)))
_PURGE = delete(_trashed).where(
    _trashed.c.user_id == bindparam("owner_id"), _trashed.c.deleted_at < bindparam("cutoff")
)
_RESTORABLE = (
    select(_trashed)
    .where(
        _trashed.c.id == bindparam("task_id"),
        _trashed.c.user_id == bindparam("owner_id"),
        _trashed.c.deleted_at >= bindparam("cutoff"),
    )
    .with_for_update()
)
_TAKE_OUT = delete(_trashed).where(_trashed.c.id == bindparam("task_id"))


def move_in(
    session: Session, owner_id: uuid.UUID, ids: Sequence[uuid.UUID], seq: int, now: datetime, retention: timedelta
) -> None:
    """Move the (locked) tasks `ids` into the trash at change `seq`, and purge what the
    retention has passed: the trash only grows here, so this is where it is kept short."""
    connection = session.connection()
    connection.execute(_MOVE_IN, {"ids": list(ids), "trash_seq": seq, "trash_deleted_at": now})
    connection.execute(_DELETE_LIVE, {"ids": list(ids)})  # its tags and search text go with it
    connection.execute(_PURGE, {"owner_id": owner_id, "cutoff": now - retention})


def take_out(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, retention: timedelta) -> TrashedRow:
    """The caller's trashed task `task_id`, locked and removed from the trash (the caller
    puts it back among the live tasks in the same transaction); TaskNotFound if it is not
    there, or is older than the retention."""
    connection = session.connection()
    values = {"task_id": task_id, "owner_id": owner_id, "cutoff": utc_now() - retention}
    task = connection.execute(_RESTORABLE, values).first()
    if task is None:
        raise TaskNotFound("Task not found in the trash")
    connection.execute(_TAKE_OUT, {"task_id": task_id})
    return task


# --- reading the trash ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrashPageResult:
    rows: Sequence[TrashedRow]
    total: int
    next_position: list[Any] | None  # [deleted_at, id] of the last task, when more follow


def query_key(owner_id: uuid.UUID) -> str:
    """What a trash cursor is bound to: its owner, and being the trash's."""
    return f"trash/{owner_id}"


def list_trash(
    session: Session, caller: TokenClaims, page: PageParams, position: list[Any] | None, retention: timedelta
) -> TrashPageResult:
    """Newest deletion first (ties by id), from `position` or `page.offset`."""
    require_live(session, caller)
    values: dict[str, Any] = {
        "owner_id": caller.subject,
        "cutoff": utc_now() - retention,
        "limit": page.limit + 1,  # one more, to know whether another page follows
        "offset": 0 if position is not None else page.offset,
    }
    if position is not None:
        values.update(_position_values(position))
    rows = session.connection().execute(_page_statement(position is not None), values).all()
    total = int(session.connection().execute(_TOTAL, values).scalar_one())
    page_rows = rows[: page.limit]
    more = len(rows) > page.limit
    last = page_rows[-1] if page_rows else None
    next_position = [format_timestamp(last.deleted_at), str(last.id)] if more and last is not None else None
    return TrashPageResult(page_rows, total, next_position)


_IN_RETENTION = (_trashed.c.user_id == bindparam("owner_id"), _trashed.c.deleted_at >= bindparam("cutoff"))
_TOTAL = select(func.count()).select_from(_trashed).where(*_IN_RETENTION)


@functools.cache
def _page_statement(resume: bool) -> Select[Any]:
    statement = select(_trashed).where(*_IN_RETENTION)
    if resume:
        after_deleted_at = bindparam("after_deleted_at", type_=UTCDateTime())
        after_id = bindparam("after_id", type_=_trashed.c.id.type)
        statement = statement.where(tuple_(_trashed.c.deleted_at, _trashed.c.id) < tuple_(after_deleted_at, after_id))
    return (
        statement.order_by(desc(_trashed.c.deleted_at), desc(_trashed.c.id))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _position_values(position: list[Any]) -> dict[str, Any]:
    try:
        deleted_at, task_id = position
        if not isinstance(deleted_at, str) or not isinstance(task_id, str):
            raise ValueError(position)
        return {"after_deleted_at": datetime.fromisoformat(deleted_at), "after_id": uuid.UUID(task_id)}
    except (ValueError, TypeError):
        raise InvalidCursor from None
