"""Task rules: ownership, completion timestamps, versions, tags and the owner's counters
(services/task_list.py reads the list).

Reads and writes go through SQLAlchemy Core on the session (rows, not ORM objects): a page of
20 tasks costs a fraction of what building and tracking 20 ORM instances does.

Every call also proves that the caller's token is still live (its session not revoked, its
account not deleted; see services/sessions.py): reads fold that check into the statement they
run anyway, as one more column, and so do a create and an edit; the other writes ask first, in
their own transaction.

On PostgreSQL a create and an edit (PUT, PATCH, complete) are each one statement
(data-modifying CTEs) in the common case, and one round trip; run in a session of
Database.statement_session(), that statement is its own transaction: no BEGIN and COMMIT round
trips, and the owner's counters, whose row lock orders all of that owner's writes
(services/changes.py), stay locked only while it runs.
SQLite runs the same rules as several statements in one transaction."""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CursorResult,
    Integer,
    Row,
    Select,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.security import TokenClaims
from models.common import utc_now
from models.task import BulkAction, Priority, Task, TaskCreate, TaskPatch, TaskReplace, TaskSearch, TaskTag, tag_key
from models.task_totals import TaskTotals
from services import trash
from services.errors import AccountGone, NotTaskOwner, TaskContended, TaskNotFound, VersionMismatch
from services.sessions import liveness, liveness_values, require_live
from services.sql import upsert_insert

TaskRow = Row[Any]  # a `tasks` row: attributes as in models.task.Task

_tasks = Task.__table__  # type: ignore[attr-defined]
_task_tags = TaskTag.__table__  # type: ignore[attr-defined]
_task_search = TaskSearch.__table__  # type: ignore[attr-defined]
_totals = TaskTotals.__table__  # type: ignore[attr-defined]

# Statements built once and run with bound values: building a statement and its cache key
# costs more than running it against an index.
_INSERT = insert(_tasks).returning(*_tasks.c)
# SQLite's update, after a locking read: a compare-and-set all the same, so the guarantee is
# in the statement itself.
_UPDATE = (
    update(_tasks)
    .where(_tasks.c.id == bindparam("task_id"), _tasks.c.version == bindparam("read_version"))
    .returning(*_tasks.c)
)
_INSERT_SEARCH = insert(_task_search)
_UPDATE_SEARCH = (
    update(_task_search)
    .where(_task_search.c.task_id == bindparam("search_task_id"))
    .values(title=bindparam("new_title"), description=bindparam("new_description"))
)
_INSERT_TAGS = insert(_task_tags)
_DELETE_TAGS = delete(_task_tags).where(_task_tags.c.task_id == bindparam("task_id"))
_OWN_TASKS_FOR_UPDATE = (
    select(_tasks.c.id, _tasks.c.completed, _tasks.c.updated_at)
    .where(_tasks.c.id.in_(bindparam("ids", expanding=True)), _tasks.c.user_id == bindparam("owner_id"))
    .order_by(_tasks.c.id)  # every bulk write locks in the same order: no deadlock between two
    .with_for_update()
)
_ANY_OF_TASKS = select(_tasks.c.id).where(_tasks.c.id.in_(bindparam("ids", expanding=True))).limit(1)
_BULK_SET_COMPLETION = update(_tasks).where(_tasks.c.id.in_(bindparam("ids", expanding=True)))
_OWN_COMPLETED_FOR_UPDATE = (
    select(_tasks.c.id, _tasks.c.completed)
    .where(_tasks.c.user_id == bindparam("owner_id"), _tasks.c.completed)
    .order_by(_tasks.c.id)
    .with_for_update()
)


@dataclass(frozen=True)
class IfMatch:
    """A write's precondition on the task's version (HTTP `If-Match`, parsed by the router):
    any of `versions`, or any version at all (`*`)."""

    versions: frozenset[int] = frozenset()
    any_version: bool = False

    def accepts(self, version: int) -> bool:
        return self.any_version or version in self.versions


@functools.cache
def _select(with_session: bool, for_update: bool) -> Select[Any]:
    statement = select(_tasks, liveness(with_session).label("live")).where(_tasks.c.id == bindparam("task_id"))
    return statement.with_for_update(of=_tasks) if for_update else statement


