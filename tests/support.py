"""Test plumbing: which database the suite runs on, and how it is built."""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from alembic.config import Config
from jose import jwt
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from alembic import command
from core.config import Settings, normalize_database_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Test-only values: they exist nowhere but in this suite.
TEST_SECRET = "test-only-signing-secret-0123456789abcdef"
DEFAULT_PASSWORD = "s3cret-Passw0rd!"


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


class PostgresRequired(RuntimeError):
    """REQUIRE_POSTGRES=1 and no PostgreSQL answered: the run must fail, not fall back."""


@dataclass
class Database:
    url: str
    is_postgres: bool
    fallback_reason: str | None = None
    owned_name: str | None = None  # a throwaway database this run created and drops
    admin_url: str | None = None

    def describe(self) -> str:
        where = make_url(self.url).render_as_string(hide_password=True)
        if self.fallback_reason:
            return f"database: SQLite FALLBACK ({where}) because PostgreSQL was unreachable: {self.fallback_reason}"
        return f"database: {'PostgreSQL' if self.is_postgres else 'SQLite'} ({where})"

    def drop(self) -> None:
        if self.owned_name and self.admin_url:
            drop_database(self.admin_url, self.owned_name)
        elif not self.is_postgres:
            shutil.rmtree(Path(make_url(self.url).database or "").parent, ignore_errors=True)


def create_database(admin_url: str, prefix: str = "todo_test") -> tuple[str, str]:
    """A fresh, empty database beside `admin_url`'s; returns its name and URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _run_outside_a_transaction(admin_url, f'CREATE DATABASE "{name}"')
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    _run_outside_a_transaction(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_outside_a_transaction(url: str, statement: str) -> None:
    # CREATE and DROP DATABASE refuse to run inside a transaction block.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _reachable(url: str) -> str | None:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except SQLAlchemyError as exc:
        return str(exc.orig if hasattr(exc, "orig") else exc).strip().splitlines()[0]
    finally:
        engine.dispose()


def provision_database() -> Database:
    """PostgreSQL (`TEST_DATABASE_URL`, else the local server) in a throwaway database built
    by the migrations; SQLite when no PostgreSQL answers, unless REQUIRE_POSTGRES=1."""
    base_url = normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    problem = _reachable(base_url)
    if problem is not None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise PostgresRequired(f"REQUIRE_POSTGRES=1 but PostgreSQL at {base_url} is unreachable: {problem}")
        path = Path(tempfile.mkdtemp(prefix="todo-tests-")) / "test.sqlite3"
        database = Database(url=f"sqlite:///{path}", is_postgres=False, fallback_reason=problem)
    else:
        try:
            name, url = create_database(base_url)
            database = Database(url=url, is_postgres=True, owned_name=name, admin_url=base_url)
        except SQLAlchemyError:
            # No right to create databases (a hosted server): use the given one, emptied.
            reset_schema(base_url)
            database = Database(url=base_url, is_postgres=True)
    migrate(database.url)
    return database


def reset_schema(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def make_token(
    subject: str | None,
    *,
    secret: str = TEST_SECRET,
    algorithm: str = "HS256",
    expires_in: timedelta | None = timedelta(hours=1),
    **extra: Any,
) -> str:
    """A JWT shaped as the test wants it, including shapes the service must refuse."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iat": int(now.timestamp()), **extra}
    if subject is not None:
        claims["sub"] = subject
    if expires_in is not None:
        claims["exp"] = int((now + expires_in).timestamp())
    return str(jwt.encode(claims, secret, algorithm=algorithm))


def unsigned_token(subject: str) -> str:
    """An `alg: none` token: a header and claims with an empty signature."""

    def encode(part: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode({'sub': subject, 'exp': exp})}."


def settings_for(database: Database, **overrides: Any) -> Settings:
    # Throttling off unless a test turns it on: the suite signs up far more than 20 users.
    values: dict[str, Any] = {
        "database_url": database.url,
        "secret": TEST_SECRET,
        "bcrypt_rounds": 4,
        "login_max_failures": 0,
        "signup_max_per_ip": 0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class ResponseWatch:
    """Every response a test's clients receive, checked when the test ends."""

    responses: list[httpx.Response]

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)


# Every field of a task as the API returns it (contract versions 1 and 2).
TASK_KEYS = {
    "id",
    "user_id",
    "title",
    "description",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "due_at",
    "priority",
    "tags",
    "version",
}


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def tasks_url(self) -> str:
        return f"/api/{self.id}/tasks"


def signup_account(
    client: httpx.Client, username: str | None = None, email: str | None = None, password: str = DEFAULT_PASSWORD
) -> Account:
    """Sign up through the API (a TestClient or a client of a real server) and expect a 201."""
    username = username or f"user_{uuid.uuid4().hex[:12]}"
    email = email or f"{username}@example.com"
    response = client.post(
        "/api/auth/signup",
        json={"username": username, "email": email, "password": password, "confirm_password": password},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], body["user"]["username"], body["user"]["email"], password, body["access_token"])
