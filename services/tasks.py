"""Task rules: ownership, completion timestamps and the list query."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, asc, desc, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.common import utc_now
from models.task import SortOrder, Task, TaskCreate, TaskListParams, TaskReplace, TaskSort
from models.task_totals import TaskTotals
from services.errors import AccountGone, NotTaskOwner, TaskNotFound
from services.sql import upsert_insert

_totals = TaskTotals.__table__  # type: ignore[attr-defined]

_SORT_KEYS: dict[TaskSort, Any] = {
    TaskSort.CREATED_AT: col(Task.created_at),
    TaskSort.UPDATED_AT: col(Task.updated_at),
    TaskSort.TITLE: func.lower(Task.title),
    TaskSort.COMPLETED: col(Task.completed),
}


def create_task(session: Session, owner_id: uuid.UUID, data: TaskCreate) -> Task:
    now = utc_now()
    task = Task(
        user_id=owner_id,
        title=data.title,
        description=data.description,
        completed=data.completed,
        completed_at=now if data.completed else None,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    try:
        _count(session, owner_id, total=1, completed=int(data.completed))
        session.commit()
    except IntegrityError:  # the owner was deleted after the token was checked
        session.rollback()
        raise AccountGone from None
    return task


def list_tasks(session: Session, owner_id: uuid.UUID, params: TaskListParams) -> tuple[list[Task], int]:
    """One page and its total in one round trip: the total comes from the owner's counters
    (never a count over every task); only a page past the end needs a second query."""
    filters: list[ColumnElement[bool]] = [col(Task.user_id) == owner_id]
    if params.completed is not None:
        filters.append(col(Task.completed) == params.completed)
    total = _total(owner_id, params.completed)
    direction = asc if params.order is SortOrder.ASC else desc
    page = (
        select(Task, total)
        .where(*filters)
        .order_by(direction(_SORT_KEYS[params.sort]), direction(col(Task.id)))
        .limit(params.limit)
        .offset(params.offset)
    )
    rows = session.exec(page).all()
    if rows:
        return [task for task, _ in rows], rows[0][1]
    if params.offset == 0:
        return [], 0
    return [], session.exec(select(total)).one()


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


def get_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> Task:
    return _owned_task(session, owner_id, task_id, for_update=False)


def replace_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, data: TaskReplace) -> Task:
    task = _owned_task(session, owner_id, task_id, for_update=True)
    _apply(session, task, title=data.title, description=data.description, completed=data.completed)
    return task


def set_completion(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, completed: bool) -> Task:
    task = _owned_task(session, owner_id, task_id, for_update=True)
    _apply(session, task, completed=completed)
    return task


def delete_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID) -> None:
    task = _owned_task(session, owner_id, task_id, for_update=True)
    session.delete(task)
    _count(session, owner_id, total=-1, completed=-int(task.completed))
    session.commit()


def _owned_task(session: Session, owner_id: uuid.UUID, task_id: uuid.UUID, *, for_update: bool) -> Task:
    # FOR UPDATE (PostgreSQL) serializes concurrent writes to one task, so two
    # concurrent completions cannot both stamp their own `completed_at`.
    task = session.get(Task, task_id, with_for_update=for_update)
    if task is None:
        raise TaskNotFound
    if task.user_id != owner_id:
        raise NotTaskOwner
    return task


def _apply(session: Session, task: Task, **changes: Any) -> None:
    """Write only what differs; a write that changes nothing leaves `updated_at` alone."""
    changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
    if changed:
        now = utc_now()
        if "completed" in changed:
            task.completed_at = now if changed["completed"] else None
            _count(session, task.user_id, completed=1 if changed["completed"] else -1)
        for name, value in changed.items():
            setattr(task, name, value)
        task.updated_at = _after(task.updated_at, now)
    session.commit()  # also releases the row lock when nothing changed


def _after(previous: datetime, now: datetime) -> datetime:
    # `updated_at` must move forward even if the clock did not tick between two writes.
    return now if now > previous else previous + timedelta(microseconds=1)
