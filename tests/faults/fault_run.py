"""Concurrent task creation while PostgreSQL restarts: no lost and no half-made writes.

    .venv/bin/python -m tests.faults.fault_run [--clients 8] [--seconds 20] [--down 2] [--retry-clients 4]

Starts a throwaway PostgreSQL cluster (never the shared server), migrates it, serves the
app with uvicorn in a subprocess against it and signs up one user per client. Then every
client creates tasks over HTTP as fast as it gets answers, each with a title of its own
(`c<client>-<seq>`, never retried), while the cluster is stopped (fast shutdown), left
down for a while and started again in the middle of the run. Afterwards the database is
read and the promises are checked:

- every request got a 2xx or a 503 with `Retry-After` and a JSON `detail`: no other
  status, no transport error, and no answer slower than the per-request timeout;
- every task acknowledged with a 201 is in the database, exactly as answered;
- no title is stored twice, nothing is stored that was never sent, nothing half-made;
- the same server process creates tasks again after the restart (and /health stayed 200
  and /health/ready said 503 while the database was down), with no 500 in its log.

A task stored without a 201 is allowed (the commit happened, its answer was lost with the
connection) and is listed.

With `--retry-clients N` (`.ci/fault-run` runs 4), N more clients, each with an account of
its own, create tasks through the same outage the way a careful client does: every task
with a fresh `Idempotency-Key` (a UUID) and a title of its own (`r<client>-<seq>`); on a
503, a 409 (the first attempt still running), a timeout or a connection error the SAME
request is sent again with the same key, until a 201 or a deadline. Afterwards:

- every key got its 201 before the deadline, and every 201 for a key (first answer or
  replay) names the same task;
- exactly one task with the key's title is stored (none missing, none twice), and no task
  of these clients has a title that no key was sent with;
- no answer was anything but a 201, a 503 or a 409.

The exit status is 1 when a promise is broken.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.faults.cluster import StopMode, ThrowawayCluster
from tests.servers import AppServer
from tests.support import DEFAULT_PASSWORD, Account, migrate

REQUEST_TIMEOUT_SECONDS = 15.0
BACKOFF_AFTER_503_SECONDS = 0.1  # a short pause, so clients do not spin while the database is down
RETRY_BACKOFF_MAX_SECONDS = 1.0  # retries back off from BACKOFF_AFTER_503_SECONDS, doubling, up to this
# A retrying client keeps retrying its last key this long after the run's end, then gives up.
RETRY_GRACE_SECONDS = 30.0
RETRY_STATUSES = frozenset({409, 503})  # answers that a retrying client retries (and timeouts, lost connections)
SHOWN_EXAMPLES = 10


@dataclass(frozen=True)
class Outcome:
    """One create request, as the client saw it."""

    client: int
    title: str
    started: float  # seconds since the run began
    elapsed: float
    status: int | None = None  # None: no HTTP answer (timeout or transport error)
    failure: str | None = None  # "timeout" or the transport error's name
    task: dict[str, Any] | None = None  # the 201 body
    location: str | None = None
    retry_after: str | None = None
    detail: object = None


@dataclass(frozen=True)
class Attempt:
    """One request of a retrying client: the first for its key or a retry."""

    started: float
    elapsed: float
    status: int | None = None  # None: no HTTP answer (timeout or transport error)
    failure: str | None = None
    replayed: bool = False  # `Idempotent-Replayed: true`
    task_id: str | None = None  # the 201 body's id
    title: str | None = None  # the 201 body's title


@dataclass
class KeyedCreate:
    """One task a retrying client meant to create once, with every request it sent for it."""

    client: int
    key: str
    title: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def created(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 201]

    @property
    def first_try_201(self) -> bool:
        return bool(self.attempts) and self.attempts[0].status == 201

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


@dataclass
class Outage:
    stop_requested: float = 0.0
    stopped: float = 0.0
    start_requested: float = 0.0
    started: float = 0.0
    health_status: int | None = None
    ready_status: int | None = None
    ready_after_status: int | None = None


@dataclass
class FaultReport:
    clients: int
    seconds: float
    request_timeout: float
    accounts: dict[int, Account]
    outcomes: list[Outcome]
    outage: Outage
    stored: list[dict[str, Any]]  # every row of `tasks` after the run
    unhandled_log_lines: list[str]
    stuck_clients: int
    server_pid_unchanged: bool
    server_log: Path | None = None
    problems: list[str] = field(default_factory=list)
    # The retrying clients (Idempotency-Key), when the run has some.
    retry_accounts: dict[int, Account] = field(default_factory=dict)
    keyed: list[KeyedCreate] = field(default_factory=list)
    retry_deadline: float = 0.0  # seconds since the run began

    # --- counts --------------------------------------------------------------------------

    @property
    def created(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 201]

    @property
    def unavailable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 503]

    @property
    def other_statuses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status not in (201, 503)]

    @property
    def timeouts(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failure == "timeout" or o.elapsed > self.request_timeout]

    @property
    def transport_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failure is not None and o.failure != "timeout"]

    @property
    def malformed_503s(self) -> list[Outcome]:
        return [
            o
            for o in self.unavailable
            if not (o.retry_after or "").isdigit()
            or int(o.retry_after or "0") <= 0
            or not isinstance(o.detail, str)
            or not o.detail
        ]

    @property
    def created_after_restart(self) -> list[Outcome]:
        return [o for o in self.created if o.started >= self.outage.started]

    # --- the retrying clients' counts ------------------------------------------------------

    @property
    def retry_rows(self) -> list[dict[str, Any]]:
        """The stored tasks of the retrying clients."""
        owners = {account.id for account in self.retry_accounts.values()}
        return [row for row in self.stored if row["user_id"] in owners]

    @property
    def plain_rows(self) -> list[dict[str, Any]]:
        owners = {account.id for account in self.retry_accounts.values()}
        return [row for row in self.stored if row["user_id"] not in owners]

    @property
    def retry_attempts(self) -> list[Attempt]:
        return [attempt for keyed in self.keyed for attempt in keyed.attempts]

    @property
    def retry_tallies(self) -> dict[str, int]:
        """Per key: how many tasks with its title are stored (by the key's own client)."""
        stored = Counter((row["user_id"], row["title"]) for row in self.retry_rows)
        return {keyed.key: stored[(self.retry_accounts[keyed.client].id, keyed.title)] for keyed in self.keyed}

    def check_retries(self) -> list[str]:
        """The retrying clients' broken promises, in words; empty when all hold."""
        problems: list[str] = []
        if not self.retry_accounts:
            return problems
        tallies = self.retry_tallies
        stored_by_id = {row["id"]: row for row in self.retry_rows}
        duplicated = [k for k in self.keyed if tallies[k.key] > 1]
        missing = [k for k in self.keyed if tallies[k.key] == 0]
        if duplicated:
            problems.append(
                f"DOUBLED: {len(duplicated)} keys have more than one task: "
                + ", ".join(f"{k.title} x{tallies[k.key]}" for k in duplicated[:SHOWN_EXAMPLES])
            )
        if missing:
            problems.append(
                f"MISSING: {len(missing)} keys have no task: "
                + ", ".join(f"{k.title} ({self._attempt_summary(k)})" for k in missing[:SHOWN_EXAMPLES])
            )
        gave_up = [k for k in self.keyed if not k.created]
        if gave_up:
            problems.append(
                f"{len(gave_up)} keys got no 201 before the deadline ({self.retry_deadline:g} s): "
                + ", ".join(f"{k.title} ({self._attempt_summary(k)})" for k in gave_up[:SHOWN_EXAMPLES])
            )
        unexpected = [a for a in self.retry_attempts if a.status is not None and a.status not in {201, *RETRY_STATUSES}]
        if unexpected:
            problems.append(
                f"{len(unexpected)} answers to retrying clients were neither 201, 409 nor 503: "
                + ", ".join(str(a.status) for a in unexpected[:SHOWN_EXAMPLES])
            )
        for keyed in self.keyed:
            ids = {a.task_id for a in keyed.created}
            if len(ids) > 1:
                named = sorted(map(str, ids))
                problems.append(f"{keyed.title}: the 201s for key {keyed.key} name different tasks: {named}")
            elif ids and tallies[keyed.key] == 1:
                [task_id] = ids
                row = stored_by_id.get(str(task_id))
                if row is None or row["title"] != keyed.title:
                    problems.append(f"{keyed.title}: the 201 for key {keyed.key} names {task_id}, not the stored task")
            if any(a.title != keyed.title for a in keyed.created):
                problems.append(f"{keyed.title}: a 201 for key {keyed.key} carries another title")
        titles_sent = {(self.retry_accounts[k.client].id, k.title) for k in self.keyed}
        strays = [row for row in self.retry_rows if (row["user_id"], row["title"]) not in titles_sent]
        if strays:
            problems.append(
                f"{len(strays)} tasks of retrying clients have a title no key was sent with: "
                + ", ".join(repr(row["title"]) for row in strays[:SHOWN_EXAMPLES])
            )
        half_made = [row for row in self.retry_rows if row["created_at"] is None or row["completed"] is not False]
        if half_made:
            problems.append(f"{len(half_made)} tasks of retrying clients are half-made: {half_made[:3]}")
        return problems

    @staticmethod
    def _attempt_summary(keyed: KeyedCreate) -> str:
        return " ".join(str(a.status or a.failure) for a in keyed.attempts) or "never sent"

    # --- all the promises -------------------------------------------------------------------

    def check(self) -> list[str]:
        """Every broken promise, in words; empty when all hold."""
        problems: list[str] = []
        stored_by_id = {row["id"]: row for row in self.plain_rows}
        titles = Counter(row["title"] for row in self.stored)
        sent = {o.title: o for o in self.outcomes}
        owners = {account.id: index for index, account in self.accounts.items()}

        if self.other_statuses:
            problems.append(
                f"{len(self.other_statuses)} answers were neither 201 nor 503: {self._examples(self.other_statuses)}"
            )
        if self.timeouts:
            problems.append(f"{len(self.timeouts)} requests took over {self.request_timeout:g} s (hangs)")
        if self.transport_errors:
            problems.append(
                f"{len(self.transport_errors)} requests got no HTTP answer: {self._examples(self.transport_errors)}"
            )
        if self.stuck_clients:
            problems.append(f"{self.stuck_clients} clients were still waiting for an answer after the run")
        if self.malformed_503s:
            problems.append(f"{len(self.malformed_503s)} answers were 503 without Retry-After or a JSON detail")
        for outcome in self.created:
            task = outcome.task or {}
            row = stored_by_id.get(str(task.get("id")))
            account = self.accounts[outcome.client]
            if row is None:
                problems.append(
                    f"LOST: {outcome.title} was acknowledged with a 201 as {task.get('id')} but is not stored"
                )
            elif row["title"] != outcome.title or row["user_id"] != account.id or task.get("title") != outcome.title:
                problems.append(f"{outcome.title}: the 201 body or the stored row is not the task that was sent")
            elif not (outcome.location or "").endswith(f"/tasks/{row['id']}"):
                problems.append(f"{outcome.title}: the 201 has no Location header pointing at the task")
        duplicated = {title: count for title, count in titles.items() if count > 1}
        if duplicated:
            problems.append(
                f"{len(duplicated)} titles are stored more than once: {sorted(duplicated)[:SHOWN_EXAMPLES]}"
            )
        for row in self.plain_rows:
            origin = sent.get(row["title"])
            if origin is None:
                problems.append(f"stored task {row['title']!r} was never sent")
            elif owners.get(row["user_id"]) != origin.client:
                problems.append(f"stored task {row['title']!r} belongs to the wrong user")
            elif row["created_at"] is None or row["updated_at"] is None or row["completed"] is not False:
                problems.append(f"stored task {row['title']!r} is half-made: {row}")
        if self.outage.health_status != 200:
            problems.append(f"/health answered {self.outage.health_status} while the database was down, not 200")
        if self.outage.ready_status != 503:
            problems.append(f"/health/ready answered {self.outage.ready_status} while the database was down, not 503")
        if self.outage.ready_after_status != 200:
            problems.append(f"/health/ready answered {self.outage.ready_after_status} after the restart, not 200")
        if not self.created_after_restart:
            problems.append("no task was created after the restart: the service did not recover")
        if not self.server_pid_unchanged:
            problems.append("the server process did not survive the run")
        if self.unhandled_log_lines:
            problems.append(f"the server logged unhandled errors: {self.unhandled_log_lines[:3]}")
        return problems + self.check_retries()

    # --- output ---------------------------------------------------------------------------

    def render(self) -> str:
        acknowledged_ids = {str((o.task or {}).get("id")) for o in self.created}
        found = sum(1 for row in self.plain_rows if row["id"] in acknowledged_ids)
        titles = Counter(row["title"] for row in self.stored)
        duplicated = sum(1 for count in titles.values() if count > 1)
        sent = {o.title: o for o in self.outcomes}
        unacknowledged = [row for row in self.plain_rows if row["id"] not in acknowledged_ids]
        outage = self.outage
        rows = [
            ("requests", str(len(self.outcomes)), ""),
            ("201 Created", str(len(self.created)), ""),
            ("503 Service Unavailable", str(len(self.unavailable)), ""),
            ("  of them malformed", str(len(self.malformed_503s)), "must be 0"),
            ("other statuses", str(len(self.other_statuses)), "must be 0"),
            (f"timeouts (> {self.request_timeout:g} s)", str(len(self.timeouts)), "must be 0"),
            ("transport errors", str(len(self.transport_errors)), "must be 0"),
            ("201s after the restart", str(len(self.created_after_restart)), "must be > 0"),
            ("tasks in the database", str(len(self.plain_rows)), ""),
            ("acknowledged tasks found", f"{found} of {len(self.created)}", "must be all"),
            ("duplicated titles", str(duplicated), "must be 0"),
            ("stored without a 201", str(len(unacknowledged)), "allowed: committed, answer lost"),
            ("/health while down", str(outage.health_status), "must be 200"),
            ("/health/ready while down", str(outage.ready_status), "must be 503"),
            ("/health/ready after", str(outage.ready_after_status), "must be 200"),
            ("server log: unhandled errors", str(len(self.unhandled_log_lines)), "must be 0"),
        ]
        width = max(len(label) for label, _, _ in rows)
        lines = [
            f"== fault run: {self.clients} clients x {self.seconds:g} s; PostgreSQL stopped at "
            f"{outage.stop_requested:.1f} s (down from {outage.stopped:.1f} s), started again at "
            f"{outage.start_requested:.1f} s (up at {outage.started:.1f} s)",
        ]
        lines += [f"{label:<{width}}  {value:>12}  {note}".rstrip() for label, value, note in rows]
        for row in unacknowledged[:SHOWN_EXAMPLES]:
            origin = sent.get(row["title"])
            seen = "never sent" if origin is None else (origin.status or origin.failure)
            lines.append(f"  stored without a 201: {row['title']} (the client got {seen})")
        lines += self._render_retries()
        problems = self.check()
        if problems:
            lines.append("PROMISES BROKEN:")
            lines += [f"  - {problem}" for problem in problems]
            if self.server_log:
                lines.append(f"  server log: {self.server_log}")
        else:
            lines.append("all promises hold")
        return "\n".join(lines)

    def _render_retries(self) -> list[str]:
        if not self.retry_accounts:
            return []
        tallies = self.retry_tallies
        attempts = self.retry_attempts
        statuses = Counter(a.status for a in attempts if a.status is not None)
        failures = Counter(a.failure for a in attempts if a.failure is not None)
        rows = [
            ("keys", str(len(self.keyed)), "one task meant per key"),
            ("first-try 201s", str(sum(1 for k in self.keyed if k.first_try_201)), ""),
            ("keys retried", str(sum(1 for k in self.keyed if k.retries)), ""),
            ("retried requests", str(sum(k.retries for k in self.keyed)), "same key, same body"),
            ("failed requests (then retried)", str(sum(1 for a in attempts if a.status != 201)), ""),
            ("  503", str(statuses[503]), ""),
            ("  409 (the first still running)", str(statuses[409]), ""),
            ("  timeouts", str(failures["timeout"]), ""),
            ("  transport errors", str(sum(n for name, n in failures.items() if name != "timeout")), ""),
            ("replays (Idempotent-Replayed)", str(sum(1 for a in attempts if a.replayed)), ""),
            ("keys without a 201", str(sum(1 for k in self.keyed if not k.created)), "must be 0"),
            ("tasks found", f"{sum(min(n, 1) for n in tallies.values())} of {len(self.keyed)}", "must be all"),
            ("duplicates", str(sum(max(0, n - 1) for n in tallies.values())), "must be 0"),
            ("missing", str(sum(1 for n in tallies.values() if n == 0)), "must be 0"),
            ("tasks of retrying clients", str(len(self.retry_rows)), "must equal keys"),
        ]
        width = max(len(label) for label, _, _ in rows)
        lines = [
            f"== retrying clients: {len(self.retry_accounts)} clients, each task with an Idempotency-Key, "
            f"retried on 503, 409, timeouts and lost connections until {self.retry_deadline:g} s",
        ]
        lines += [f"{label:<{width}}  {value:>12}  {note}".rstrip() for label, value, note in rows]
        return lines

    @staticmethod
    def _examples(outcomes: list[Outcome]) -> str:
        return ", ".join(f"{o.title}: {o.status or o.failure}" for o in outcomes[:SHOWN_EXAMPLES])


# --- the run --------------------------------------------------------------------------------------


def sign_up(http: httpx.Client, index: int, prefix: str = "c") -> Account:
    username = f"fault_{prefix}{index}_{uuid.uuid4().hex[:8]}"
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
    }
    response = http.post("/api/auth/signup", json=body)
    if response.status_code != 201:
        raise RuntimeError(f"signup for client {index} answered {response.status_code}: {response.text}")
    answer = response.json()
    return Account(answer["user"]["id"], username, answer["user"]["email"], DEFAULT_PASSWORD, answer["access_token"])


