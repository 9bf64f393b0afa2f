"""Safe concurrency: a change counter per user (the list's ETag, and the sequence delta sync
reads) and the counter's value on each task at its last change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task_totals", sa.Column("changes", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("tasks", sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_tasks_user_id_change_seq", "tasks", ["user_id", "change_seq"])


def downgrade() -> None:
    op.drop_index("ix_tasks_user_id_change_seq", table_name="tasks")
    for table, column in (("tasks", "change_seq"), ("task_totals", "changes")):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
