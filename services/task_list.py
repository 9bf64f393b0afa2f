"""The task list: filters, sort orders and keyset positions, in one query per page.

A page is read by position, not only by offset: the position is the sort key of the last
task seen (for example its `created_at` and `id`), and the next page is whatever sorts after
it. Tasks added or removed meanwhile cannot shift it, so nothing is skipped or repeated.
Every sort ends in `id`, so the order is total; every sort has an index that starts with
`user_id` and holds the whole key, so a page is an index range scan however long the list.

`services/tasks.py` holds the writes; the signing of positions into cursors is
`core/cursors.py`'s."""

from __future__ import annotations

import dataclasses
import functools
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    SmallInteger,
    Text,
    Uuid,
    and_,
    asc,
    bindparam,
    desc,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.types import TypeEngine
from sqlmodel import Session

from core.security import TokenClaims
from models.common import UTCDateTime, format_timestamp, utc_now
from models.task import Priority, SortOrder, Task, TaskListParams, TaskSearch, TaskSort, TaskTag, tag_key
from models.task_totals import TaskTotals
from services.errors import AccountGone, InvalidCursor
from services.sessions import liveness, liveness_values

TaskRow = Any  # a `tasks` row: attributes as in models.task.Task

_tasks = Task.__table__  # type: ignore[attr-defined]
_task_tags = TaskTag.__table__  # type: ignore[attr-defined]
_task_search = TaskSearch.__table__  # type: ignore[attr-defined]
_totals = TaskTotals.__table__  # type: ignore[attr-defined]
_LIKE_ESCAPE = "/"


@dataclass(frozen=True)
class TaskPageResult:
    rows: Sequence[TaskRow]
    total: int
    # The owner's change counter when the page was read: any task write moves it.
    changes: int
    # Where the next page starts (JSON values, for a cursor), or None when nothing follows.
    next_position: list[Any] | None


# --- sort keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KeyPart:
    """One column of a sort key: the SQL it sorts by, and how a position's value of it is
    read from a row, written as JSON, read back and bound."""

    name: str
    expression: ColumnElement[Any]
    type_: TypeEngine[Any]
    to_json: Callable[[Any], Any] = lambda value: value
    from_json: Callable[[Any], Any] = lambda value: value
    # What the bound value is compared as (the title sorts by lower(title)).
    bound: Callable[[ColumnElement[Any]], ColumnElement[Any]] = lambda value: value


def _parse_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(value)
    return datetime.fromisoformat(value)