def create_task(session: Session, caller: TokenClaims, data: TaskCreate, *, commit: bool = True) -> TaskRow:
    """The new task; with `commit=False` the caller commits (with its idempotency key)."""
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
        if _is_postgresql(session):
            statement = _create_in_one_statement(caller.session_id is not None)
            new = {f"new_{name}": value for name, value in values.items()}
            counted = _counted_values(owner_id, total=1, completed=int(data.completed))
            tags = {"new_tag_keys": [tag_key(tag) for tag in data.tags]}
            task = _execute(session, statement, {**new, **counted, **tags, **liveness_values(caller)}).first()
            if task is None:  # the token is not live: nothing was written
                session.rollback()
                raise AccountGone
        else:
            require_live(session, caller)
            seq = _count(session, owner_id, total=1, completed=int(data.completed))
            task = _execute(session, _INSERT, {**values, "change_seq": seq}).one()
            search = {"task_id": task.id, "user_id": owner_id, "title": task.title, "description": task.description}
            _execute(session, _INSERT_SEARCH, search)
            _index_tags(session, task, data.tags)
        if commit:
            session.commit()
    except IntegrityError:  # the foreign key: the account went after the check
        session.rollback()
        raise AccountGone from None
    return task


@functools.cache
def _create_in_one_statement(with_session: bool) -> Select[Any]:
    """On PostgreSQL, the owner's counters, the task (stamped with the counter's new value),
    its search text and its tags in one statement (data-modifying CTEs), written only if the
    caller's token is live: one round trip where the portable path (SQLite) takes five."""
    counters = _count_statement("postgresql", only_if_live=with_session).cte("counters")
    columns = [column.name for column in _tasks.c if column.name != "change_seq"]
    new_row = select(*[bindparam(f"new_{name}", type_=_tasks.c[name].type) for name in columns], counters.c.changes)
    task = insert(_tasks).from_select([*columns, "change_seq"], new_row).returning(*_tasks.c).cte("task")
    text = insert(_task_search).from_select(
        ["task_id", "user_id", "title", "description"],
        select(task.c.id, task.c.user_id, task.c.title, task.c.description),
    )
    tagged = insert(_task_tags).from_select(
        ["task_id", "tag", "user_id"], select(task.c.id, _unnest("new_tag_keys"), task.c.user_id)
    )
    return select(task).add_cte(counters, text.cte("text"), tagged.cte("tagged"))


def _unnest(name: str) -> Any:
    """The rows of the list bound as `name` (PostgreSQL)."""
    return func.unnest(bindparam(name, type_=postgresql.ARRAY(Text)))


def get_task(session: Session, caller: TokenClaims, task_id: uuid.UUID) -> TaskRow:
    return _found(session, caller, task_id, for_update=False)


def replace_task(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, data: TaskReplace, if_match: IfMatch | None = None
) -> TaskRow:
    return _update(session, caller, task_id, _stored(data.model_dump()), if_match)


def patch_task(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, data: TaskPatch, if_match: IfMatch | None = None
) -> TaskRow:
    return _update(session, caller, task_id, _stored(data.changes()), if_match)


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """Field values as the columns hold them."""
    if "priority" in fields:
        fields["priority"] = Priority(fields["priority"]).rank
    return fields


def set_completion(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, completed: bool, if_match: IfMatch | None = None
) -> TaskRow:
    return _update(session, caller, task_id, {"completed": completed}, if_match)


def delete_task(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, retention: timedelta, if_match: IfMatch | None = None
) -> None:
    """Move the task to the trash (restorable for `retention`)."""
    task = _found(session, caller, task_id, for_update=True)
    _check(session, task, if_match)
    _trash(session, caller.subject, [task], retention)
    session.commit()


def _trash(session: Session, owner_id: uuid.UUID, tasks: Sequence[TaskRow], retention: timedelta) -> None:
    """Move the (locked) `tasks` to the trash, as one change."""
    seq = _count(session, owner_id, total=-len(tasks), completed=-sum(task.completed for task in tasks))
    trash.move_in(session, owner_id, [task.id for task in tasks], seq, utc_now(), retention)


