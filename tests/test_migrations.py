"""The Alembic migrations on a fresh, empty database: up to head, down to base, and up again."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from core.db import create_db_engine
from models import idempotency, rate_limit, session, task, task_totals, user  # noqa: F401  (register the tables on the metadata)
from models.common import exists_on
from tests.support import Database, alembic_config, create_database, downgrade, drop_database, migrate

SCHEMA_TABLES = {
    "users",
    "sessions",
    "refresh_tokens",
    "tasks",
    "trashed_tasks",
    "task_tags",
    "task_search",
    "task_totals",
    "idempotency_keys",
    "rate_limits",
    "alembic_version",
}


UNIQUE_LOWER_INDEXES = {"uq_users_username_lower": "username", "uq_users_email_lower": "email"}


@pytest.fixture
def fresh_postgres(database: Database) -> Iterator[str]:
    if database.admin_url is None:
        pytest.skip("no right to create databases on this server")
    name, url = create_database(database.admin_url, prefix="todo_migrations")
    yield url
    drop_database(database.admin_url, name)


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres_only), "sqlite"])
def fresh_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"fresh_{request.param}"))


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_url)  # the app's own engine: foreign keys on, on SQLite too
    yield engine
    engine.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def index_definitions(engine: Engine) -> dict[str, str]:
    """Index name to its SQL, lower-cased, read from the catalogue (expression indexes included)."""
    query = (
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users'"
        if engine.dialect.name == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL"
    )
    with engine.connect() as connection:
        return {name: definition.lower() for name, definition in connection.execute(text(query)).all()}


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def insert_user(engine: Engine, username: str, email: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, email, hashed_password, created_at) "
                "VALUES (:id, :username, :email, 'x', :created_at)"
            ),
            {"id": uuid.uuid4().hex, "username": username, "email": email, "created_at": datetime.now(UTC)},
        )


def test_upgrade_to_head_creates_every_table(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)

    assert table_names(fresh_engine) == SCHEMA_TABLES


def test_upgrade_creates_unique_indexes_on_lower_username_and_email(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)

    indexes = index_definitions(fresh_engine)
    for name, column in UNIQUE_LOWER_INDEXES.items():
        assert "unique" in indexes[name]
        assert re.search(rf"lower\(\(?{column}\b", indexes[name]), indexes[name]


def test_the_lower_indexes_refuse_a_username_differing_only_in_case(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)
    insert_user(fresh_engine, "Alice", "alice@example.com")

    with pytest.raises(IntegrityError):
        insert_user(fresh_engine, "aLICE", "other@example.com")


def test_the_lower_indexes_refuse_an_email_differing_only_in_case(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)
    insert_user(fresh_engine, "alice", "alice@example.com")

    with pytest.raises(IntegrityError):
        insert_user(fresh_engine, "other", "ALICE@example.com")


def test_deleting_a_user_deletes_their_tasks(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)
    insert_user(fresh_engine, "alice", "alice@example.com")
    with fresh_engine.begin() as connection:
        user_id = connection.execute(text("SELECT id FROM users")).scalar_one()
        now = datetime.now(UTC)
        connection.execute(
            text(
                "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at) "
                "VALUES (:id, :user_id, 't', false, :now, :now)"
            ),
            {"id": uuid.uuid4().hex, "user_id": user_id, "now": now},
        )
        connection.execute(text("DELETE FROM users"))
        assert connection.execute(text("SELECT count(*) FROM tasks")).scalar_one() == 0


def test_downgrade_to_base_leaves_only_the_alembic_version_table(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)

    downgrade(fresh_url, "base")

    assert table_names(fresh_engine) == {"alembic_version"}
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 0


def test_upgrade_after_a_downgrade_rebuilds_the_schema(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)
    downgrade(fresh_url, "base")

    migrate(fresh_url)

    assert table_names(fresh_engine) == SCHEMA_TABLES
    assert set(UNIQUE_LOWER_INDEXES) <= set(index_definitions(fresh_engine))
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision(
            fresh_url
        )


def test_upgrade_is_idempotent_at_head(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)

    migrate(fresh_url)

    assert table_names(fresh_engine) == SCHEMA_TABLES


@pytest.mark.filterwarnings("ignore:.*expression-based index")  # SQLite cannot reflect them; PostgreSQL compares them
def test_the_migrated_schema_matches_the_models(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url)

    with fresh_engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection, opts={"include_object": lambda item, *_: exists_on(item, dialect)}
        )
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


def test_upgrading_to_0006_indexes_the_tags_and_text_of_existing_tasks(fresh_url: str, fresh_engine: Engine) -> None:
    migrate(fresh_url, "0005")
    insert_user(fresh_engine, "ada", "ada@example.com")
    with fresh_engine.begin() as connection:
        user_id = connection.execute(text("SELECT id FROM users")).scalar_one()
        for title, tags in (("tagged", '["Home", "errands"]'), ("untagged", "[]")):
            connection.execute(
                text(
                    "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at, tags) "
                    "VALUES (:id, :user_id, :title, false, :now, :now, :tags)"
                ),
                {"id": uuid.uuid4().hex, "user_id": user_id, "title": title, "now": datetime.now(UTC), "tags": tags},
            )

    migrate(fresh_url)

    with fresh_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT tasks.title, task_tags.tag FROM task_tags JOIN tasks ON tasks.id = task_tags.task_id")
        ).all()
    assert sorted(rows) == [("tagged", "errands"), ("tagged", "home")]
    with fresh_engine.connect() as connection:
        searchable = connection.execute(text("SELECT title FROM task_search ORDER BY title")).scalars().all()
    assert searchable == ["tagged", "untagged"]


def trigram_index_options(engine: Engine) -> list[str] | None:
    with engine.connect() as connection:
        options: list[str] | None = connection.execute(
            text("SELECT reloptions FROM pg_class WHERE relname = 'ix_task_search_trgm'")
        ).scalar_one()
    return options


@pytest.mark.postgres_only
def test_the_trigram_index_keeps_a_pending_list_of_128_kb(fresh_postgres: str) -> None:
    """A search reads the whole pending list, and the planner turns to a scan of every user's
    text once it is a few MB (the server's default limit is 4 MB): see migration 0010."""
    migrate(fresh_postgres)
    engine = create_db_engine(fresh_postgres)
    try:
        assert trigram_index_options(engine) == ["gin_pending_list_limit=128"]
        downgrade(fresh_postgres, "0009")
        assert trigram_index_options(engine) is None
    finally:
        engine.dispose()