def drive(
    index: int,
    account: Account,
    base_url: str,
    clock: Callable[[], float],
    until: float,
    timeout: float,
    outcomes: list[Outcome],
) -> None:
    """Create tasks until `until`; one title per request, never retried."""
    seq = 0
    with httpx.Client(base_url=base_url, timeout=timeout, headers=account.headers) as http:
        while clock() < until:
            seq += 1
            title = f"c{index}-{seq}"
            started = clock()
            try:
                response = http.post(account.tasks_url, json={"title": title})
            except httpx.TimeoutException:
                outcomes.append(Outcome(index, title, started, clock() - started, failure="timeout"))
                continue
            except httpx.TransportError as exc:
                outcomes.append(Outcome(index, title, started, clock() - started, failure=type(exc).__name__))
                time.sleep(BACKOFF_AFTER_503_SECONDS)
                continue
            elapsed = clock() - started
            body = _json(response)
            outcomes.append(
                Outcome(
                    index,
                    title,
                    started,
                    elapsed,
                    status=response.status_code,
                    task=body if response.status_code == 201 and isinstance(body, dict) else None,
                    location=response.headers.get("Location"),
                    retry_after=response.headers.get("Retry-After"),
                    detail=body.get("detail") if isinstance(body, dict) else None,
                )
            )
            if response.status_code == 503:
                time.sleep(BACKOFF_AFTER_503_SECONDS)