def restore_task(session: Session, caller: TokenClaims, task_id: uuid.UUID, retention: timedelta) -> TaskRow:
    """Bring the caller's trashed task back, one version up; TaskNotFound unless it is in the
    caller's trash within `retention`."""
    require_live(session, caller)
    owner_id = caller.subject
    try:
        trashed = trash.take_out(session, owner_id, task_id, retention)
    except TaskNotFound:
        session.rollback()
        raise
    seq = _count(session, owner_id, total=1, completed=int(trashed.completed))
    values = {name: getattr(trashed, name) for name in trash.TASK_COLUMNS}
    values.update(version=trashed.version + 1, updated_at=_after(trashed.updated_at, utc_now()), change_seq=seq)
    task = _execute(session, _INSERT, values).one()
    search = {"task_id": task.id, "user_id": owner_id, "title": task.title, "description": task.description}
    _execute(session, _INSERT_SEARCH, search)
    _index_tags(session, task, task.tags)
    session.commit()
    return task


def _check(session: Session, task: TaskRow, if_match: IfMatch | None) -> None:
    if if_match is not None and not if_match.accepts(task.version):
        session.rollback()  # releases the row lock
        raise VersionMismatch(task)


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


def _update(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, changes: dict[str, Any], if_match: IfMatch | None
) -> TaskRow:
    """Write only what differs; a write that changes nothing leaves `updated_at` and
    `version` alone.
    On PostgreSQL one statement that locks the row first (the common edit, else
    compare-and-set on the version read), so two concurrent completions cannot both stamp
    their own `completed_at` or both move the counters, and of two writers with the same
    `If-Match` the second sees the first one's version.
    On SQLite the row is read and written in one transaction: the search text and tags
    first and the task with the owner's counters last, right before the commit, since the
    counters' row lock serializes all of the owner's writes."""
    if _is_postgresql(session):
        edited = _edit_in_one_statement(session, caller, task_id, changes, if_match)
        if edited is not None:
            return edited
        return _update_in_one_statement(session, caller, task_id, changes, if_match)
    task = _found(session, caller, task_id, for_update=True)
    _check(session, task, if_match)
    owner_id = caller.subject
    changed = _changed(task, changes)
    if not changed:
        session.commit()  # releases the row lock
        return task
    completed_delta = _stamp(task, changed)
    if "title" in changed or "description" in changed:
        text = {
            "search_task_id": task_id,
            "new_title": changed.get("title", task.title),
            "new_description": changed.get("description", task.description),
        }
        _execute(session, _UPDATE_SEARCH, text)
    if "tags" in changed:
        _execute(session, _DELETE_TAGS, {"task_id": task_id})
        _index_tags(session, task, changed["tags"])
    seq = _count(session, owner_id, completed=completed_delta)
    values = {"task_id": task_id, "read_version": task.version, **changed, "change_seq": seq}
    written = _execute(session, _UPDATE, values).one()
    session.commit()
    return written


def _changed(task: TaskRow, changes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in changes.items() if getattr(task, name) != value}


def _stamp(task: TaskRow, changed: dict[str, Any]) -> int:
    """Add to `changed` what a change moves with it (completion time, `updated_at`,
    `version`); returns how the owner's count of completed tasks moves."""
    now = utc_now()
    completed_delta = 0
    if "completed" in changed:
        changed["completed_at"] = now if changed["completed"] else None
        completed_delta = 1 if changed["completed"] else -1
    changed["updated_at"] = _after(task.updated_at, now)
    changed["version"] = task.version + 1
    return completed_delta


# Each failed attempt means another write to the task succeeded; this many in a row only
# under a pathological load on one task, which is then told to retry (503).
_UPDATE_ATTEMPTS = 100


