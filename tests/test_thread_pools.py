"""core/threads.py: routes run on one thread per pooled connection, and password hashing on
a pool of its own, so that logins in flight never hold a thread another route is waiting for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from anyio import to_thread
from fastapi.testclient import TestClient

from core.config import Settings
from core.db import MAX_CONNECTIONS
from core.security import PasswordHasher
from core.threads import HASHING_THREADS, ROUTE_THREADS
from tests.support import DEFAULT_PASSWORD, Account, signup_account

WAIT_SECONDS = 10


class GatedHasher(PasswordHasher):
    """Verifies as the real hasher does, once `gate` opens; counts who is waiting at it."""

    def __init__(self, real: PasswordHasher) -> None:
        self._real = real
        self.gate = threading.Event()
        self.waiting = threading.Semaphore(0)

    def verify(self, password: str, hashed: str) -> bool:
        self.waiting.release()
        assert self.gate.wait(WAIT_SECONDS)
        return self._real.verify(password, hashed)


def test_logins_in_flight_leave_the_route_threads_free(
    make_client: Callable[..., TestClient], settings: Settings
) -> None:
    client = make_client(settings)
    # More logins than there are route threads: were they run there, none would be left.
    logins_in_flight = ROUTE_THREADS + HASHING_THREADS
    accounts = [signup_account(client, f"gated{i}", f"gated{i}@example.com") for i in range(logins_in_flight)]
    hasher = GatedHasher(client.app.state.hasher)  # type: ignore[attr-defined]
    client.app.state.hasher = hasher  # type: ignore[attr-defined]

    def log_in(account: Account) -> httpx.Response:
        return client.post(
            "/api/auth/login", json={"username_or_email": account.username, "password": DEFAULT_PASSWORD}
        )

    with ThreadPoolExecutor(max_workers=logins_in_flight + 1) as pool:
        logins = [pool.submit(log_in, account) for account in accounts]
        try:
            for _ in range(HASHING_THREADS):  # every hashing thread is taken, the other logins queue
                assert hasher.waiting.acquire(timeout=WAIT_SECONDS)
            listing = pool.submit(client.get, accounts[0].tasks_url, headers=accounts[0].headers)

            assert listing.result(timeout=WAIT_SECONDS).status_code == 200
        finally:
            hasher.gate.set()
        assert [login.result(timeout=WAIT_SECONDS).status_code for login in logins] == [200] * logins_in_flight


def test_the_route_threads_are_set_at_start_up(client: TestClient) -> None:
    async def tokens() -> float:
        return to_thread.current_default_thread_limiter().total_tokens

    assert client.portal.call(tokens) == ROUTE_THREADS  # type: ignore[union-attr]


def test_every_route_thread_can_hold_a_connection_at_once() -> None:
    assert ROUTE_THREADS <= MAX_CONNECTIONS
