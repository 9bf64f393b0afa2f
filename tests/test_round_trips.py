"""On PostgreSQL, the common writes of a task are one statement each: one round trip to the
database (on Neon, the network's latency is most of a request). Anything unusual (a no-op,
a stale If-Match, someone else's task) may take more; what it answers is specified elsewhere
(test_tasks_item.py, test_conditional_requests.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.support import Account

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def statements(client: TestClient) -> Iterator[list[str]]:
    """Every statement the app sends to the database while the test runs."""
    sent: list[str] = []
    database = client.app.state.database  # type: ignore[attr-defined]

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engines = {database.engine, database.reader}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    yield sent
    for engine in engines:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def task(client: TestClient, alice: Account) -> dict[str, Any]:
    response = client.post(alice.tasks_url, json={"title": "Dentist", "tags": ["health"]}, headers=alice.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def task_url(account: Account, task: dict[str, Any]) -> str:
    return f"{account.tasks_url}/{task['id']}"


def test_a_create_is_one_statement(client: TestClient, alice: Account, statements: list[str]) -> None:
    response = client.post(alice.tasks_url, json={"title": "Call mum", "tags": ["family"]}, headers=alice.headers)

    assert response.status_code == 201, response.text
    assert len(statements) == 1


def test_a_completion_is_one_statement(
    client: TestClient, alice: Account, task: dict[str, Any], statements: list[str]
) -> None:
    response = client.patch(f"{task_url(alice, task)}/complete", json={"completed": True}, headers=alice.headers)

    assert response.status_code == 200, response.text
    assert len(statements) == 1


def test_a_replace_is_one_statement(
    client: TestClient, alice: Account, task: dict[str, Any], statements: list[str]
) -> None:
    body = {"title": "Dentist at 9", "description": "Bring the card", "completed": True, "tags": ["health", "town"]}
    response = client.put(task_url(alice, task), json=body, headers=alice.headers)

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert len(statements) == 1


def test_a_patch_is_one_statement(
    client: TestClient, alice: Account, task: dict[str, Any], statements: list[str]
) -> None:
    response = client.patch(task_url(alice, task), json={"priority": "high", "tags": []}, headers=alice.headers)

    assert response.status_code == 200, response.text
    assert len(statements) == 1


def test_an_edit_with_a_matching_if_match_is_one_statement(
    client: TestClient, alice: Account, task: dict[str, Any], statements: list[str]
) -> None:
    headers = {**alice.headers, "If-Match": '"1"'}
    response = client.patch(task_url(alice, task), json={"title": "Dentist at 10"}, headers=headers)

    assert response.status_code == 200, response.text
    assert len(statements) == 1
