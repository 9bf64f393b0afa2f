"""Tasks, version 2 (contract v2, section B): `due_at`, `priority`, `tags` and `version`
on create and replace, and `PATCH /api/{user_id}/tasks/{task_id}`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Account


def create(client: TestClient, account: Account, **fields: Any) -> httpx.Response:
    return client.post(account.tasks_url, json={"title": "Task", **fields}, headers=account.headers)


def created(client: TestClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = create(client, account, **fields)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def patch(client: TestClient, account: Account, task_id: str, body: Any) -> httpx.Response:
    return client.patch(f"{account.tasks_url}/{task_id}", json=body, headers=account.headers)


def put(client: TestClient, account: Account, task_id: str, body: Any) -> httpx.Response:
    return client.put(f"{account.tasks_url}/{task_id}", json=body, headers=account.headers)


V1_FIELDS = {"title": "Task", "description": None, "completed": False}


# --- the new fields on create ----------------------------------------------------------------


def test_a_new_task_has_no_due_date_no_priority_no_tags_and_version_1(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    assert (task["due_at"], task["priority"], task["tags"], task["version"]) == (None, "none", [], 1)


def test_a_due_date_with_an_offset_comes_back_in_utc(client: TestClient, alice: Account) -> None:
    task = created(client, alice, due_at="2026-12-01T09:30:00+02:00")

    assert task["due_at"] == "2026-12-01T07:30:00.000000Z"


@pytest.mark.parametrize(
    "due_at", ["2026-12-01T09:30:00", "2026-12-01", 1764581400, "1764581400", "tomorrow", "0001-01-01T00:00:00+01:00"]
)
def test_a_due_date_without_an_offset_or_out_of_range_is_400(client: TestClient, alice: Account, due_at: Any) -> None:
    assert create(client, alice, due_at=due_at).status_code == 400


@pytest.mark.parametrize("priority", ["none", "low", "medium", "high"])
def test_each_priority_is_kept(client: TestClient, alice: Account, priority: str) -> None:
    assert created(client, alice, priority=priority)["priority"] == priority


@pytest.mark.parametrize("priority", ["urgent", "HIGH", 3, None])
def test_an_unknown_priority_is_400(client: TestClient, alice: Account, priority: Any) -> None:
    assert create(client, alice, priority=priority).status_code == 400


def test_tags_are_trimmed_distinct_without_regard_to_case_and_sorted(client: TestClient, alice: Account) -> None:
    task = created(client, alice, tags=["  work ", "Home", "home", "errands", "WORK"])

    assert task["tags"] == ["errands", "Home", "work"]  # the first spelling of each is kept


def test_twenty_one_tags_with_one_duplicate_are_twenty_distinct_and_accepted(
    client: TestClient, alice: Account
) -> None:
    tags = [f"tag{i:02d}" for i in range(20)] + ["TAG00"]

    assert len(created(client, alice, tags=tags)["tags"]) == 20


@pytest.mark.parametrize(
    "tags",
    [
        [f"tag{i:02d}" for i in range(21)],  # 21 distinct
        ["x" * 33],
        ["   "],
        [""],
        [7],
        "work",
        None,
        ["nul\u0000"],
    ],
)
def test_invalid_tags_are_400(client: TestClient, alice: Account, tags: Any) -> None:
    assert create(client, alice, tags=tags).status_code == 400


def test_a_tag_of_32_characters_after_trimming_is_accepted(client: TestClient, alice: Account) -> None:
    assert created(client, alice, tags=["  " + "x" * 32 + "  "])["tags"] == ["x" * 32]


def test_version_and_other_server_owned_fields_in_a_body_are_ignored(client: TestClient, alice: Account) -> None:
    task = created(client, alice, version=99, id="not-yours")

    assert task["version"] == 1


# --- replace ---------------------------------------------------------------------------------


def test_put_sets_the_new_fields(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    body = {**V1_FIELDS, "due_at": "2026-12-24T18:00:00Z", "priority": "high", "tags": ["xmas"]}
    replaced = put(client, alice, task["id"], body).json()

    assert (replaced["due_at"], replaced["priority"], replaced["tags"]) == (
        "2026-12-24T18:00:00.000000Z",
        "high",
        ["xmas"],
    )


def test_put_without_the_new_fields_resets_them_to_their_defaults(client: TestClient, alice: Account) -> None:
    task = created(client, alice, due_at="2026-12-24T18:00:00Z", priority="high", tags=["xmas"])

    replaced = put(client, alice, task["id"], V1_FIELDS).json()

    assert (replaced["due_at"], replaced["priority"], replaced["tags"]) == (None, "none", [])


def test_a_put_that_changes_something_adds_one_to_the_version(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    assert put(client, alice, task["id"], {**V1_FIELDS, "title": "Other"}).json()["version"] == 2


def test_a_put_that_changes_nothing_keeps_the_version(client: TestClient, alice: Account) -> None:
    task = created(client, alice, priority="low", tags=["a"])

    replaced = put(client, alice, task["id"], {**V1_FIELDS, "priority": "low", "tags": ["a", "A"]}).json()

    assert replaced["version"] == 1 and replaced["updated_at"] == task["updated_at"]


def test_a_tag_spelled_in_another_case_is_a_change(client: TestClient, alice: Account) -> None:
    task = created(client, alice, tags=["a"])

    patched = patch(client, alice, task["id"], {"tags": ["A"]}).json()

    assert (patched["tags"], patched["version"]) == (["A"], 2)


def test_completing_adds_one_to_the_version(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    completed = client.patch(f"{alice.tasks_url}/{task['id']}/complete", headers=alice.headers).json()

    assert completed["version"] == 2


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client: TestClient, alice: Account) -> None:
    task = created(client, alice, description="notes", priority="low", tags=["a"])

    patched = patch(client, alice, task["id"], {"priority": "high"}).json()

    assert patched["priority"] == "high"
    assert {k: patched[k] for k in ("title", "description", "tags", "due_at")} == {
        "title": "Task",
        "description": "notes",
        "tags": ["a"],
        "due_at": None,
    }
    assert patched["version"] == 2 and patched["updated_at"] > task["updated_at"]


def test_patch_with_null_clears_the_description_and_the_due_date(client: TestClient, alice: Account) -> None:
    task = created(client, alice, description="notes", due_at="2026-12-01T09:00:00Z")

    patched = patch(client, alice, task["id"], {"description": None, "due_at": None}).json()

    assert (patched["description"], patched["due_at"]) == (None, None)


@pytest.mark.parametrize("field", ["title", "completed", "priority", "tags"])
def test_patch_with_null_for_a_field_that_cannot_be_null_is_400(client: TestClient, alice: Account, field: str) -> None:
    task = created(client, alice)

    response = patch(client, alice, task["id"], {field: None})

    assert response.status_code == 400
    assert client.get(f"{alice.tasks_url}/{task['id']}", headers=alice.headers).json()["version"] == 1


@pytest.mark.parametrize("body", [{}, {"unknown": 1}, [], "title", None])
def test_patch_with_nothing_to_change_is_400(client: TestClient, alice: Account, body: Any) -> None:
    task = created(client, alice)

    assert patch(client, alice, task["id"], body).status_code == 400


def test_patch_that_changes_nothing_keeps_version_and_updated_at(client: TestClient, alice: Account) -> None:
    task = created(client, alice, priority="low")

    patched = patch(client, alice, task["id"], {"priority": "low", "title": "  Task  "}).json()

    assert (patched["version"], patched["updated_at"]) == (1, task["updated_at"])


def test_patch_completing_sets_completed_at_and_counts_in_the_total(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    patched = patch(client, alice, task["id"], {"completed": True}).json()

    assert patched["completed"] is True and patched["completed_at"] is not None
    page = client.get(f"{alice.tasks_url}?completed=true", headers=alice.headers).json()
    assert page["total"] == 1


def test_patch_reopening_clears_completed_at(client: TestClient, alice: Account) -> None:
    task = created(client, alice, completed=True)

    patched = patch(client, alice, task["id"], {"completed": False}).json()

    assert (patched["completed"], patched["completed_at"]) == (False, None)


def test_patch_with_an_invalid_value_is_400_and_changes_nothing(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    response = patch(client, alice, task["id"], {"title": "New", "priority": "urgent"})

    assert response.status_code == 400
    assert client.get(f"{alice.tasks_url}/{task['id']}", headers=alice.headers).json()["title"] == "Task"


def test_patch_of_an_unknown_task_is_404(client: TestClient, alice: Account) -> None:
    response = patch(client, alice, "00000000-0000-4000-8000-000000000000", {"title": "x"})

    assert response.status_code == 404


def test_patch_of_another_users_task_is_403_and_changes_nothing(
    client: TestClient, alice: Account, bob: Account
) -> None:
    bobs = created(client, bob)

    response = client.patch(f"{alice.tasks_url}/{bobs['id']}", json={"title": "mine"}, headers=alice.headers)

    assert response.status_code == 403
    assert client.get(f"{bob.tasks_url}/{bobs['id']}", headers=bob.headers).json()["title"] == "Task"


def test_patch_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    task = created(client, alice)

    assert client.patch(f"{alice.tasks_url}/{task['id']}", json={"title": "x"}).status_code == 401


def test_the_list_returns_the_new_fields(client: TestClient, alice: Account) -> None:
    created(client, alice, priority="medium", tags=["x"], due_at="2026-12-01T09:00:00Z")

    [item] = client.get(alice.tasks_url, headers=alice.headers).json()["items"]

    assert (item["priority"], item["tags"], item["due_at"], item["version"]) == (
        "medium",
        ["x"],
        "2026-12-01T09:00:00.000000Z",
        1,
    )
