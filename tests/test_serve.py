"""`make serve`, the production-style server: it migrates the database first, then runs
WORKERS uvicorn processes on one socket, and believes X-Forwarded-For only from the peers in
FORWARDED_ALLOW_IPS. Started here exactly as an operator types it, on a throwaway
PostgreSQL database, with two workers.

The client address is observed through what the app does with it: signups are throttled
per client address (SIGNUP_MAX_PER_IP=1 here), so two signups with different forwarded
addresses both succeed when the header is believed, and the second is a 429 when it is not."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from tests.servers import BASE_ENVIRONMENT, free_port
from tests.support import DEFAULT_PASSWORD, PROJECT_ROOT, Database, alembic_config, create_database, drop_database

pytestmark = pytest.mark.postgres_only

WORKERS = 2
STARTUP_TIMEOUT_SECONDS = 120  # the migrations, then two processes importing the app
STOP_TIMEOUT_SECONDS = 15
# What make itself reads from the environment: a `make test` around this run must not leak
# its job server or flags into the `make serve` under test.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
# An address of this machine that is not 127.0.0.1: a peer FORWARDED_ALLOW_IPS does not trust.
UNTRUSTED_PEER = "127.0.0.2"
STARTED_WORKER = re.compile(r"Started server process \[(\d+)\]")


@dataclass
class Served:
    base_url: str
    group: int  # make's pid, the process group of make and everything it started
    log_path: Path
    database_url: str

    def log_lines(self) -> list[dict[str, object]]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])


def live_processes_in_group(group: int) -> dict[int, str]:
    """pid -> command line of every process of the group that is not a zombie."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pgid = fields[0], int(fields[2])
        if pgid == group and state != "Z":
            found[int(entry.name)] = cmdline.strip()
    return found


def worker_processes(group: int) -> set[int]:
    # uvicorn starts its workers with multiprocessing's "spawn"; the group also holds make,
    # the supervisor and multiprocessing's resource tracker.
    return {pid for pid, cmdline in live_processes_in_group(group).items() if "spawn_main" in cmdline}


def started_workers(served: Served) -> set[int]:
    pids = set()
    for line in served.log_lines():
        match = STARTED_WORKER.fullmatch(str(line.get("message", "")))
        if match:
            pids.add(int(match.group(1)))
    return pids


def stop(process: subprocess.Popen[bytes]) -> None:
    group = process.pid
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while live_processes_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.2)
        process.poll()  # reap make
    if live_processes_in_group(group):
        os.killpg(group, signal.SIGKILL)
    process.wait(STOP_TIMEOUT_SECONDS)


def wait_until_served(process: subprocess.Popen[bytes], served: Served) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make serve exited with {process.returncode}:\n{served.log_tail()}", pytrace=False)
        try:
            healthy = httpx.get(f"{served.base_url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            healthy = False  # not listening yet
        startups = sum(1 for line in served.log_lines() if line.get("message") == "Application startup complete.")
        if healthy and startups == WORKERS:
            return
        time.sleep(0.2)
    pytest.fail(f"make serve was not up with {WORKERS} workers in {STARTUP_TIMEOUT_SECONDS} s:\n{served.log_tail()}")


@pytest.fixture(scope="module")
def served(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed to test `make serve`", pytrace=False)
    assert database.admin_url is not None
    name, url = create_database(database.admin_url, prefix="todo_serve")
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}", 0, tmp_path_factory.mktemp("serve") / "make-serve.log", url)
    env = {name: value for name, value in os.environ.items() if name not in MAKE_VARIABLES}
    env.update(BASE_ENVIRONMENT)  # a secret, so that nothing reads a developer's .env for one
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=url,
        WORKERS=str(WORKERS),
        FORWARDED_ALLOW_IPS="127.0.0.1",
        TRUSTED_PROXIES="",
        SIGNUP_MAX_PER_IP="1",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    try:
        with served.log_path.open("ab") as log:
            # `-o` the runtime stamp: a test never installs packages, it runs the venv it is in.
            # Its own session, so that the stop reaches make, the supervisor and the workers.
            process = subprocess.Popen(
                [make, "--no-print-directory", "-o", ".venv/.runtime-installed", "serve"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served.group = process.pid
        try:
            wait_until_served(process, served)
            yield served
        finally:
            stop(process)
    finally:
        drop_database(database.admin_url, name)


def signup(client: httpx.Client, base_url: str, forwarded_for: str) -> int:
    username = f"u_{uuid.uuid4().hex[:12]}"
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
    }
    answer = client.post(f"{base_url}/api/auth/signup", json=body, headers={"X-Forwarded-For": forwarded_for})
    return answer.status_code


def test_make_serve_applies_the_migrations_first(served: Served) -> None:
    head = ScriptDirectory.from_config(alembic_config(served.database_url)).get_current_head()
    engine = create_engine(served.database_url)
    try:
        with engine.connect() as connection:
            applied = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()

    assert applied == head


def test_make_serve_answers_health(served: Served) -> None:
    answer = httpx.get(f"{served.base_url}/health", timeout=10)

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_make_serve_runs_two_worker_processes(served: Served) -> None:
    workers = worker_processes(served.group)

    assert len(workers) == WORKERS
    assert started_workers(served) == workers  # each of them serves: it logged its start


def test_a_trusted_proxys_x_forwarded_for_is_the_client_address(served: Served) -> None:
    # From 127.0.0.1, which FORWARDED_ALLOW_IPS trusts: each forwarded address has its own limit.
    with httpx.Client(timeout=30) as proxy:
        statuses = [signup(proxy, served.base_url, client) for client in ("203.0.113.1", "203.0.113.2", "203.0.113.1")]

    assert statuses == [201, 201, 429]


def test_an_untrusted_peers_x_forwarded_for_is_ignored(served: Served) -> None:
    # From 127.0.0.2: both signups count against the peer itself, whatever the header says.
    transport = httpx.HTTPTransport(local_address=UNTRUSTED_PEER)
    with httpx.Client(transport=transport, timeout=30) as stranger:
        statuses = [signup(stranger, served.base_url, client) for client in ("198.51.100.1", "198.51.100.2")]

    assert statuses == [201, 429]
