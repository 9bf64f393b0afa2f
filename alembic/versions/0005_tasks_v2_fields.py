"""Tasks, version 2: due date, priority, tags and version on every task.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("due_at", "priority", "tags", "version")


def upgrade() -> None:
    # Existing rows get the defaults: no due date, priority none, no tags, version 1; and so
    # does a row inserted by anything but the app (SQL by hand, a companion service).
    # Not in batch mode, so that SQLite keeps the table (and its indexes) as it is.
    op.add_column("tasks", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"))
    op.add_column("tasks", sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("tasks", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE tasks DROP COLUMN {name}")
        else:
            op.drop_column("tasks", name)
