"""The fault run (tests/faults/fault_run.py), shortened: 4 clients create tasks for 8 s while
the throwaway PostgreSQL is restarted in the middle, and 2 more create each task with an
Idempotency-Key, retrying every failure with the same key. `.ci/fault-run` runs the full
8 + 4 clients x 20 s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.faults.fault_run import Attempt, FaultReport, KeyedCreate, Outage, run_fault
from tests.support import Account


@pytest.fixture(scope="module")
def report(cluster_available: None, tmp_path_factory: pytest.TempPathFactory) -> FaultReport:
    """One run for the module: its tests each check one promise of it."""
    report = run_fault(clients=4, seconds=8, down_seconds=2, workdir=tmp_path_factory.mktemp("fault"), retry_clients=2)
    print(report.render())  # the counts, shown with -s or when a test fails
    return report


def test_concurrent_creates_through_a_database_restart_lose_nothing_and_write_nothing_twice(
    report: FaultReport,
) -> None:
    assert report.unavailable, "no request met the outage: the run proved nothing"
    assert report.other_statuses == [] and report.timeouts == [] and report.transport_errors == []
    assert report.created_after_restart, "the service did not recover"
    assert report.problems == [], "\n".join(report.problems)


def test_creates_retried_with_their_idempotency_key_through_a_restart_make_exactly_one_task_each(
    report: FaultReport,
) -> None:
    tallies = report.retry_tallies

    assert report.keyed, "the retrying clients sent nothing"
    assert any(keyed.retries for keyed in report.keyed), "no retrying client met the outage: the run proved nothing"
    assert [keyed.title for keyed in report.keyed if tallies[keyed.key] != 1] == []
    assert len(report.retry_rows) == len(report.keyed)
    assert report.check_retries() == [], "\n".join(report.check_retries())


# The retry check itself, on made-up runs: it must see a doubled or a missing task.


def made_up_run(stored_titles: list[str]) -> FaultReport:
    """One retrying client that sent keys for r0-1 and r0-2 (each answered 201 after a 503),
    and a database holding tasks with `stored_titles`."""
    account = Account(str(uuid.uuid4()), "fault_r0", "fault_r0@example.com", "pw", "token")
    rows: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "user_id": account.id,
            "title": title,
            "completed": False,
            "created_at": datetime.now(UTC),
            "updated_at": datetime.now(UTC),
        }
        for title in stored_titles
    ]
    by_title = {row["title"]: row["id"] for row in rows}
    keyed = [
        KeyedCreate(
            0,
            str(uuid.uuid4()),
            title,
            [Attempt(0.0, 0.1, status=503), Attempt(0.2, 0.1, status=201, task_id=by_title.get(title), title=title)],
        )
        for title in ("r0-1", "r0-2")
    ]
    return FaultReport(
        clients=0,
        seconds=1,
        request_timeout=1,
        accounts={},
        outcomes=[],
        outage=Outage(),
        stored=rows,
        unhandled_log_lines=[],
        stuck_clients=0,
        server_pid_unchanged=True,
        retry_accounts={0: account},
        keyed=keyed,
    )


def test_the_retry_check_passes_a_run_with_one_task_per_key() -> None:
    assert made_up_run(["r0-1", "r0-2"]).check_retries() == []


def test_the_retry_check_reports_a_key_with_two_tasks() -> None:
    problems = made_up_run(["r0-1", "r0-1", "r0-2"]).check_retries()

    assert any(problem.startswith("DOUBLED: 1 keys") for problem in problems), problems


def test_the_retry_check_reports_a_key_without_a_task() -> None:
    problems = made_up_run(["r0-1"]).check_retries()

    assert any(problem.startswith("MISSING: 1 keys") for problem in problems), problems


def test_the_retry_check_reports_a_task_no_key_was_sent_with() -> None:
    problems = made_up_run(["r0-1", "r0-2", "r0-9"]).check_retries()

    assert any("title no key was sent with" in problem for problem in problems), problems
