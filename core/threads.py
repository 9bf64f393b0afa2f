"""The process's two thread pools: FastAPI's own, for the routes' database work, and one for
password hashing, so that a burst of logins never takes a thread a list is waiting for."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

# Threads for sync routes (FastAPI's default pool, whose size is process-wide). Few, because
# only one thread runs Python at a time (the GIL) and each runnable thread more costs switches
# between them: on 2 cores, the list served 17% more requests with 3 than with 12, and a get
# 9% more (an A/B of alternating wrk runs). Three still overlap one route's database round
# trip with another's Python.
ROUTE_THREADS = 3
# bcrypt holds a thread for about 240 ms, without the GIL; logins queue for these instead.
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
