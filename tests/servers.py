"""The app as a real server: `alembic upgrade head`, then `python main.py` under uvicorn on a
free port, with its output in a log file; used by the black-box and multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import PROJECT_ROOT, TEST_SECRET

MIGRATE_TIMEOUT_SECONDS = 120
STARTUP_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10

# What the contract documents as defaults, set explicitly so that a developer's `.env`
# (which main.py and alembic read, the environment winning) cannot change what we test.
CONTRACT_DEFAULTS = {
    "JWT_EXPIRE_MINUTES": "10080",
    "CORS_ORIGINS": "http://localhost:3000,http://localhost:5173",
    "MAX_BODY_BYTES": str(1024 * 1024),
    # An empty value wins over a .env entry, so alembic migrates DATABASE_URL and nothing else.
    "MIGRATION_DATABASE_URL": "",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{_log_tail(log_path)}", pytrace=False)
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.1)
    pytest.fail(f"no 200 from {base_url}/health in {STARTUP_TIMEOUT_SECONDS} s:\n{_log_tail(log_path)}", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_app(database_url: str, workdir: Path, **settings: str) -> Iterator[str]:
    """Migrate `database_url`, serve it with main.py on a free port, yield the base URL.
    `settings` are extra environment variables (LOGIN_MAX_FAILURES="3", ...)."""
    port = free_port()
    env = {
        **os.environ,
        **CONTRACT_DEFAULTS,
        **settings,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "BCRYPT_ROUNDS": "4",  # the minimum: signups and logins stay fast
        "PYTHONUNBUFFERED": "1",
    }
    log_path = workdir / f"server-{port}.log"
    # Output goes to a file, never to a pipe nobody reads: a full pipe would block the server.
    with log_path.open("wb") as log:
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
            pytest.fail(f"alembic upgrade head failed:\n{_log_tail(log_path)}", pytrace=False)
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log_path)
        yield base_url
    finally:
        _stop(process)