def drive_with_keys(
    index: int,
    account: Account,
    base_url: str,
    clock: Callable[[], float],
    until: float,
    deadline: float,
    timeout: float,
    keyed: list[KeyedCreate],
) -> None:
    """Create tasks until `until`, each with a fresh Idempotency-Key; a request that failed
    (503, 409, timeout, lost connection) is sent again, same key and body, until its 201 or
    `deadline`. Any other answer ends the key's retries (a broken promise)."""
    seq = 0
    with httpx.Client(base_url=base_url, timeout=timeout, headers=account.headers) as http:
        while clock() < until:
            seq += 1
            create = KeyedCreate(index, str(uuid.uuid4()), f"r{index}-{seq}")
            keyed.append(create)
            backoff = BACKOFF_AFTER_503_SECONDS
            while clock() < deadline:
                attempt = _attempt(http, account, create, clock)
                create.attempts.append(attempt)
                if attempt.status is not None and attempt.status not in RETRY_STATUSES:
                    break  # a 201, or an answer no retry can change
                time.sleep(min(backoff, max(0.0, deadline - clock())))
                backoff = min(backoff * 2, RETRY_BACKOFF_MAX_SECONDS)


def _attempt(http: httpx.Client, account: Account, create: KeyedCreate, clock: Callable[[], float]) -> Attempt:
    started = clock()
    try:
        response = http.post(account.tasks_url, json={"title": create.title}, headers={"Idempotency-Key": create.key})
    except httpx.TimeoutException:
        return Attempt(started, clock() - started, failure="timeout")
    except httpx.TransportError as exc:
        return Attempt(started, clock() - started, failure=type(exc).__name__)
    body = _json(response)
    task = body if response.status_code == 201 and isinstance(body, dict) else {}
    return Attempt(
        started,
        clock() - started,
        status=response.status_code,
        replayed=response.headers.get("Idempotent-Replayed") == "true",
        task_id=None if task.get("id") is None else str(task["id"]),
        title=task.get("title"),
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def stored_tasks(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(
                text("SELECT id, user_id, title, completed, created_at, updated_at FROM tasks ORDER BY created_at")
            )
            return [{**row._asdict(), "id": str(row.id), "user_id": str(row.user_id)} for row in result]
    finally:
        engine.dispose()


def run_fault(
    clients: int = 8,
    seconds: float = 20.0,
    down_seconds: float = 2.0,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    stop_mode: StopMode = "fast",
    workdir: Path | None = None,
    say: Callable[[str], None] = print,
    retry_clients: int = 0,
) -> FaultReport:
    """The whole run; the caller decides what a broken promise means (see `report.check()`).
    `retry_clients` more clients create with an Idempotency-Key and retry (module docstring)."""
    keep_workdir = workdir is not None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="todo-fault-run-"))
    with ThrowawayCluster() as cluster:
        say(f"throwaway PostgreSQL on 127.0.0.1:{cluster.port} in {cluster.root}")
        migrate(cluster.url)
        with AppServer(cluster.url, workdir) as server:
            say(f"app (pid {server.pid}) on {server.base_url}, log in {server.log_path}")
            pid = server.pid
            with httpx.Client(base_url=server.base_url, timeout=request_timeout) as http:
                accounts = {index: sign_up(http, index) for index in range(clients)}
                retry_accounts = {index: sign_up(http, index, prefix="r") for index in range(retry_clients)}
                report = _drive_through_restart(
                    cluster,
                    server,
                    http,
                    accounts,
                    seconds,
                    down_seconds,
                    request_timeout,
                    stop_mode,
                    say,
                    retry_accounts,
                )
            report.server_pid_unchanged = server.is_running() and server.pid == pid
            report.unhandled_log_lines = server.unhandled_errors()
        report.stored = stored_tasks(cluster.url)
    report.problems = report.check()
    if report.problems or keep_workdir:
        report.server_log = server.log_path
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _drive_through_restart(
    cluster: ThrowawayCluster,
    server: AppServer,
    http: httpx.Client,
    accounts: dict[int, Account],
    seconds: float,
    down_seconds: float,
    request_timeout: float,
    stop_mode: StopMode,
    say: Callable[[str], None],
    retry_accounts: dict[int, Account],
) -> FaultReport:
    began = time.monotonic()

    def clock() -> float:
        return time.monotonic() - began

    outcomes: list[Outcome] = []  # list.append is atomic: the clients share it
    threads = [
        threading.Thread(
            target=drive,
            args=(index, account, server.base_url, clock, seconds, request_timeout, outcomes),
            name=f"fault-client-{index}",
            daemon=True,
        )
        for index, account in accounts.items()
    ]
    keyed: list[KeyedCreate] = []  # appended to by the retrying clients, one entry per key
    retry_deadline = seconds + RETRY_GRACE_SECONDS
    retry_threads = [
        threading.Thread(
            target=drive_with_keys,
            args=(index, account, server.base_url, clock, seconds, retry_deadline, request_timeout, keyed),
            name=f"fault-retry-client-{index}",
            daemon=True,
        )
        for index, account in retry_accounts.items()
    ]
    for thread in threads + retry_threads:
        thread.start()
    outage = Outage()
    # The outage sits in the middle of the run.
    time.sleep(max(0.0, seconds / 2 - down_seconds / 2 - clock()))
    outage.stop_requested = clock()
    cluster.stop(stop_mode)
    outage.stopped = clock()
    say(f"{outage.stopped:5.1f} s  PostgreSQL stopped ({stop_mode})")
    outage.health_status = http.get("/health").status_code
    outage.ready_status = http.get("/health/ready").status_code
    time.sleep(max(0.0, outage.stopped + down_seconds - clock()))
    outage.start_requested = clock()
    cluster.start()
    outage.started = clock()
    say(f"{outage.started:5.1f} s  PostgreSQL started again")
    outage.ready_after_status = http.get("/health/ready").status_code
    for thread in threads:
        thread.join(max(0.0, seconds + request_timeout + 5 - clock()))
    for thread in retry_threads:
        thread.join(max(0.0, retry_deadline + request_timeout + 5 - clock()))
    stuck = sum(1 for thread in threads + retry_threads if thread.is_alive())
    say(f"{clock():5.1f} s  clients done")
    return FaultReport(
        clients=len(accounts),
        seconds=seconds,
        request_timeout=request_timeout,
        accounts=accounts,
        outcomes=list(outcomes),
        outage=outage,
        stored=[],
        unhandled_log_lines=[],
        stuck_clients=stuck,
        server_pid_unchanged=False,
        retry_accounts=retry_accounts,
        keyed=list(keyed),
        retry_deadline=retry_deadline,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the run (default 20)")
    parser.add_argument("--down", type=float, default=2.0, help="seconds PostgreSQL stays down (default 2)")
    parser.add_argument(
        "--retry-clients",
        type=int,
        default=0,
        help="more clients that create with an Idempotency-Key and retry failures (default 0)",
    )
    parser.add_argument(
        "--timeout", type=float, default=REQUEST_TIMEOUT_SECONDS, help="per-request timeout, a hang past it fails"
    )
    parser.add_argument(
        "--stop-mode",
        choices=["fast", "immediate", "smart"],
        default="fast",
        help="how PostgreSQL is stopped: fast (default; an operator's restart) or immediate (a crash)",
    )
    options = parser.parse_args(argv)
    if options.clients < 1 or options.retry_clients < 0 or options.seconds <= options.down or options.down <= 0:
        parser.error("need at least one client and a run longer than the outage")

    def interrupted(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds the context managers: the cluster is removed

    signal.signal(signal.SIGTERM, interrupted)
    report = run_fault(
        options.clients,
        options.seconds,
        options.down,
        options.timeout,
        options.stop_mode,
        retry_clients=options.retry_clients,
    )
    print(report.render(), flush=True)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
