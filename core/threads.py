"""The process's two thread pools: FastAPI's own, for the routes' database work, and one for
password hashing, so that a burst of logins never takes a thread a list is waiting for."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

from core.db import POOL_SIZE

# Threads for sync routes (FastAPI's default pool, whose size is process-wide): one per
# connection of a pool, so that none waits for a connection, and enough to overlap one
# request's database round trips (a commit, a search) with another's Python. Fewer do not
# help: in alternating wrk runs on 2 cores, 3 threads served the list no faster (within
# the machine's 10% noise) but creates 37% and tag searches 11% slower than 8.
ROUTE_THREADS = POOL_SIZE
# bcrypt holds a thread for about 240 ms, without the GIL and without a pooled connection
# (services/accounts.py hashes outside any transaction); logins queue for these threads, so
# a burst of them never takes a thread that the other routes are waiting for.
HASHING_THREADS = 4

T = TypeVar("T")


class HashingPool:
    """Runs the work of a route that hashes or verifies a password: its own threads (made
    within the event loop, at start-up)."""

    def __init__(self, threads: int = HASHING_THREADS) -> None:
        self._limiter = CapacityLimiter(threads)

    async def run(self, work: Callable[[], T]) -> T:
        return await to_thread.run_sync(work, limiter=self._limiter)


def size_route_threads() -> None:
    """Within the event loop, at start-up: FastAPI's pool to ROUTE_THREADS."""
    to_thread.current_default_thread_limiter().total_tokens = ROUTE_THREADS
