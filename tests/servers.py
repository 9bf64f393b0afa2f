"""The app as it really runs: `python main.py` (uvicorn) in a subprocess, on a free port,
against a given database, with its log in a file the tests read afterwards. Used by the
black-box, multi-process and fault tests, and by `tests.faults.fault_run` outside pytest
(so `AppServer` raises plain exceptions; `running_app` turns them into test failures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from tests.support import PROJECT_ROOT, TEST_SECRET

MIGRATE_TIMEOUT_SECONDS = 120
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
# What the app logs when a request ended in a 500 (core/errors.py), and any stack trace.
UNHANDLED_MARKERS = ("unhandled error", "Traceback (most recent call last)")

# Set explicitly, so that a developer's `.env` (read by main.py, the environment winning)
# cannot change what we test. An empty MIGRATION_DATABASE_URL wins over a .env entry.
BASE_ENVIRONMENT = {
    "JWT_EXPIRE_MINUTES": "10080",
    "CORS_ORIGINS": "http://localhost:3000,http://localhost:5173",
    "MAX_BODY_BYTES": str(1024 * 1024),
    "MIGRATION_DATABASE_URL": "",
    "BETTER_AUTH_SECRET": TEST_SECRET,
    "BCRYPT_ROUNDS": "4",  # the minimum: signups and logins stay fast
    "PYTHONUNBUFFERED": "1",
}


class ServerError(RuntimeError):
    """The app did not start or exited on its own."""


class AppServer:
    """`with AppServer(database_url, workdir) as server:` serves the (already migrated)
    database at `server.base_url` until the block ends."""

    def __init__(self, database_url: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        env = {
            **os.environ,
            **BASE_ENVIRONMENT,
            **self.extra_env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATABASE_URL": self.database_url,
        }
        # Output to a file, never to a pipe nobody reads: a full pipe would block the server.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "main.py"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def unhandled_errors(self, since: int = 0) -> list[str]:
        """Log lines (from character offset `since`) that show a request ended in a 500."""
        text = self.log_text()[since:]
        return [line for line in text.splitlines() if any(marker in line for marker in UNHANDLED_MARKERS)]

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"the app exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
        raise ServerError(f"no 200 from {self.base_url}/health in {STARTUP_TIMEOUT_SECONDS} s:\n{self.log_tail()}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def migrate_in_subprocess(database_url: str, log_path: Path) -> None:
    """`alembic upgrade head` as an operator runs it, with the same environment rules."""
    env = {**os.environ, **BASE_ENVIRONMENT, "DATABASE_URL": database_url}
    with log_path.open("ab") as log:
        migration = subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=MIGRATE_TIMEOUT_SECONDS,
            check=False,
        )
    if migration.returncode != 0:
        raise ServerError(f"alembic upgrade head failed:\n{log_path.read_text(errors='replace')[-4000:]}")


@contextmanager
def running_app(database_url: str, workdir: Path, **settings: str) -> Iterator[str]:
    """Migrate `database_url`, serve it on a free port, yield the base URL; for tests.
    `settings` are extra environment variables (LOGIN_MAX_FAILURES="3", ...)."""
    try:
        migrate_in_subprocess(database_url, workdir / "migrate.log")
        server = AppServer(database_url, workdir, env=settings)
        server.start()
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server.base_url
    finally:
        server.stop()
