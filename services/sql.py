"""SQL that differs between the two databases we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT ... DO UPDATE on this session's database."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table)
