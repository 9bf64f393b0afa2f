"""Tasks, version 2, the list: a tag table for the `tag` filter, indexes for the `priority`
and `due_at` sorts and `overdue`, and a search table for `q` (under a trigram index on
PostgreSQL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_INDEXES = {
    "ix_tasks_user_id_priority_created_at_id": ["user_id", "priority", "created_at", "id"],
    "ix_tasks_user_id_due_at_nulls_last_id": ["user_id", sa.text("(due_at IS NULL)"), "due_at", "id"],
    "ix_tasks_user_id_due_at_nulls_first_id": ["user_id", sa.text("(due_at IS NOT NULL)"), "due_at", "id"],
}
OPEN_BY_DUE_AT = "ix_tasks_user_id_due_at_open"  # partial: open tasks only, for `overdue`
BACKFILL_BATCH = 1000
BACKFILL_SEARCH = """
    INSERT INTO task_search (task_id, user_id, title, description)
    SELECT id, user_id, title, description FROM tasks
"""


def upgrade() -> None:
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "tasks", columns)
    op.create_index(
        OPEN_BY_DUE_AT,
        "tasks",
        ["user_id", "due_at"],
        postgresql_where=sa.text("NOT completed"),
        sqlite_where=sa.text("NOT completed"),
    )
    op.create_table(
        "task_tags",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_task_tags_task_id_tasks", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "tag", name="pk_task_tags"),
    )
    op.create_index("ix_task_tags_user_id_tag_task_id", "task_tags", ["user_id", "tag", "task_id"])
    _backfill_task_tags()
    op.create_table(
        "task_search",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_task_search_task_id_tasks", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", name="pk_task_search"),
    )
    op.create_index("ix_task_search_user_id", "task_search", ["user_id"])
    op.execute(BACKFILL_SEARCH)
    if op.get_bind().dialect.name == "postgresql":
        # A trusted extension since PostgreSQL 13: the database owner may create it (Neon too).
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_task_search_trgm",
            "task_search",
            ["title", "description"],
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops", "description": "gin_trgm_ops"},
        )


def _backfill_task_tags() -> None:
    # In Python, so that a tag's key is lowered exactly as the app lowers it (str.lower).
    connection = op.get_bind()
    tasks = sa.table("tasks", sa.column("id", sa.Uuid()), sa.column("user_id", sa.Uuid()), sa.column("tags"))
    task_tags = sa.table(
        "task_tags", sa.column("task_id", sa.Uuid()), sa.column("tag"), sa.column("user_id", sa.Uuid())
    )
    tagged = sa.select(tasks.c.id, tasks.c.user_id, sa.cast(tasks.c.tags, sa.Text)).where(
        sa.cast(tasks.c.tags, sa.Text) != "[]"
    )
    rows: list[dict[str, object]] = []
    for task_id, user_id, tags in connection.execute(tagged):
        keys = {tag.lower() for tag in json.loads(tags)}
        rows.extend({"task_id": task_id, "tag": key, "user_id": user_id} for key in keys)
        if len(rows) >= BACKFILL_BATCH:
            connection.execute(sa.insert(task_tags), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(task_tags), rows)


def downgrade() -> None:
    # pg_trgm stays: something else in the database may use it.
    op.drop_table("task_search")
    op.drop_table("task_tags")
    op.drop_index(OPEN_BY_DUE_AT, table_name="tasks")
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="tasks")
