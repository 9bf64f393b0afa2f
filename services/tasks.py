"""Task rules: ownership, completion timestamps, the owner's counters and the list query.

Reads and writes go through SQLAlchemy Core on the session (rows, not ORM objects): a page of
20 tasks costs a fraction of what building and tracking 20 ORM instances does.

Every successful call also proves that the owner's account still exists, which spares the
caller a separate lookup: a task row names its owner through a foreign key (deleting an
account deletes its tasks), so finding one's own task, or inserting one, proves it; only an
empty page has to ask."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Row, Select, asc, bindparam, delete, desc, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.common import utc_now
from models.task import SortOrder, Task, TaskCreate, TaskListParams, TaskReplace, TaskSort
from models.task_totals import TaskTotals
from models.user import User
from services.errors import AccountGone, NotTaskOwner, TaskNotFound
from services.sql import upsert_insert

TaskRow = Row[Any]  # a `tasks` row: attributes as in models.task.Task

_tasks = Task.__table__  # type: ignore[attr-defined]
_totals = TaskTotals.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]

_SORT_KEYS: dict[TaskSort, Any] = {
    TaskSort.CREATED_AT: _tasks.c.created_at,
    TaskSort.UPDATED_AT: _tasks.c.updated_at,
    TaskSort.TITLE: func.lower(_tasks.c.title),
    TaskSort.COMPLETED: _tasks.c.completed,
}


# Statements built once and run with bound values: building a statement and its cache key
# costs more than running it against an index.
_SELECT = select(_tasks).where(_tasks.c.id == bindparam("task_id"))
_SELECT_FOR_UPDATE = _SELECT.with_for_update()
_INSERT = insert(_tasks).returning(*_tasks.c)
_UPDATE = update(_tasks).where(_tasks.c.id == bindparam("task_id")).returning(*_tasks.c)
_DELETE = (
    delete(_tasks)
    .where(_tasks.c.id == bindparam("task_id"), _tasks.c.user_id == bindparam("owner_id"))
    .returning(_tasks.c.completed)
)


def create_task(session: Session, owner_id: uuid.UUID, data: TaskCreate) -> TaskRow:
    now = utc_now()
    values = {
        "id": uuid.uuid4(),
        "user_id": owner_id,
        "title": data.title,
        "description": data.description,
        "completed": data.completed,
        "completed_at": now if data.completed else None,
        "created_at": now,
        "updated_at": now,
    }
    try:
        task = _execute(session, _INSERT, values).one()
        _count(session, owner_id, total=1, completed=int(data.completed))
        session.commit()
    except IntegrityError:  # the foreign key: the owner's account is gone
        session.rollback()
        raise AccountGone from None
    return task


def list_tasks(session: Session, owner_id: uuid.UUID, params: TaskListParams) -> tuple[Sequence[TaskRow], int]:
    """One page and its total in one round trip: the total comes from the owner's counters
    (never a count over every task); only an empty page needs a second query."""
    page = _page_statement(params.sort, params.order, params.completed)
    values = {"owner_id": owner_id, "limit": params.limit, "offset": params.offset}
    rows = _execute(session, page, values).all()
    if rows:
        return rows, rows[0].total
    empty = select(
        exists().where(_users.c.id == owner_id).label("owner_exists"), _total(params.completed).label("total")
    )
    answer = _execute(session, empty, values).one()
    if not answer.owner_exists:
        raise AccountGone
    return [], int(answer.total)


@functools.cache
def _page_statement(sort: TaskSort, order: SortOrder, completed: bool | None) -> Select[Any]:
    # One per shape of the query, like the statements above.
    direction = asc if order is SortOrder.ASC else desc
    filters = [_tasks.c.user_id == bindparam("owner_id")]
    if completed is not None:
        filters.append(_tasks.c.completed == completed)
    return (
        select(_tasks, _total(completed).label("total"))
        .where(*filters)
        .order_by(direction(_SORT_KEYS[sort]), direction(_tasks.c.id))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def get_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> TaskRow:
    return _owned(_execute(session, _SELECT, {"task_id": task_id}).first(), owner_id)


def replace_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, data: TaskReplace) -> TaskRow:
    changes = {"title": data.title, "description": data.description, "completed": data.completed}
    return _update(session, owner_id, task_id, changes)


def set_completion(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, completed: bool) -> TaskRow:
    return _update(session, owner_id, task_id, {"completed": completed})


def delete_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> None:
    deleted = _execute(session, _DELETE, {"task_id": task_id, "owner_id": owner_id}).first()
    if deleted is None:
        session.rollback()
        get_task(session, owner_id, task_id)  # raises: 404 for no such task, 403 for another's
    else:
        _count(session, owner_id, total=-1, completed=-int(deleted.completed))
        session.commit()


def _execute(session: Session, statement: Any, values: dict[str, Any]) -> CursorResult[Any]:
    # Straight to the session's connection: these are Core statements, and the ORM's
    # execution layer around them costs as much as a small page itself.
    return session.connection().execute(statement, values)


def _owned(task: TaskRow | None, owner_id: uuid.UUID) -> TaskRow:
    if task is None:
        raise TaskNotFound
    if task.user_id != owner_id:
        raise NotTaskOwner
    return task


def _update(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, changes: dict[str, Any]) -> TaskRow:
    """Write only what differs; a write that changes nothing leaves `updated_at` alone.
    FOR UPDATE (PostgreSQL) serializes concurrent writes to one task, so two concurrent
    completions cannot both stamp their own `completed_at` or both move the counters."""
    task = _owned(_execute(session, _SELECT_FOR_UPDATE, {"task_id": task_id}).first(), owner_id)
    changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
    if not changed:
        session.commit()  # releases the row lock
        return task
    now = utc_now()
    if "completed" in changed:
        changed["completed_at"] = now if changed["completed"] else None
        _count(session, owner_id, completed=1 if changed["completed"] else -1)
    changed["updated_at"] = _after(task.updated_at, now)
    task = _execute(session, _UPDATE, {"task_id": task_id, **changed}).one()
    session.commit()
    return task


def _total(completed: bool | None) -> Any:
    if completed is None:
        counted: Any = _totals.c.total
    elif completed:
        counted = _totals.c.completed
    else:
        counted = _totals.c.total - _totals.c.completed
    return func.coalesce(select(counted).where(_totals.c.user_id == bindparam("owner_id")).scalar_subquery(), 0)


def _count(session: Session, owner_id: uuid.UUID, *, total: int = 0, completed: int = 0) -> None:
    """Move the owner's counters in the caller's transaction (created on the first task)."""
    statement = _count_statement(session.get_bind().dialect.name)
    _execute(session, statement, {"user_id": owner_id, "total": total, "completed": completed})


@functools.cache
def _count_statement(dialect: str) -> Any:
    return (
        upsert_insert(dialect, _totals)
        .values(user_id=bindparam("user_id"), total=bindparam("total"), completed=bindparam("completed"))
        .on_conflict_do_update(
            index_elements=[_totals.c.user_id],
            set_={
                "total": _totals.c.total + bindparam("total"),
                "completed": _totals.c.completed + bindparam("completed"),
            },
        )
    )


def _after(previous: datetime, now: datetime) -> datetime:
    # `updated_at` must move forward even if the clock did not tick between two writes.
    return now if now > previous else previous + timedelta(microseconds=1)
