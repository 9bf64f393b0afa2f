"""Waiting for the app to finish what a wrk run left behind.

When wrk stops it closes its connections, but the app goes on with the requests it had
accepted (a sync route runs to its end in the thread pool), and their queries go on in
PostgreSQL. Left alone, that backlog would be measured as part of the next run, and with
more requests in flight than the app has threads it can even stall the app for the pool's
timeout. So between two runs we wait until the app's process uses no CPU and none of its
database sessions is busy.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

POLL_SECONDS = 0.2
QUIET_POLLS = 2  # in a row
MAX_CPU_SECONDS_PER_POLL = 0.01  # one clock tick: an idle uvicorn uses none
TIMEOUT_SECONDS = 30
BUSY_SESSIONS = text(
    """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND state <> 'idle'
    """
)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Settler:
    def __init__(self, database_url: str, pid: int) -> None:
        self.pid = pid
        self.engine = create_engine(database_url, poolclass=NullPool)

    def busy_sessions(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(BUSY_SESSIONS).scalar_one())

    def wait(self) -> float:
        """Block until the app is idle; return the seconds waited (TIMEOUT_SECONDS at most)."""
        started = time.monotonic()
        quiet = 0
        cpu = cpu_seconds(self.pid)
        while quiet < QUIET_POLLS and time.monotonic() - started < TIMEOUT_SECONDS:
            time.sleep(POLL_SECONDS)
            previous, cpu = cpu, cpu_seconds(self.pid)
            idle = cpu - previous <= MAX_CPU_SECONDS_PER_POLL and self.busy_sessions() == 0
            quiet = quiet + 1 if idle else 0
        return time.monotonic() - started

    def close(self) -> None:
        self.engine.dispose()
