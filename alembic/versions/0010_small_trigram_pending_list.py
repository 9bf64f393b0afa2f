"""The trigram index keeps a small pending list (128 kB instead of the server's 4 MB default).

A GIN index queues new entries in a pending list that every search reads in full, and that
the planner prices in: past about 3 MB (some 3,000 new or edited texts of anyone's, since the
last flush) it planned `q` as a scan of every user's text, 120 to 220 ms instead of 1 to 5 ms
for a user with 100,000 tasks. At 128 kB the list is flushed every hundred or so writes, in a
few milliseconds, and a search never reads more than 16 pages of it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_task_search_trgm SET (gin_pending_list_limit = 128)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_task_search_trgm RESET (gin_pending_list_limit)")