def _update_in_one_statement(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, changes: dict[str, Any], if_match: IfMatch | None
) -> TaskRow:
    """PostgreSQL: read the task, then write it, its search text, its tags and the owner's
    counters in one statement that is its own transaction, conditioned on the version read
    (compare-and-set). If another write got in between, read again and decide again: the
    If-Match check and the "changes nothing" check always hold for the version written over.
    In a session of Database.statement_session(), two round trips, and the counters' row lock
    is held only while the statement runs."""
    for _ in range(_UPDATE_ATTEMPTS):
        task = _found(session, caller, task_id, for_update=False)
        _check(session, task, if_match)
        changed = _changed(task, changes)
        if not changed:
            return task
        completed_delta = _stamp(task, changed)
        text_changed = "title" in changed or "description" in changed
        statement = _write_statement(frozenset(changed), text_changed, "tags" in changed)
        # Bound names of their own: a name of a column of a table the statement updates
        # would be taken for a value to set.
        values: dict[str, Any] = {
            "target_id": task_id,
            "read_version": task.version,
            **{f"set_{name}": value for name, value in changed.items()},
            **_counted_values(caller.subject, total=0, completed=completed_delta),
        }
        if text_changed:
            values.update(new_title=changed.get("title", task.title))
            values.update(new_description=changed.get("description", task.description))
        if "tags" in changed:
            values["tag_keys"] = [tag_key(tag) for tag in changed["tags"]]
        written = _execute(session, statement, values).first()
        if written is not None:
            session.commit()  # (nothing to send when each statement is its own transaction)
            return written
    raise TaskContended


def _edit_in_one_statement(
    session: Session, caller: TokenClaims, task_id: uuid.UUID, changes: dict[str, Any], if_match: IfMatch | None
) -> TaskRow | None:
    """PostgreSQL: the common edit in one round trip, without reading the task first: the
    caller's live token, its own task, at a version If-Match names, and something to
    change. None when any of that does not hold (nothing was written): the general path
    then tells a no-op, 404, 403, 401 and 412 apart."""
    if if_match is not None and not if_match.any_version and not if_match.versions:
        return None
    versions = None if if_match is None or if_match.any_version else if_match.versions
    statement = _edit_statement(frozenset(changes), caller.session_id is not None, versions is not None)
    values: dict[str, Any] = {
        **liveness_values(caller),
        "target_id": task_id,
        "now": utc_now(),
        **{f"set_{name}": value for name, value in changes.items()},
        **_counted_values(caller.subject, total=0, completed=0),
    }
    if versions is not None:
        values["match_versions"] = list(versions)
    if "tags" in changes:
        values["tag_keys"] = [tag_key(tag) for tag in changes["tags"]]
    written = _execute(session, statement, values).first()
    if written is not None:
        session.commit()  # (nothing to send when each statement is its own transaction)
    return written


@functools.lru_cache(maxsize=256)
def _edit_statement(columns: frozenset[str], with_session: bool, match_versions: bool) -> Select[Any]:
    """The task's new `columns` (bound as `set_<name>`), the owner's counters and change
    stamp, the search text and the tags as data-modifying CTEs of one statement, written only
    if the caller's token is live, the task is the caller's, (`match_versions`) at one of the
    versions bound as `match_versions`, and one of `columns` differs. The row is locked
    first: a concurrent write to it either finished before (then these conditions are
    checked against what it wrote) or waits."""
    new = {name: bindparam(f"set_{name}", type_=_tasks.c[name].type) for name in sorted(columns)}
    conditions = [
        _tasks.c.id == bindparam("target_id"),
        _tasks.c.user_id == bindparam("owner_id"),
        liveness(with_session),
        or_(*(_differs(_tasks.c[name], value) for name, value in new.items())),
    ]
    if match_versions:
        conditions.append(_tasks.c.version.in_(bindparam("match_versions", expanding=True)))
    target = select(_tasks.c.id, _tasks.c.completed).where(*conditions).with_for_update(of=_tasks).cte("target")
    completed_delta = None
    if "completed" in columns:
        completed_delta = case((target.c.completed == new["completed"], 0), (new["completed"], 1), else_=-1)
    counters = _count_statement("postgresql", None, target, completed_delta).cte("counters")
    now = bindparam("now", type_=_tasks.c.updated_at.type)
    stamped: dict[str, Any] = {
        # As _after: `updated_at` moves forward even if the clock did not tick.
        "updated_at": func.greatest(now, _tasks.c.updated_at + literal_column("interval '1 microsecond'")),
        "version": _tasks.c.version + 1,
        "change_seq": select(counters.c.changes).scalar_subquery(),
    }
    if "completed" in columns:
        # SET sees the row as it was: the completion time moves only with a change of state.
        stamped["completed_at"] = case(
            (_tasks.c.completed == new["completed"], _tasks.c.completed_at), (new["completed"], now), else_=null()
        )
    task = (
        update(_tasks)
        .where(_tasks.c.id.in_(select(target.c.id)))
        .values(**new, **stamped)
        .returning(*_tasks.c)
        .cte("task")
    )
    ctes: list[Any] = [target, counters]
    text_columns = {name: new[name] for name in ("title", "description") if name in columns}
    if text_columns:
        text = (
            update(_task_search)
            .where(
                _task_search.c.task_id.in_(select(task.c.id)),
                # Unchanged text keeps its trigram index entries.
                or_(*(_differs(_task_search.c[name], value) for name, value in text_columns.items())),
            )
            .values(**text_columns)
        )
        ctes.append(text.cte("text"))
    if "tags" in columns:
        ctes.extend(_retag_ctes(task))
    return select(task).add_cte(*ctes)


