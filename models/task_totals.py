"""The `task_totals` table: how many tasks each user has, kept with every task write."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger
from sqlmodel import Field as Column
from sqlmodel import SQLModel


class TaskTotals(SQLModel, table=True):
    """The list's `total` for a user with 100,000 tasks would otherwise be a count over all
    of them on every page; these counters change in the same transaction as the tasks."""

    __tablename__ = "task_totals"

    user_id: uuid.UUID = Column(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    total: int = 0
    completed: int = 0
    # One more on every write to any of the user's tasks, in the same transaction: the
    # list's ETag changes with it, without reading any task.
    changes: int = Column(default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs={"server_default": "0"})
