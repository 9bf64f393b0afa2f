"""Delta sync: what changed in the caller's tasks since a position in its sequence of changes.

Every task write moves the owner's change counter (`task_totals.changes`) and stamps the tasks
it wrote with the new value (`change_seq`); a deleted task keeps its stamp in the trash. The
counter's row lock is held to the commit, so one owner's writes commit in the order of their
stamps, and whatever a reader sees after a position is complete up to where it stops reading.
A position is the `(change_seq, id)` of the last task an answer held when more follow, else
the counter's value as the answer read it.

A purged task leaves no trace, which is why a token older than the trash retention is refused
(410): every task deleted after a token was issued is still in the trash while the token is
accepted."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, bindparam, literal_column, select, true, tuple_, union_all
from sqlmodel import Session

from core.security import TokenClaims
from models.common import format_timestamp, utc_now
from models.task import Task, TrashedTask
from services.errors import InvalidSyncToken, SyncTokenExpired
from services.sessions import require_live
from services.task_list import OWNER_CHANGES
from services.trash import TASK_COLUMNS

SYNC_PAGE_SIZE = 500  # changed and deleted together

_tasks = Task.__table__  # type: ignore[attr-defined]
_trashed = TrashedTask.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SyncPosition:
    """Where a client's copy stands: after the task `task_id` at change `seq` (after every
    task at `seq` when `task_id` is None), as of `issued_at`. `trashed_after` is set while a
    first sync is read in pages: deletions up to that change happened before it began and
    concern tasks the client never had."""

    seq: int
    task_id: uuid.UUID | None
    issued_at: datetime
    trashed_after: int = -1

    def to_json(self) -> list[Any]:
        task_id = None if self.task_id is None else str(self.task_id)
        return [self.seq, task_id, format_timestamp(self.issued_at), self.trashed_after]

    @classmethod
    def from_json(cls, value: list[Any]) -> SyncPosition:
        try:
            seq, task_id, issued_at, trashed_after = value
            if not (type(seq) is int and type(trashed_after) is int):
                raise ValueError(value)
            if not (isinstance(issued_at, str) and isinstance(task_id, str | None)):
                raise ValueError(value)
            parsed_id = None if task_id is None else uuid.UUID(task_id)
            return cls(seq, parsed_id, datetime.fromisoformat(issued_at), trashed_after)
        except (ValueError, TypeError):
            raise InvalidSyncToken from None


@dataclass(frozen=True)
class Changes:
    changed: Sequence[Any]  # `tasks` rows
    deleted: Sequence[uuid.UUID]
    next_position: SyncPosition
    has_more: bool


_BEFORE_EVERYTHING = -1  # tasks written before delta sync existed are at 0


def query_key(owner_id: uuid.UUID) -> str:
    """What a sync token is bound to: its owner, and being a sync token."""
    return f"changes/{owner_id}"


def read_changes(session: Session, caller: TokenClaims, since: SyncPosition | None, retention: timedelta) -> Changes:
    """Without `since`, every live task; with it, the tasks written and the ids deleted
    after it. At most SYNC_PAGE_SIZE of them, oldest change first."""
    now = utc_now()
    if since is not None and since.issued_at < now - retention:
        raise SyncTokenExpired
    require_live(session, caller)
    start = since or SyncPosition(_BEFORE_EVERYTHING, None, now)
    values: dict[str, Any] = {
        "owner_id": caller.subject,
        "after_seq": start.seq,
        "trashed_after": start.trashed_after,
        "fetch": SYNC_PAGE_SIZE + 1,
    }
    if start.task_id is not None:
        values["after_id"] = start.task_id
    statement = _changes_statement(with_trash=since is not None, within_seq=start.task_id is not None)
    rows = session.connection().execute(statement, values).all()
    counter = int(rows[0].counter)  # read with the rows, in the same snapshot
    entries = [row for row in rows if row.id is not None]
    page = entries[:SYNC_PAGE_SIZE]
    has_more = len(entries) > SYNC_PAGE_SIZE
    if has_more:
        last = page[-1]
        # A first sync read in pages skips what was deleted before it began.
        trashed_after = counter if since is None else start.trashed_after
        next_position = SyncPosition(last.change_seq, last.id, now, trashed_after)
    else:
        # Everything up to the counter was read: the next change will be numbered above it.
        next_position = SyncPosition(counter, None, now)
    return Changes(
        changed=[row for row in page if not row.trashed],
        deleted=[row.id for row in page if row.trashed],
        next_position=next_position,
        has_more=has_more,
    )


@functools.cache
def _changes_statement(*, with_trash: bool, within_seq: bool) -> Select[Any]:
    """The owner's change counter and the rows after the position in `(change_seq, id)`
    order, live ones and (`with_trash`) trashed ones, in one statement: one snapshot of the
    counter and both tables. With no rows, one row of the counter alone (id null)."""

    def after(table: Any) -> Select[Any]:
        seq, task_id = table.c.change_seq, table.c.id
        if within_seq:
            after_id = bindparam("after_id", type_=task_id.type)
            beyond = tuple_(seq, task_id) > tuple_(bindparam("after_seq"), after_id)
        else:
            beyond = seq > bindparam("after_seq")
        conditions = [table.c.user_id == bindparam("owner_id"), beyond]
        if table is _trashed:
            conditions.append(seq > bindparam("trashed_after"))
        trashed = literal_column("1" if table is _trashed else "0", Integer).label("trashed")
        return (
            select(*[table.c[name] for name in TASK_COLUMNS], trashed)
            .where(*conditions)
            .order_by(seq, task_id)
            .limit(bindparam("fetch"))
        )

    if with_trash:
        both = union_all(select(after(_tasks).subquery()), select(after(_trashed).subquery())).subquery()
        rows = select(both).order_by(both.c.change_seq, both.c.id).limit(bindparam("fetch")).subquery("page")
    else:
        rows = after(_tasks).subquery("page")
    counter = select(OWNER_CHANGES.label("counter")).subquery("counter")
    return (
        select(counter.c.counter, rows)
        .select_from(counter.outerjoin(rows, true()))
        .order_by(rows.c.change_seq, rows.c.id)
    )
