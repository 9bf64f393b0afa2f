"""A real browser against a real server: the API (`python main.py`, uvicorn) on a throwaway
PostgreSQL database, the test page (e2e/spa/) served from an allowed origin and from one the
API does not allow, and Debian's Chromium driven by Playwright. Run with `make e2e`; the
main suite (`make test`) never collects this folder (pyproject.toml's testpaths)."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.exc import SQLAlchemyError

from core.config import normalize_database_url
from tests.servers import AppServer, ServerError, migrate_in_subprocess
from tests.support import DEFAULT_TEST_DATABASE_URL, create_database, drop_database

SPA_ROOT = Path(__file__).resolve().parent / "spa"
CHROMIUM = "/usr/bin/chromium"  # Debian's package: no browser download (`playwright install`) here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The SPA's development origin (Vite's default port), which the API allows; and a neighbour it does not.
ALLOWED_PORT = 5173
FOREIGN_PORT = 5174
ALLOWED_ORIGIN = f"http://localhost:{ALLOWED_PORT}"
FOREIGN_ORIGIN = f"http://localhost:{FOREIGN_PORT}"


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    admin_url = normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    try:
        name, url = create_database(admin_url, prefix="todo_e2e")
    except SQLAlchemyError as exc:
        pytest.fail(f"the e2e test needs PostgreSQL at {admin_url}: {exc}", pytrace=False)
    workdir = tmp_path_factory.mktemp("e2e")
    # Only the allowed origin, so that the foreign one is refused by configuration, not by accident.
    server = AppServer(url, workdir, env={"CORS_ORIGINS": ALLOWED_ORIGIN, "SIGNUP_MAX_PER_IP": "0"})
    try:
        migrate_in_subprocess(url, workdir / "migrate.log")
        server.start()
        yield server
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        server.stop()
        drop_database(admin_url, name)


@pytest.fixture
def api_url(api_server: AppServer) -> Iterator[str]:
    """The server's base URL; the test fails if the server logged a 500 while it ran."""
    log_start = len(api_server.log_text())
    yield api_server.base_url
    errors = api_server.unhandled_errors(since=log_start)
    assert not errors, "the server answered with a 500:\n" + "\n".join(line[-2000:] for line in errors)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per file served would bury pytest's output


def serve_spa(port: int) -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(SPA_ROOT))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        pytest.fail(f"cannot serve the test page on port {port} (the origin the test needs): {exc}", pytrace=False)
    threading.Thread(target=server.serve_forever, name=f"spa-{port}", daemon=True).start()
    return server


@pytest.fixture(scope="session")
def spa_servers() -> Iterator[None]:
    servers = [serve_spa(ALLOWED_PORT), serve_spa(FOREIGN_PORT)]
    yield
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium package", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def spa_url(origin: str, api_url: str) -> str:
    return f"{origin}/index.html?api={api_url}"