def _strict(kind: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(value)
        return value

    return check


_c = _tasks.c
_CREATED_AT = _KeyPart("created_at", _c.created_at, UTCDateTime(), format_timestamp, _parse_timestamp)
_UPDATED_AT = _KeyPart("updated_at", _c.updated_at, UTCDateTime(), format_timestamp, _parse_timestamp)
_TITLE = _KeyPart("title", func.lower(_c.title), Text(), from_json=_strict(str), bound=func.lower)
_COMPLETED = _KeyPart("completed", _c.completed, Boolean(), from_json=_strict(bool))
_PRIORITY = _KeyPart("priority", _c.priority, SmallInteger(), from_json=_strict(int))
_DUE_AT = _KeyPart(
    "due_at",
    _c.due_at,
    UTCDateTime(),
    lambda value: None if value is None else format_timestamp(value),
    lambda value: None if value is None else _parse_timestamp(value),
)
_ID = _KeyPart("id", _c.id, Uuid(), str, lambda value: uuid.UUID(_strict(str)(value)))

_SORT_KEYS: dict[TaskSort, tuple[_KeyPart, ...]] = {
    TaskSort.CREATED_AT: (_CREATED_AT, _ID),
    TaskSort.UPDATED_AT: (_UPDATED_AT, _ID),
    TaskSort.TITLE: (_TITLE, _ID),
    TaskSort.COMPLETED: (_COMPLETED, _ID),
    TaskSort.PRIORITY: (_PRIORITY, _CREATED_AT, _ID),
    TaskSort.DUE_AT: (_DUE_AT, _ID),
}


def _due_at_missing(order: SortOrder) -> ColumnElement[bool]:
    # Sorted first, so that tasks without a due date come last in both orders: "is null"
    # ascending, "is not null" descending (the two due_at indexes hold these expressions).
    missing: ColumnElement[bool] = _c.due_at.is_(None) if order is SortOrder.ASC else _c.due_at.is_not(None)
    return missing


def _order_by(sort: TaskSort, order: SortOrder) -> list[ColumnElement[Any]]:
    direction = asc if order is SortOrder.ASC else desc
    columns = [part.expression for part in _SORT_KEYS[sort]]
    if sort is TaskSort.DUE_AT:
        columns.insert(0, _due_at_missing(order))
    return [direction(column) for column in columns]


def _after_position(sort: TaskSort, order: SortOrder, null_due_at: bool) -> ColumnElement[bool]:
    """Tasks that sort after the bound position (`after_<name>` values): one row-value
    comparison, which an index on the same columns answers as a range."""
    parts = _SORT_KEYS[sort]
    columns = [part.expression for part in parts]
    values = [part.bound(bindparam(f"after_{part.name}", type_=part.type_)) for part in parts]
    if sort is TaskSort.DUE_AT:
        if null_due_at:  # among the tasks without a due date, which sort by id alone
            columns, values = columns[1:], values[1:]
            return and_(_c.due_at.is_(None), _compare(order, columns, values))
        columns.insert(0, _due_at_missing(order))
        values.insert(0, false() if order is SortOrder.ASC else true())
    return _compare(order, columns, values)


def _compare(order: SortOrder, columns: list[Any], values: list[Any]) -> ColumnElement[bool]:
    left, right = tuple_(*columns), tuple_(*values)
    return left > right if order is SortOrder.ASC else left < right


def position_of(sort: TaskSort, row: TaskRow) -> list[Any]:
    return [part.to_json(getattr(row, part.name)) for part in _SORT_KEYS[sort]]


def _position_values(sort: TaskSort, position: list[Any]) -> dict[str, Any]:
    parts = _SORT_KEYS[sort]
    if len(position) != len(parts):
        raise InvalidCursor
    try:
        return {f"after_{part.name}": part.from_json(value) for part, value in zip(parts, position, strict=True)}
    except (TypeError, ValueError):
        raise InvalidCursor from None


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FilterShape:
    """Which filters a query uses (their values are bound): one statement per shape."""

    completed: bool | None
    q: bool
    priority: bool
    tag: bool
    overdue: bool | None
    due_before: bool
    due_after: bool

    @classmethod
    def of(cls, params: TaskListParams) -> _FilterShape:
        return cls(
            completed=params.completed,
            q=params.q is not None,
            priority=params.priority is not None,
            tag=params.tag is not None,
            overdue=params.overdue,
            due_before=params.due_before is not None,
            due_after=params.due_after is not None,
        )

    @property
    def counted(self) -> bool:
        """Whether the owner's counters give the total (no filter, or `completed` alone)."""
        return not (self.q or self.priority or self.tag or self.due_before or self.due_after) and self.overdue is None


_NO_FILTER = _FilterShape(None, q=False, priority=False, tag=False, overdue=None, due_before=False, due_after=False)
_TAG_ALONE = dataclasses.replace(_NO_FILTER, tag=True)
_SEARCH_ALONE = dataclasses.replace(_NO_FILTER, q=True)


def _filters(shape: _FilterShape) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [_c.user_id == bindparam("owner_id")]
    if shape.completed is not None:
        filters.append(_c.completed == shape.completed)
    if shape.q:
        filters.append(_c.id.in_(select(_SEARCH_MATCHES.c.task_id)))
    if shape.priority:
        filters.append(_c.priority == bindparam("priority_rank", type_=SmallInteger()))
    if shape.tag:
        filters.append(_c.id.in_(select(_task_tags.c.task_id).where(*_tagged())))
    if shape.overdue is not None:
        now = bindparam("now", type_=UTCDateTime())
        overdue = and_(_c.completed == false(), _c.due_at < now)
        filters.append(overdue if shape.overdue else or_(_c.completed == true(), _c.due_at.is_(None), _c.due_at >= now))
    if shape.due_before or shape.due_after:
        # Implied by either comparison, and said so that the range is read from the index
        # that starts with (user_id, due_at IS NOT NULL, due_at).
        filters.append(_c.due_at.is_not(None))
    if shape.due_before:
        filters.append(_c.due_at < bindparam("due_before", type_=UTCDateTime()))
    if shape.due_after:
        filters.append(_c.due_at >= bindparam("due_after", type_=UTCDateTime()))
    return filters


def _tagged() -> tuple[ColumnElement[bool], ...]:
    """The caller's `task_tags` rows of the tag asked for (an index lookup)."""
    return _task_tags.c.user_id == bindparam("owner_id"), _task_tags.c.tag == bindparam("tag_key", type_=Text())


def _search_matches() -> tuple[ColumnElement[bool], ...]:
    """The caller's searchable text that contains `q` (ILIKE, which the trigram index serves)."""
    pattern = bindparam("q_pattern", type_=Text())
    text = _task_search.c
    return (
        text.user_id == bindparam("owner_id"),
        or_(text.title.ilike(pattern, escape=_LIKE_ESCAPE), text.description.ilike(pattern, escape=_LIKE_ESCAPE)),
    )


# The tasks that match `q`, found once per query through the trigram index and shared by the
# page and its total. Materialized, so that the planner cannot instead walk the owner's tasks
# in sort order probing each one's text: with a misjudged number of matches, that read
# 44,000 tasks of 100,000 to find 21 (the count reads every match anyway).
_SEARCH_MATCHES = (
    select(_task_search.c.task_id).where(*_search_matches()).cte("search_matches").prefix_with("MATERIALIZED")
)


def _filter_values(params: TaskListParams) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if params.q is not None:
        escaped = "".join(f"{_LIKE_ESCAPE}{char}" if char in "%_/" else char for char in params.q)
        values["q_pattern"] = f"%{escaped}%"
    if params.priority is not None:
        values["priority_rank"] = Priority(params.priority).rank
    if params.tag is not None:
        values["tag_key"] = tag_key(params.tag)
    if params.overdue is not None:
        values["now"] = utc_now()
    if params.due_before is not None:
        values["due_before"] = params.due_before
    if params.due_after is not None:
        values["due_after"] = params.due_after
    return values


def _total(shape: _FilterShape) -> ColumnElement[int]:
    """The total across pages: the owner's counters when they know it, else a count over
    the filters (an index scan for each filter but `q`, a trigram index scan for `q`)."""
    # A tag or a search alone: counted where it is looked up (those rows exist only beside a task).
    if shape == _TAG_ALONE:
        return select(func.count()).select_from(_task_tags).where(*_tagged()).scalar_subquery()
    if shape == _SEARCH_ALONE:
        return select(func.count()).select_from(_SEARCH_MATCHES).scalar_subquery()
    if not shape.counted:
        return select(func.count()).select_from(_tasks).where(*_filters(shape)).scalar_subquery()
    if shape.completed is None:
        counted: Any = _totals.c.total
    elif shape.completed:
        counted = _totals.c.completed
    else:
        counted = _totals.c.total - _totals.c.completed
    return func.coalesce(select(counted).where(_totals.c.user_id == bindparam("owner_id")).scalar_subquery(), 0)


# The owner's change counter (0 before the first task): the list's ETag, and delta sync's
# position (services/changes.py).
OWNER_CHANGES = func.coalesce(
    select(_totals.c.changes).where(_totals.c.user_id == bindparam("owner_id")).scalar_subquery(), 0
)


def query_key(owner_id: uuid.UUID, params: TaskListParams) -> str:
    """What a cursor is bound to: the owner, the sort and every filter (not `limit`)."""

    def text(value: Any) -> Any:
        return format_timestamp(value) if isinstance(value, datetime) else value

    return json.dumps(
        [
            str(owner_id),
            params.sort,
            params.order,
            params.completed,
            params.q,
            params.priority,
            None if params.tag is None else tag_key(params.tag),
            params.overdue,
            text(params.due_before),
            text(params.due_after),
        ]
    )


# --- the page -------------------------------------------------------------------------------


def list_tasks(
    session: Session, caller: TokenClaims, params: TaskListParams, position: list[Any] | None = None
) -> TaskPageResult:
    """One page after `position` (or at `offset`), its total and the caller's liveness, in
    one round trip; only an empty page needs a second query, for the total."""
    with_session = caller.session_id is not None
    shape = _FilterShape.of(params)
    values = {**liveness_values(caller), **_filter_values(params)}
    resume: str | None = None
    if position is not None:
        after = _position_values(params.sort, position)
        resume = "null_due_at" if params.sort is TaskSort.DUE_AT and after["after_due_at"] is None else "value"
        values.update(after)
    statement = _page_statement(params.sort, params.order, shape, with_session, resume)
    # One more than the page, to know whether another page follows.
    offset = 0 if position is not None else params.offset
    rows = _execute(session, statement, {**values, "limit": params.limit + 1, "offset": offset}).all()
    if not rows:
        answer = _execute(session, _empty_statement(shape, with_session), values).one()
        if not answer.live:
            raise AccountGone
        return TaskPageResult([], int(answer.total), int(answer.changes), None)
    if not rows[0].live:
        raise AccountGone
    page = rows[: params.limit]
    more = len(rows) > params.limit
    next_position = position_of(params.sort, page[-1]) if more else None
    return TaskPageResult(page, int(rows[0].total), int(rows[0].changes), next_position)


@functools.lru_cache(maxsize=512)
def _page_statement(
    sort: TaskSort, order: SortOrder, shape: _FilterShape, with_session: bool, resume: str | None
) -> Select[Any]:
    # Built once per shape of the query and run with bound values: building a statement
    # and its cache key costs more than running it against an index.
    filters = _filters(shape)
    if resume is not None:
        filters.append(_after_position(sort, order, null_due_at=resume == "null_due_at"))
    return (
        select(
            _tasks, _total(shape).label("total"), OWNER_CHANGES.label("changes"), liveness(with_session).label("live")
        )
        .where(*filters)
        .order_by(*_order_by(sort, order))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.lru_cache(maxsize=128)
def _empty_statement(shape: _FilterShape, with_session: bool) -> Select[bool, int, int]:
    return select(liveness(with_session).label("live"), _total(shape).label("total"), OWNER_CHANGES.label("changes"))


def _execute(session: Session, statement: Any, values: dict[str, Any]) -> Any:
    return session.connection().execute(statement, values)
