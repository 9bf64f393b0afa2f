"""Alembic environment: the app's own engine factory and SQLModel metadata."""

from __future__ import annotations

from logging.config import fileConfig

from sqlmodel import SQLModel

from alembic import context
from core.config import database_url, normalize_database_url, read_environment
from core.db import create_db_engine
from models import idempotency, rate_limit, session, task, task_totals, user  # noqa: F401  (register the tables on the metadata)
from models.common import exists_on

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def migration_url() -> str:
    # Tests pass their database in `attributes`; Neon wants the direct (unpooled) host
    # for DDL, given as MIGRATION_DATABASE_URL, while the app uses the pooled DATABASE_URL.
    explicit = config.attributes.get("database_url")
    if explicit:
        return str(explicit)
    env = read_environment()
    direct = env.get("MIGRATION_DATABASE_URL", "").strip()
    return normalize_database_url(direct) if direct else database_url(env)


def run_migrations_offline() -> None:
    context.configure(url=migration_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(migration_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                # Indexes for another database (the trigram ones are PostgreSQL's) are not missing.
                include_object=lambda item, _name, _kind, _reflected, _compare_to: exists_on(
                    item, connection.dialect.name
                ),
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