def _differs(column: Any, value: Any) -> Any:
    if column.name == "tags":  # `json` has no equality; `jsonb` compares arrays element by element
        return cast(column, postgresql.JSONB).is_distinct_from(cast(value, postgresql.JSONB))
    return column.is_distinct_from(value)


def _retag_ctes(task: Any) -> list[Any]:
    """The written `task`'s tags become those bound as `tag_keys`. Only the tags that go and
    the ones that come: the statement's parts see the same snapshot, so a tag deleted and
    inserted again in it would collide with itself."""
    dropped = delete(_task_tags).where(
        _task_tags.c.task_id.in_(select(task.c.id)),
        _task_tags.c.tag != func.all(bindparam("tag_keys", type_=postgresql.ARRAY(Text))),
    )
    added = (
        postgresql.insert(_task_tags)
        .from_select(["task_id", "tag", "user_id"], select(task.c.id, _unnest("tag_keys"), task.c.user_id))
        .on_conflict_do_nothing()
    )
    return [dropped.cte("dropped"), added.cte("added")]


@functools.lru_cache(maxsize=256)
def _write_statement(columns: frozenset[str], text_changed: bool, tags_changed: bool) -> Select[Any]:
    """The task's new `columns` (bound as `set_<name>`) if it is still at `read_version`, with
    the owner's counters and its change stamp, its search text and its tags, as
    data-modifying CTEs of one statement. The row is locked first: a concurrent write either
    finished before (then the version differs and nothing is written) or waits."""
    target = (
        select(_tasks.c.id)
        .where(_tasks.c.id == bindparam("target_id"), _tasks.c.version == bindparam("read_version"))
        .with_for_update()
        .cte("target")
    )
    counted = _count_statement("postgresql", only_if_live=None, source=target)
    counters = counted.cte("counters")
    new_values = {name: bindparam(f"set_{name}", type_=_tasks.c[name].type) for name in sorted(columns)}
    task = (
        update(_tasks)
        .where(_tasks.c.id.in_(select(target.c.id)))
        .values(**new_values, change_seq=select(counters.c.changes).scalar_subquery())
        .returning(*_tasks.c)
        .cte("task")
    )
    ctes: list[Any] = [target, counters]
    if text_changed:
        text = (
            update(_task_search)
            .where(_task_search.c.task_id.in_(select(task.c.id)))
            .values(title=bindparam("new_title"), description=bindparam("new_description"))
        )
        ctes.append(text.cte("text"))
    if tags_changed:
        ctes.extend(_retag_ctes(task))
    return select(task).add_cte(*ctes)


def _index_tags(session: Session, task: TaskRow, tags: list[str]) -> None:
    """The task's tags in `task_tags`, where the `tag` filter finds them by index."""
    if tags:
        rows = [{"task_id": task.id, "tag": tag_key(tag), "user_id": task.user_id} for tag in tags]
        session.connection().execute(_INSERT_TAGS, rows)


