"""The bench's own database on the local PostgreSQL: created, migrated, seeded and dropped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bench.servers import PROJECT_ROOT
from core.config import normalize_database_url
from core.db import create_db_engine
from core.security import TokenClaims
from models import user  # noqa: F401  (registers `users`, which the tasks' foreign key names)
from models.task import TaskCreate
from services.tasks import create_task

# An existing database to connect to; the bench creates its own beside it.
ADMIN_URL_ENV = "BENCH_DATABASE_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME_PREFIX = "todo_bench"
MIGRATE_TIMEOUT_SECONDS = 120

# 100,000 tasks in one statement, spread so that every sort key and filter means something:
# created over about two years (10 minutes apart, with jitter), updated up to 30 days later
# (never in the future), 40% completed (completed_at = updated_at), titles from a mix of
# capitalised and lower-case words (title sorts ignore case), one in a thousand about the
# dentist (what a search looks for: `q=dentist` finds 100), a third without description;
# priorities evenly spread; 60% due within 45 days of creation (so many are overdue); three
# in four with one of seven tags (`health` on about 10,700), one in fifty also `admin`.
BULK_INSERT = text(
    """
    INSERT INTO tasks (id, user_id, title, description, completed, completed_at, created_at, updated_at,
                       due_at, priority, tags)
    SELECT gen_random_uuid(), CAST(:owner AS uuid), t.title, t.description, t.completed,
           CASE WHEN t.completed THEN t.updated_at END, t.created_at, t.updated_at,
           t.due_at, t.priority, t.tags
    FROM (
        SELECT
            CASE WHEN i % 1000 = 7 THEN 'Call the dentist ' || i
                 ELSE (ARRAY['Buy', 'call', 'Email', 'fix', 'Plan', 'read', 'Review', 'write', 'Pay', 'book',
                             'Clean', 'update'])[1 + (i * 7) % 12]
                      || ' ' || (ARRAY['milk', 'the bank', 'Grandma', 'the bike', 'a trip', 'chapter 3',
                                       'the report', 'tests', 'rent', 'flights', 'the garage', 'the CV',
                                       'taxes', 'slides'])[1 + (i * 11) % 14]
                      || ' ' || i END AS title,
            CASE WHEN i % 3 = 0 THEN NULL
                 ELSE 'Notes for task ' || i || ': ' || repeat('lorem ipsum ', (1 + i % 8)::int) END AS description,
            (i * 37) % 100 < 40 AS completed,
            c.created_at,
            LEAST(now(), c.created_at + ((i * 104729) % 2592000) * interval '1 second') AS updated_at,
            CASE WHEN i % 5 < 3 THEN c.created_at + ((i * 7) % 45) * interval '1 day' END AS due_at,
            ((i * 13) % 4)::smallint AS priority,
            CASE WHEN i % 4 = 0 THEN json_build_array()
                 WHEN i % 50 = 1 THEN json_build_array('admin', g.tag)
                 ELSE json_build_array(g.tag) END AS tags
        FROM generate_series(1::bigint, :count) AS i,
             LATERAL (SELECT now() - (:count - i) * interval '10 minutes'
                                   - ((i * 7919) % 600) * interval '1 second' AS created_at) AS c,
             LATERAL (SELECT (ARRAY['errands', 'family', 'finance', 'health', 'home', 'someday', 'work'])
                             [1 + i % 7] AS tag) AS g
    ) AS t
    """
)

# What the service layer writes beside each task: its tags (lower case already) and its text.
INDEX_TAGS = text(
    """
    INSERT INTO task_tags (task_id, tag, user_id)
    SELECT t.id, tag.value, t.user_id FROM tasks AS t, json_array_elements_text(t.tags) AS tag
    WHERE t.user_id = :owner
    """
)


INDEX_TEXT = text(
    """
    INSERT INTO task_search (task_id, user_id, title, description)
    SELECT id, user_id, title, description FROM tasks WHERE user_id = :owner
    """
)

RECOUNT_TOTALS = text(
    """
    INSERT INTO task_totals (user_id, total, completed)
    SELECT :owner, count(*), count(*) FILTER (WHERE completed) FROM tasks WHERE user_id = :owner
    ON CONFLICT (user_id) DO UPDATE SET total = excluded.total, completed = excluded.completed
    """
)


def admin_url() -> str:
    return normalize_database_url(os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL)


def _autocommit_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def server_version(url: str) -> str:
    engine = _autocommit_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database beside the admin URL's, dropped on the way out whatever happens."""
    admin = admin_url()
    name = f"{NAME_PREFIX}_{uuid.uuid4().hex[:10]}"
    try:
        _execute(admin, f'CREATE DATABASE "{name}"')
    except SQLAlchemyError as error:
        where = make_url(admin).render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise RuntimeError(
            f"cannot create a database beside {where}: {reason}\n"
            f"Start PostgreSQL there, or set {ADMIN_URL_ENV} to a server where this user may CREATE DATABASE."
        ) from None
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _execute(url: str, statement: str) -> None:
    engine = _autocommit_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def migrate(app_env: dict[str, str]) -> None:
    """`alembic upgrade head`, as `make migrate` runs it, with the app's environment."""
    completed = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **app_env},
        capture_output=True,
        text=True,
        timeout=MIGRATE_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{completed.stdout}\n{completed.stderr}")


def seed_tasks(url: str, owner_id: str, count: int, label: str) -> list[str]:
    """`count` tasks through the service layer (the app's own create_task); returns their ids."""
    engine = create_db_engine(url)
    try:
        # The owner as a token without a session would name them (live until they log out everywhere).
        owner = TokenClaims(subject=uuid.UUID(owner_id), issued_at=int(time.time()), expires_at=2**31 - 1)
        with Session(engine, expire_on_commit=False) as session:
            return [str(create_task(session, owner, _task(label, i)).id) for i in range(count)]
    finally:
        engine.dispose()


def _task(label: str, i: int) -> TaskCreate:
    description = None if i % 3 == 0 else f"{label} task {i}: some notes about it"
    return TaskCreate(title=f"{label.capitalize()} task {i}", description=description, completed=i % 4 == 0)


def seed_bulk(url: str, owner_id: str, count: int) -> None:
    """`count` tasks for one owner in a single INSERT ... SELECT generate_series, and the
    owner's task counters that the service layer would have kept (the list's total)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(BULK_INSERT, {"owner": owner_id, "count": count})
            connection.execute(INDEX_TAGS, {"owner": owner_id})
            connection.execute(INDEX_TEXT, {"owner": owner_id})
            connection.execute(RECOUNT_TOTALS, {"owner": owner_id})
    finally:
        engine.dispose()


def vacuum_analyze(url: str) -> None:
    """What autovacuum would have done by the time a real table held this much."""
    _execute(url, "VACUUM (ANALYZE) tasks")
    _execute(url, "VACUUM (ANALYZE) task_tags")
    _execute(url, "VACUUM (ANALYZE) task_search")
    _execute(url, "VACUUM (ANALYZE) users")
    _execute(url, "VACUUM (ANALYZE) task_totals")


def count_tasks(url: str, owner_id: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM tasks WHERE user_id = CAST(:owner AS uuid)")
            return int(connection.execute(query, {"owner": owner_id}).scalar_one())
    finally:
        engine.dispose()
