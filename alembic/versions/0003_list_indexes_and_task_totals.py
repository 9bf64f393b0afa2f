"""An index per list sort, and per-user task counters for the list's total.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_INDEXES = {
    "ix_tasks_user_id_updated_at_id": ["user_id", "updated_at", "id"],
    "ix_tasks_user_id_title_lower_id": ["user_id", sa.text("lower(title)"), "id"],
    "ix_tasks_user_id_completed_id": ["user_id", "completed", "id"],
    "ix_tasks_user_id_completed_created_at_id": ["user_id", "completed", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "tasks", columns)
    op.create_table(
        "task_totals",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_task_totals_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_task_totals"),
    )
    op.execute(
        """
        INSERT INTO task_totals (user_id, total, completed)
        SELECT user_id, count(*), sum(CASE WHEN completed THEN 1 ELSE 0 END)
        FROM tasks GROUP BY user_id
        """
    )


def downgrade() -> None:
    op.drop_table("task_totals")
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="tasks")