def bulk(
    session: Session,
    caller: TokenClaims,
    action: BulkAction,
    ids: Sequence[uuid.UUID],
    retention: timedelta,
    *,
    commit: bool = True,
) -> int:
    """`action` on every task of `ids`, all or nothing: 403 if any is another user's, else
    404 if any does not exist (or is in the trash). Returns how many tasks changed; with
    `commit=False` the caller commits. Deleted tasks go to the trash."""
    require_live(session, caller)
    owner_id = caller.subject
    own = _execute(session, _OWN_TASKS_FOR_UPDATE, {"ids": list(ids), "owner_id": owner_id}).all()
    if len(own) < len(ids):
        missing = set(ids) - {task.id for task in own}
        someone_elses = _execute(session, _ANY_OF_TASKS, {"ids": list(missing)}).first() is not None
        session.rollback()
        raise NotTaskOwner if someone_elses else TaskNotFound
    if action is BulkAction.DELETE:
        _trash(session, owner_id, own, retention)
        changed = len(own)
    else:
        changed = _set_completion(session, owner_id, own, action is BulkAction.COMPLETE)
    if commit:
        session.commit()
    return changed


def _set_completion(session: Session, owner_id: uuid.UUID, tasks: Sequence[TaskRow], completed: bool) -> int:
    to_change = [task for task in tasks if task.completed != completed]
    if not to_change:
        return 0
    seq = _count(session, owner_id, completed=len(to_change) if completed else -len(to_change))
    now = utc_now()
    # One UPDATE per new `updated_at`: all of them `now`, unless a task's clock is ahead.
    by_updated_at: dict[datetime, list[uuid.UUID]] = defaultdict(list)
    for task in to_change:
        by_updated_at[_after(task.updated_at, now)].append(task.id)
    for updated_at, ids in by_updated_at.items():
        values = {
            "completed": completed,
            "completed_at": now if completed else None,
            "updated_at": updated_at,
            "version": _tasks.c.version + 1,
            "change_seq": seq,
        }
        _execute(session, _BULK_SET_COMPLETION.values(values), {"ids": ids})
    return len(to_change)


def clear_completed(session: Session, caller: TokenClaims, retention: timedelta) -> int:
    """Move every completed task of the caller's to the trash; how many there were."""
    require_live(session, caller)
    completed = _execute(session, _OWN_COMPLETED_FOR_UPDATE, {"owner_id": caller.subject}).all()
    if completed:
        _trash(session, caller.subject, completed, retention)
    session.commit()
    return len(completed)


def _count(session: Session, owner_id: uuid.UUID, *, total: int = 0, completed: int = 0) -> int:
    """Move the owner's counters in the caller's transaction (created on the first task),
    count one more change and return the change's number, which the write stamps on the
    tasks it writes. The row lock this takes is held to the commit: it puts the owner's
    writes in the order of their numbers (see services/changes.py)."""
    statement = _count_statement(session.get_bind().dialect.name, only_if_live=None)
    return int(_execute(session, statement, _counted_values(owner_id, total=total, completed=completed)).scalar_one())


def _counted_values(owner_id: uuid.UUID, *, total: int, completed: int) -> dict[str, Any]:
    # Names of their own: these statements are also CTEs of writes to `tasks`, whose column
    # names would otherwise be taken for values to set.
    return {"counted_owner": owner_id, "counted_total": total, "counted_completed": completed}


@functools.cache
def _count_statement(dialect: str, only_if_live: bool | None, source: Any = None, completed: Any = None) -> Any:
    """The counters' upsert, returning the new change number; `only_if_live` (True for a
    token with a session, False without) writes nothing unless the caller's token is live,
    and a `source` (a CTE) nothing unless it has a row. The completed count moves by the
    bound `counted_completed`, or by `completed`, an expression over `source`."""
    row = select(
        bindparam("counted_owner", type_=_totals.c.user_id.type),
        bindparam("counted_total", type_=Integer),
        bindparam("counted_completed", type_=Integer) if completed is None else completed,
        literal_column("1", Integer),
    )
    if only_if_live is not None:
        row = row.where(liveness(only_if_live))
    if source is not None:
        row = row.select_from(source)
    counted = upsert_insert(dialect, _totals).from_select(["user_id", "total", "completed", "changes"], row)
    return counted.on_conflict_do_update(
        index_elements=[_totals.c.user_id],
        set_={
            "total": _totals.c.total + counted.excluded.total,
            "completed": _totals.c.completed + counted.excluded.completed,
            "changes": _totals.c.changes + 1,
        },
    ).returning(_totals.c.changes)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _after(previous: datetime, now: datetime) -> datetime:
    # `updated_at` must move forward even if the clock did not tick between two writes.
    return now if now > previous else previous + timedelta(microseconds=1)
