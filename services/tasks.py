"""Task rules: ownership, completion timestamps, the owner's counters and the list query.

Reads and writes go through SQLAlchemy Core on the session (rows, not ORM objects): a page of
20 tasks costs a fraction of what building and tracking 20 ORM instances does.

Every successful call also proves that the owner's account still exists, which spares the
caller a separate lookup: a task row names its owner through a foreign key (deleting an
account deletes its tasks), so finding one's own task, or inserting one, proves it; only an
empty page has to ask."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, asc, delete, desc, exists, func, insert, literal, select, update
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
        task = session.execute(insert(_tasks).values(values).returning(*_tasks.c)).one()
        _count(session, owner_id, total=1, completed=int(data.completed))
        session.commit()
    except IntegrityError:  # the foreign key: the owner's account is gone
        session.rollback()
        raise AccountGone from None
    return task


def list_tasks(session: Session, owner_id: uuid.UUID, params: TaskListParams) -> tuple[Sequence[TaskRow], int]:
    """One page and its total in one round trip: the total comes from the owner's counters
    (never a count over every task); only an empty page needs a second query."""
    filters: list[ColumnElement[bool]] = [_tasks.c.user_id == owner_id]
    if params.completed is not None:
        filters.append(_tasks.c.completed == params.completed)
    total = _total(owner_id, params.completed).label("total")
    direction = asc if params.order is SortOrder.ASC else desc
    page = (
        select(_tasks, total)
        .where(*filters)
        .order_by(direction(_SORT_KEYS[params.sort]), direction(_tasks.c.id))
        .limit(params.limit)
        .offset(params.offset)
    )
    rows = session.execute(page).all()
    if rows:
        return rows, rows[0].total
    owner_exists, count = session.execute(
        select(exists().where(_users.c.id == owner_id), total if params.offset else literal(0))
    ).one()
    if not owner_exists:
        raise AccountGone
    return [], count


def get_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> TaskRow:
    return _owned(session.execute(select(_tasks).where(_tasks.c.id == task_id)).first(), owner_id)


def replace_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, data: TaskReplace) -> TaskRow:
    changes = {"title": data.title, "description": data.description, "completed": data.completed}
    return _update(session, owner_id, task_id, changes)


def set_completion(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, completed: bool) -> TaskRow:
    return _update(session, owner_id, task_id, {"completed": completed})


def delete_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> None:
    deleted = session.execute(
        delete(_tasks).where(_tasks.c.id == task_id, _tasks.c.user_id == owner_id).returning(_tasks.c.completed)
    ).first()
    if deleted is None:
        session.rollback()
        get_task(session, owner_id, task_id)  # raises: 404 for no such task, 403 for another's
    else:
        _count(session, owner_id, total=-1, completed=-int(deleted.completed))
        session.commit()


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
    task = _owned(session.execute(select(_tasks).where(_tasks.c.id == task_id).with_for_update()).first(), owner_id)
    changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
    if not changed:
        session.commit()  # releases the row lock
        return task
    now = utc_now()
    if "completed" in changed:
        changed["completed_at"] = now if changed["completed"] else None
        _count(session, owner_id, completed=1 if changed["completed"] else -1)
    changed["updated_at"] = _after(task.updated_at, now)
    updated = session.execute(update(_tasks).where(_tasks.c.id == task_id).values(changed).returning(*_tasks.c))
    task = updated.one()
    session.commit()
    return task


def _total(owner_id: uuid.UUID, completed: bool | None) -> Any:
    if completed is None:
        counted: Any = _totals.c.total
    elif completed:
        counted = _totals.c.completed
    else:
        counted = _totals.c.total - _totals.c.completed
    return func.coalesce(select(counted).where(_totals.c.user_id == owner_id).scalar_subquery(), 0)


def _count(session: Session, owner_id: uuid.UUID, *, total: int = 0, completed: int = 0) -> None:
    """Move the owner's counters in the caller's transaction (created on the first task)."""
    statement = (
        upsert_insert(session, _totals)
        .values(user_id=owner_id, total=total, completed=completed)
        .on_conflict_do_update(
            index_elements=[_totals.c.user_id],
            set_={"total": _totals.c.total + total, "completed": _totals.c.completed + completed},
        )
    )
    session.execute(statement)


def _after(previous: datetime, now: datetime) -> datetime:
    # `updated_at` must move forward even if the clock did not tick between two writes.
    return now if now > previous else previous + timedelta(microseconds=1)
