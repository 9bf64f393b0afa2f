"""core/request_log.py: one log line per request, with the fields an operator needs and
nothing secret, and an `X-Request-ID` on every answer."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.log_format import FIELDS
from main import create_app
from tests.support import Account, Database, settings_for

ALLOWED_ORIGIN = "http://localhost:5173"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="todo.request")
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [getattr(record, FIELDS) for record in caplog.records if record.name == "todo.request"]


def tasks_url(account: Account) -> str:
    return f"/api/{account.id}/tasks"


def test_every_answer_carries_a_generated_request_id(client: TestClient) -> None:
    response = client.get("/health")

    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_two_requests_get_two_request_ids(client: TestClient) -> None:
    assert client.get("/health").headers["X-Request-ID"] != client.get("/health").headers["X-Request-ID"]


def test_a_plain_request_id_from_the_caller_is_kept(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "spa-7f3a:retry.2"})

    assert response.headers["X-Request-ID"] == "spa-7f3a:retry.2"


@pytest.mark.parametrize("sent", ["has spaces", "x" * 129, 'quote"d', "ünïcode"])
def test_a_request_id_that_could_break_a_log_line_is_replaced(client: TestClient, sent: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": sent.encode("utf-8")})

    assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"])


def test_one_line_per_request_with_method_path_status_duration_and_request_id(
    client: TestClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})

    [line] = logged(request_log)
    assert line["request_id"] == "abc-123" == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_the_line_names_the_user_of_an_authenticated_request(
    client: TestClient, alice: Account, request_log: pytest.LogCaptureFixture
) -> None:
    client.get(tasks_url(alice), headers=alice.headers)

    [line] = logged(request_log)
    assert (line["status"], line["user_id"]) == (200, alice.id)


def test_an_anonymous_request_is_logged_without_a_user(
    client: TestClient, alice: Account, request_log: pytest.LogCaptureFixture
) -> None:
    client.get(tasks_url(alice))

    [line] = logged(request_log)
    assert (line["status"], line["user_id"]) == (401, None)


def test_the_line_holds_no_token_and_no_query_string(
    client: TestClient, alice: Account, request_log: pytest.LogCaptureFixture
) -> None:
    client.get(f"{tasks_url(alice)}?limit=5&token={alice.token}", headers=alice.headers)

    [record] = [record for record in request_log.records if record.name == "todo.request"]
    assert getattr(record, FIELDS)["path"] == tasks_url(alice)
    assert alice.token not in record.getMessage() + str(getattr(record, FIELDS))


def test_a_preflight_is_logged_and_answered_with_a_request_id(
    client: TestClient, request_log: pytest.LogCaptureFixture
) -> None:
    response = client.options(
        "/api/auth/login", headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"}
    )

    assert response.status_code == 200 and response.headers["X-Request-ID"]
    assert [line["method"] for line in logged(request_log)] == ["OPTIONS"]


def test_a_browser_may_read_the_request_id(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": ALLOWED_ORIGIN})

    assert "x-request-id" in response.headers["Access-Control-Expose-Headers"].lower()


def test_a_request_that_fails_is_logged_as_an_error_with_status_500(
    database: Database, request_log: pytest.LogCaptureFixture
) -> None:
    app: FastAPI = create_app(settings_for(database))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")

    [record] = [record for record in request_log.records if record.name == "todo.request"]
    assert record.levelno == logging.ERROR
    assert getattr(record, FIELDS)["status"] == 500
    assert getattr(record, FIELDS)["request_id"] == response.headers["X-Request-ID"]
