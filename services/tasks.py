"""Task rules: ownership, completion timestamps, the owner's counters and the list query.

Reads and writes go through SQLAlchemy Core on the session (rows, not ORM objects): a page of
20 tasks costs a fraction of what building and tracking 20 ORM instances does.

Every call also proves that the caller's token is still live (its session not revoked, its
account not deleted; see services/sessions.py): reads fold that check into the statement they
run anyway, as one more column; writes ask first, in their own transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Row, Select, asc, bindparam, delete, desc, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.security import TokenClaims
from models.common import utc_now
from models.task import Priority, SortOrder, Task, TaskCreate, TaskListParams, TaskPatch, TaskReplace, TaskSort
from models.task_totals import TaskTotals
from services.errors import AccountGone, NotTaskOwner, TaskNotFound
from services.sessions import liveness, liveness_values, require_live
from services.sql import upsert_insert

TaskRow = Row[Any]  # a `tasks` row: attributes as in models.task.Task

_tasks = Task.__table__  # type: ignore[attr-defined]
_totals = TaskTotals.__table__  # type: ignore[attr-defined]

_SORT_KEYS: dict[TaskSort, Any] = {
    TaskSort.CREATED_AT: _tasks.c.created_at,
    TaskSort.UPDATED_AT: _tasks.c.updated_at,
    TaskSort.TITLE: func.lower(_tasks.c.title),
    TaskSort.COMPLETED: _tasks.c.completed,
}


# Statements built once and run with bound values: building a statement and its cache key
# costs more than running it against an index.
_INSERT = insert(_tasks).returning(*_tasks.c)
_UPDATE = update(_tasks).where(_tasks.c.id == bindparam("task_id")).returning(*_tasks.c)
_DELETE = (
    delete(_tasks)
    .where(_tasks.c.id == bindparam("task_id"), _tasks.c.user_id == bindparam("owner_id"))
    .returning(_tasks.c.completed)
)


@functools.cache
def _select(with_session: bool, for_update: bool) -> Select[Any]:
    statement = select(_tasks, liveness(with_session).label("live")).where(_tasks.c.id == bindparam("task_id"))
    return statement.with_for_update(of=_tasks) if for_update else statement


def create_task(session: Session, caller: TokenClaims, data: TaskCreate) -> TaskRow:
    require_live(session, caller)
    owner_id = caller.subject
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
        "due_at": data.due_at,
        "priority": data.priority.rank,
        "tags": data.tags,
        "version": 1,
    }
    try:
        task = _execute(session, _INSERT, values).one()
        _count(session, owner_id, total=1, completed=int(data.completed))
        session.commit()
    except IntegrityError:  # the foreign key: the account went after the check
        session.rollback()
        raise AccountGone from None
    return task


def list_tasks(session: Session, caller: TokenClaims, params: TaskListParams) -> tuple[Sequence[TaskRow], int]:
    """One page, its total and the caller's liveness in one round trip: the total comes
    from the owner's counters (never a count over every task); only an empty page needs a
    second query."""
    with_session = caller.session_id is not None
    page = _page_statement(params.sort, params.order, params.completed, with_session)
    values = {**liveness_values(caller), "limit": params.limit, "offset": params.offset}
    rows = _execute(session, page, values).all()
    if rows:
        if not rows[0].live:
            raise AccountGone
        return rows, rows[0].total
    empty = select(liveness(with_session).label("live"), _total(params.completed).label("total"))
    answer = _execute(session, empty, values).one()
    if not answer.live:
        raise AccountGone
    return [], int(answer.total)


@functools.cache
def _page_statement(sort: TaskSort, order: SortOrder, completed: bool | None, with_session: bool) -> Select[Any]:
    # One per shape of the query, like the statements above.
    direction = asc if order is SortOrder.ASC else desc
    filters = [_tasks.c.user_id == bindparam("owner_id")]
    if completed is not None:
        filters.append(_tasks.c.completed == completed)
    return (
        select(_tasks, _total(completed).label("total"), liveness(with_session).label("live"))
        .where(*filters)
        .order_by(direction(_SORT_KEYS[sort]), direction(_tasks.c.id))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def get_task(session: Session, caller: TokenClaims, task_id: uuid.UUID) -> TaskRow:
    return _found(session, caller, task_id, for_update=False)


def replace_task(session: Session, caller: TokenClaims, task_id: uuid.UUID, data: TaskReplace) -> TaskRow:
    return _update(session, caller, task_id, _stored(data.model_dump()))


def patch_task(session: Session, caller: TokenClaims, task_id: uuid.UUID, data: TaskPatch) -> TaskRow:
    return _update(session, caller, task_id, _stored(data.changes()))


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """Field values as the columns hold them."""
    if "priority" in fields:
        fields["priority"] = Priority(fields["priority"]).rank
    return fields


def set_completion(session: Session, caller: TokenClaims, task_id: uuid.UUID, completed: bool) -> TaskRow:
    return _update(session, caller, task_id, {"completed": completed})


def delete_task(session: Session, caller: TokenClaims, task_id: uuid.UUID) -> None:
    require_live(session, caller)
    deleted = _execute(session, _DELETE, {"task_id": task_id, "owner_id": caller.subject}).first()
    if deleted is None:
        session.rollback()
        get_task(session, caller, task_id)  # raises: 404 for no such task, 403 for another's
    else:
        _count(session, caller.subject, total=-1, completed=-int(deleted.completed))
        session.commit()


def _execute(session: Session, statement: Any, values: dict[str, Any]) -> CursorResult[Any]:
    # Straight to the session's connection: these are Core statements, and the ORM's
    # execution layer around them costs as much as a small page itself.
    return session.connection().execute(statement, values)


def _found(session: Session, caller: TokenClaims, task_id: uuid.UUID, *, for_update: bool) -> TaskRow:
    """The caller's task `task_id` (locked with `for_update`), checking the caller's
    liveness in the same statement; only a miss needs a second one, to tell 401 from 404."""
    statement = _select(caller.session_id is not None, for_update)
    task = _execute(session, statement, {**liveness_values(caller), "task_id": task_id}).first()
    if task is None:
        require_live(session, caller)
        raise TaskNotFound
    if not task.live:
        raise AccountGone
    if task.user_id != caller.subject:
        raise NotTaskOwner
    return task


def _update(session: Session, caller: TokenClaims, task_id: uuid.UUID, changes: dict[str, Any]) -> TaskRow:
    """Write only what differs; a write that changes nothing leaves `updated_at` and
    `version` alone.
    FOR UPDATE (PostgreSQL) serializes concurrent writes to one task, so two concurrent
    completions cannot both stamp their own `completed_at` or both move the counters."""
    task = _found(session, caller, task_id, for_update=True)
    owner_id = caller.subject
    changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
    if not changed:
        session.commit()  # releases the row lock
        return task
    now = utc_now()
    if "completed" in changed:
        changed["completed_at"] = now if changed["completed"] else None
        _count(session, owner_id, completed=1 if changed["completed"] else -1)
    changed["updated_at"] = _after(task.updated_at, now)
    changed["version"] = task.version + 1
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
