"""SQL that differs between the two databases we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert_insert(dialect: str, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT ... DO UPDATE on the database named `dialect`."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table)
