"""The fault run (tests/faults/fault_run.py), shortened: 4 clients create tasks for 8 s
while the throwaway PostgreSQL is restarted in the middle. `.ci/fault-run` runs the full
8 clients x 20 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.fault_run import run_fault


@pytest.mark.usefixtures("cluster_available")
def test_concurrent_creates_through_a_database_restart_lose_nothing_and_write_nothing_twice(tmp_path: Path) -> None:
    report = run_fault(clients=4, seconds=8, down_seconds=2, workdir=tmp_path)
    print(report.render())  # the counts, shown with -s or when the test fails

    assert report.unavailable, "no request met the outage: the run proved nothing"
    assert report.other_statuses == [] and report.timeouts == [] and report.transport_errors == []
    assert report.created_after_restart, "the service did not recover"
    assert report.problems == [], "\n".join(report.problems)
