"""Undo and delta sync: a trash for deleted tasks, and each task's place in its owner's
sequence of changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing tasks take position 0: a first sync (no token) returns them all, in id order.
    op.add_column("tasks", sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_tasks_user_id_change_seq_id", "tasks", ["user_id", "change_seq", "id"])
    op.create_table(
        "trashed_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_trashed_tasks_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_trashed_tasks"),
    )
    op.create_index("ix_trashed_tasks_user_id_deleted_at_id", "trashed_tasks", ["user_id", "deleted_at", "id"])
    op.create_index("ix_trashed_tasks_user_id_change_seq_id", "trashed_tasks", ["user_id", "change_seq", "id"])


def downgrade() -> None:
    op.drop_table("trashed_tasks")
    op.drop_index("ix_tasks_user_id_change_seq_id", table_name="tasks")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tasks DROP COLUMN change_seq")
    else:
        op.drop_column("tasks", "change_seq")
