"""POST /api/{user_id}/tasks: what a new task looks like, and which bodies are refused."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import TASK_KEYS, Account

# ISO 8601, UTC with an explicit offset, and at least millisecond precision.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3,}(Z|\+00:00)$")


def create(client: TestClient, account: Account, body: Any) -> httpx.Response:
    return client.post(account.tasks_url, json=body, headers=account.headers)


def create_ok(client: TestClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = create(client, account, body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def parse_timestamp(value: str) -> datetime:
    assert TIMESTAMP.match(value), f"not an ISO 8601 UTC timestamp with milliseconds: {value!r}"
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def assert_validation_error(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    for issue in detail:
        assert set(issue) == {"loc", "msg", "type"}
        assert isinstance(issue["loc"], list)
        assert isinstance(issue["msg"], str)
        assert isinstance(issue["type"], str)


def test_create_answers_201_with_the_task_shape(client: TestClient, alice: Account) -> None:
    response = create(client, alice, {"title": "Buy milk", "description": "Two litres", "completed": False})

    assert response.status_code == 201
    task = response.json()
    assert set(task) == TASK_KEYS
    uuid.UUID(task["id"])
    assert task["user_id"] == alice.id
    assert task["title"] == "Buy milk"
    assert task["description"] == "Two litres"
    assert task["completed"] is False
    assert task["completed_at"] is None


def test_location_header_points_at_the_new_task(client: TestClient, alice: Account) -> None:
    response = create(client, alice, {"title": "Buy milk"})
    task = response.json()

    location = response.headers["Location"]
    assert httpx.URL(location).path == f"{alice.tasks_url}/{task['id']}"
    fetched = client.get(location, headers=alice.headers)
    assert fetched.status_code == 200
    assert fetched.json() == task


def test_title_is_trimmed(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "  \t Buy milk \n "})

    assert task["title"] == "Buy milk"


def test_title_of_255_characters_after_trimming_is_accepted(client: TestClient, alice: Account) -> None:
    title = "x" * 255

    task = create_ok(client, alice, {"title": f"   {title}   "})

    assert task["title"] == title


def test_description_is_null_when_omitted(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Buy milk"})

    assert task["description"] is None


def test_description_may_be_null(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Buy milk", "description": None})

    assert task["description"] is None


def test_description_of_10000_characters_is_accepted(client: TestClient, alice: Account) -> None:
    description = "d" * 10_000

    task = create_ok(client, alice, {"title": "Long", "description": description})

    assert task["description"] == description


def test_completed_defaults_to_false_without_completed_at(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Buy milk"})

    assert task["completed"] is False
    assert task["completed_at"] is None


def test_completed_at_creation_sets_completed_at(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Already done", "completed": True})

    assert task["completed"] is True
    assert task["completed_at"] is not None
    created_at = parse_timestamp(task["created_at"])
    assert created_at <= parse_timestamp(task["completed_at"]) <= parse_timestamp(task["updated_at"])


def test_timestamps_are_iso_8601_utc_with_milliseconds(client: TestClient, alice: Account) -> None:
    before = datetime.now(UTC)
    task = create_ok(client, alice, {"title": "Buy milk", "completed": True})
    after = datetime.now(UTC)

    for field in ("created_at", "updated_at", "completed_at"):
        assert before - timedelta(seconds=5) <= parse_timestamp(task[field]) <= after + timedelta(seconds=5)


def test_new_task_has_equal_created_and_updated_at(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Buy milk"})

    assert parse_timestamp(task["created_at"]) == parse_timestamp(task["updated_at"])


def test_server_owned_fields_in_the_body_are_ignored(client: TestClient, alice: Account, bob: Account) -> None:
    sent_id = str(uuid.uuid4())
    body = {
        "title": "Buy milk",
        "id": sent_id,
        "user_id": bob.id,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "completed_at": "2000-01-01T00:00:00Z",
    }

    task = create_ok(client, alice, body)

    assert task["id"] != sent_id
    assert task["user_id"] == alice.id
    assert task["completed_at"] is None
    assert parse_timestamp(task["created_at"]).year > 2000
    assert parse_timestamp(task["updated_at"]).year > 2000
    assert client.get(f"{alice.tasks_url}/{sent_id}", headers=alice.headers).status_code == 404
    assert client.get(bob.tasks_url, headers=bob.headers).json()["total"] == 0


def test_completed_at_in_the_body_of_a_completed_task_is_ignored(client: TestClient, alice: Account) -> None:
    task = create_ok(client, alice, {"title": "Done", "completed": True, "completed_at": "2000-01-01T00:00:00Z"})

    assert parse_timestamp(task["completed_at"]).year > 2000


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing title"),
        pytest.param({"description": "no title"}, id="only description"),
        pytest.param({"title": None}, id="null title"),
        pytest.param({"title": ""}, id="empty title"),
        pytest.param(
            {"title": "   \t\n "},
            id="whitespace title",
        ),
        pytest.param({"title": "x" * 256}, id="title of 256 characters"),
        pytest.param({"title": " " + "x" * 256 + " "}, id="title of 256 characters after trimming"),
        pytest.param({"title": "ok", "description": "d" * 10_001}, id="description of 10001 characters"),
        pytest.param({"title": "ok", "description": 5}, id="description as number"),
        pytest.param({"title": "ok", "completed": 0}, id="completed 0"),
        pytest.param({"title": "ok", "completed": 1}, id="completed 1"),
        pytest.param({"title": "ok", "completed": "true"}, id="completed 'true'"),
        pytest.param({"title": "ok", "completed": "false"}, id="completed 'false'"),
        pytest.param({"title": "ok", "completed": None}, id="completed null"),
        pytest.param({"title": 123}, id="title as number"),
        pytest.param({"title": ["list"]}, id="title as list"),
        pytest.param({"title": "nul\x00byte"}, id="NUL in title"),
        pytest.param({"title": "ok", "description": "nul\x00byte"}, id="NUL in description"),
        pytest.param(["title", "Buy milk"], id="JSON array body"),
        pytest.param("Buy milk", id="JSON string body"),
    ],
)
def test_invalid_body_is_400_with_a_list_of_issues(client: TestClient, alice: Account, body: Any) -> None:
    assert_validation_error(create(client, alice, body))


def test_malformed_json_is_400_with_a_list_of_issues(client: TestClient, alice: Account) -> None:
    response = client.post(
        alice.tasks_url,
        content=b'{"title": "Buy milk",',
        headers={**alice.headers, "Content-Type": "application/json"},
    )

    assert_validation_error(response)


def test_no_body_is_400_with_a_list_of_issues(client: TestClient, alice: Account) -> None:
    assert_validation_error(client.post(alice.tasks_url, headers=alice.headers))


def test_refused_body_creates_nothing(client: TestClient, alice: Account) -> None:
    assert create(client, alice, {"title": ""}).status_code == 400

    assert client.get(alice.tasks_url, headers=alice.headers).json()["total"] == 0
