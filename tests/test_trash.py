"""The trash and restore (contract C "Undo", D "Tasks" and "Sync and trash").

The rules these tests hold the service to:
- `DELETE` (and bulk delete, and clear-completed) moves a task to the trash; to every other
  route it is gone (404) exactly as in version 1: get, writes, `If-Match`, bulk, the list, its
  totals and its `q` and `tag` filters.
- `GET /api/{user_id}/tasks/trash` has the list's envelope (`items`, `total`, `limit`,
  `offset`, `next_cursor`) and its `limit` (1 to 100, default 20), `offset` and `cursor`;
  items are the `Task` fields plus `deleted_at`, newest deletion first, ties by id descending.
  A trash cursor belongs to the trash: the list refuses it and the trash refuses the list's.
- `POST /api/{user_id}/tasks/{task_id}/restore` answers 200 with the `Task` (no `deleted_at`),
  its `version` one up and `updated_at` later, with `ETag`; the task is back everywhere. 404
  when the id is not in the caller's trash.
- Entries older than `TRASH_RETENTION_DAYS` (default 30, fractions allowed, above 0) are
  neither shown nor restorable, purged or not.

Behaviour is checked through HTTP; the database is touched only to move `deleted_at` (or a
task's `updated_at`) back in time, which no API call can do."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Uuid, bindparam, text

from core.config import ConfigError, Settings
from models.common import UTCDateTime
from tests.support import TASK_KEYS, Account, Database, settings_for

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ENVELOPE_KEYS = {"items", "total", "limit", "offset", "next_cursor"}
TRASH_KEYS = TASK_KEYS | {"deleted_at"}
SECRET = "a-perfectly-good-secret-of-40-bytes-0001"
# Clocks: the service and the tests read the same machine's clock; this covers rounding and
# the time a request takes, and is far below the hour by which the tests move timestamps.
SLACK = timedelta(seconds=5)


# --- helpers ---------------------------------------------------------------------------------


def create_task(client: TestClient, account: Account, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def task_url(account: Account, task_id: str) -> str:
    return f"{account.tasks_url}/{task_id}"


def trash_url(account: Account) -> str:
    return f"{account.tasks_url}/trash"


def restore_url(account: Account, task_id: str) -> str:
    return f"{account.tasks_url}/{task_id}/restore"


def fetch(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.get(task_url(account, task_id), headers=account.headers)


def current(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = fetch(client, account, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def delete(client: TestClient, account: Account, task_id: str) -> None:
    response = client.delete(task_url(account, task_id), headers=account.headers)
    assert response.status_code == 204, response.text


def trashed_task(client: TestClient, account: Account, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    """A task created and deleted: the task as it was last read."""
    task = create_task(client, account, title, **fields)
    delete(client, account, task["id"])
    return task


def restore(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.post(restore_url(account, task_id), headers=account.headers)


def restored(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = restore(client, account, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def get_trash(client: TestClient, account: Account, **params: Any) -> httpx.Response:
    return client.get(trash_url(account), params=params, headers=account.headers)


def trash_page(client: TestClient, account: Account, **params: Any) -> dict[str, Any]:
    response = get_trash(client, account, **params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def trash_ids(client: TestClient, account: Account) -> list[str]:
    page = trash_page(client, account, limit=100)
    assert page["next_cursor"] is None
    return ids(page)


def walk_trash(
    client: TestClient, account: Account, limit: int, between_pages: Callable[[], None] | None = None
) -> list[str]:
    """Every id the trash's cursor pages give, in order; `between_pages` runs between pages."""
    page = trash_page(client, account, limit=limit)
    seen = ids(page)
    for _ in range(100):
        if page["next_cursor"] is None:
            return seen
        if between_pages is not None:
            between_pages()
        page = trash_page(client, account, limit=limit, cursor=page["next_cursor"])
        assert page["offset"] == 0
        seen += ids(page)
    raise AssertionError("the trash's cursors never came to an end")


def list_answer(client: TestClient, account: Account, **params: Any) -> tuple[list[str], int]:
    """The ids on the list's first (100-task) page and its total."""
    response = client.get(account.tasks_url, params={"limit": 100, **params}, headers=account.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    return [task["id"] for task in page["items"]], page["total"]


def totals(client: TestClient, account: Account) -> tuple[int, int, int]:
    return (
        list_answer(client, account)[1],
        list_answer(client, account, completed="true")[1],
        list_answer(client, account, completed="false")[1],
    )


def bulk(client: TestClient, account: Account, action: str, task_ids: list[str]) -> httpx.Response:
    return client.post(f"{account.tasks_url}/bulk", json={"action": action, "ids": task_ids}, headers=account.headers)


def timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def without_deleted_at(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "deleted_at"}


def set_timestamp(engine: Engine, table: str, column: str, task_id: str, at: datetime) -> None:
    """Move one row's timestamp (the API never sets a past one); the row must exist."""
    statement = text(f"UPDATE {table} SET {column} = :at WHERE id = :id").bindparams(
        bindparam("at", type_=UTCDateTime()), bindparam("id", type_=Uuid())
    )
    with engine.begin() as connection:
        result = connection.execute(statement, {"at": at, "id": uuid.UUID(task_id)})
        assert result.rowcount == 1, f"no {table} row {task_id}"


def age_in_trash(engine: Engine, task_id: str, age: timedelta) -> None:
    set_timestamp(engine, "trashed_tasks", "deleted_at", task_id, datetime.now(UTC) - age)


def allowed_methods(response: httpx.Response) -> set[str]:
    # HEAD goes with GET wherever GET is served; it says nothing about the routes.
    return {method.strip().upper() for method in response.headers["Allow"].split(",")} - {"HEAD"}


# --- what DELETE leaves in the trash ---------------------------------------------------------


def test_a_deleted_task_is_in_the_trash_as_it_was_plus_deleted_at(client: TestClient, alice: Account) -> None:
    task = create_task(
        client,
        alice,
        "Buy milk",
        description="Two litres",
        completed=True,
        due_at="2030-01-02T03:04:05Z",
        priority="high",
        tags=["shop", "Dairy"],
    )
    last_read = client.patch(task_url(alice, task["id"]), json={"title": "Buy oat milk"}, headers=alice.headers).json()
    assert last_read["version"] == 2
    delete(client, alice, task["id"])

    page = trash_page(client, alice)

    assert page["total"] == 1
    [item] = page["items"]
    assert set(item) == TRASH_KEYS
    # Assumed: a delete does not move `version` (restore is "old version + 1"), so the trash
    # shows the task exactly as the client last read it.
    assert without_deleted_at(item) == last_read


def test_deleted_at_is_the_moment_of_the_delete_not_of_the_last_change(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    task = create_task(client, alice)
    set_timestamp(engine, "tasks", "updated_at", task["id"], datetime.now(UTC) - timedelta(hours=1))
    before = datetime.now(UTC)
    delete(client, alice, task["id"])
    after = datetime.now(UTC)

    [item] = trash_page(client, alice)["items"]

    assert before - SLACK <= timestamp(item["deleted_at"]) <= after + SLACK


def test_the_trash_lists_the_newest_deletion_first(client: TestClient, alice: Account) -> None:
    tasks = [create_task(client, alice, f"task {n}") for n in range(4)]
    for n in (2, 0, 3, 1):
        delete(client, alice, tasks[n]["id"])

    assert trash_ids(client, alice) == [tasks[n]["id"] for n in (1, 3, 0, 2)]


def test_trash_entries_deleted_at_the_same_moment_are_ordered_by_id_descending(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    task_ids = [trashed_task(client, alice, f"task {n}")["id"] for n in range(5)]
    moment = datetime.now(UTC) - timedelta(hours=1)
    for task_id in task_ids:
        set_timestamp(engine, "trashed_tasks", "deleted_at", task_id, moment)
    newer = trashed_task(client, alice, "deleted later")["id"]

    assert trash_ids(client, alice) == [newer, *sorted(task_ids, reverse=True)]


def test_the_trash_holds_only_deleted_tasks(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "kept")
    create_task(client, alice, "kept too", completed=True)
    gone = trashed_task(client, alice, "gone")

    page = trash_page(client, alice)

    assert (ids(page), page["total"]) == ([gone["id"]], 1)


def test_an_empty_trash_is_an_empty_page_with_the_lists_envelope(client: TestClient, alice: Account) -> None:
    create_task(client, alice)

    page = trash_page(client, alice)

    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


def test_the_trash_answer_has_exactly_the_lists_envelope(client: TestClient, alice: Account) -> None:
    trashed_task(client, alice)

    assert set(trash_page(client, alice)) == ENVELOPE_KEYS


def test_the_trash_limit_defaults_to_20_like_the_lists(client: TestClient, alice: Account) -> None:
    for n in range(21):
        trashed_task(client, alice, f"task {n}")

    page = trash_page(client, alice)

    assert (len(page["items"]), page["total"], page["limit"], page["offset"]) == (20, 21, 20, 0)
    assert isinstance(page["next_cursor"], str) and page["next_cursor"]


def test_the_trash_pages_with_limit_and_offset(client: TestClient, alice: Account) -> None:
    for n in range(5):
        trashed_task(client, alice, f"task {n}")
    order = trash_ids(client, alice)

    page = trash_page(client, alice, limit=2, offset=2)

    assert (ids(page), page["total"], page["limit"], page["offset"]) == (order[2:4], 5, 2, 2)


def test_the_last_trash_page_has_no_next_cursor(client: TestClient, alice: Account) -> None:
    for n in range(3):
        trashed_task(client, alice, f"task {n}")

    assert trash_page(client, alice, limit=2)["next_cursor"] is not None
    assert trash_page(client, alice, limit=3)["next_cursor"] is None


def test_trash_cursors_walk_every_entry_once_in_order(client: TestClient, alice: Account) -> None:
    for n in range(7):
        trashed_task(client, alice, f"task {n}")
    order = trash_ids(client, alice)

    assert walk_trash(client, alice, limit=2) == order


def test_a_trash_cursor_neither_repeats_nor_skips_when_more_tasks_are_deleted_between_pages(
    client: TestClient, alice: Account
) -> None:
    for n in range(5):
        trashed_task(client, alice, f"task {n}")
    order = trash_ids(client, alice)
    live = [create_task(client, alice, f"later {n}")["id"] for n in range(3)]

    def delete_one_more() -> None:
        if live:
            delete(client, alice, live.pop())

    walked = walk_trash(client, alice, limit=2, between_pages=delete_one_more)

    # The new deletions are newer than the page already read: a cursor goes on past it.
    assert walked == order


def test_a_trash_cursor_does_not_skip_when_an_entry_already_seen_is_restored(
    client: TestClient, alice: Account
) -> None:
    for n in range(6):
        trashed_task(client, alice, f"task {n}")
    order = trash_ids(client, alice)
    first_page = trash_page(client, alice, limit=2)
    restored(client, alice, first_page["items"][0]["id"])

    second_page = trash_page(client, alice, limit=2, cursor=first_page["next_cursor"])

    assert ids(second_page) == order[2:4]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit 0"),
        pytest.param({"limit": 101}, id="limit 101"),
        pytest.param({"limit": "ten"}, id="limit not a number"),
        pytest.param({"offset": -1}, id="negative offset"),
        pytest.param({"cursor": "not-a-cursor"}, id="malformed cursor"),
    ],
)
def test_invalid_trash_parameters_are_400_with_detail(
    client: TestClient, alice: Account, params: dict[str, Any]
) -> None:
    trashed_task(client, alice)

    response = get_trash(client, alice, **params)

    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_offset_and_cursor_together_are_400_on_the_trash(client: TestClient, alice: Account) -> None:
    for n in range(3):
        trashed_task(client, alice, f"task {n}")
    cursor = trash_page(client, alice, limit=1)["next_cursor"]

    assert get_trash(client, alice, limit=1, cursor=cursor, offset=0).status_code == 400


def test_a_tampered_trash_cursor_is_400(client: TestClient, alice: Account) -> None:
    for n in range(3):
        trashed_task(client, alice, f"task {n}")
    cursor = trash_page(client, alice, limit=1)["next_cursor"]
    middle = len(cursor) // 2
    tampered = cursor[:middle] + ("B" if cursor[middle] == "A" else "A") + cursor[middle + 1 :]

    assert get_trash(client, alice, limit=1, cursor=tampered).status_code == 400


def test_a_list_cursor_is_400_on_the_trash(client: TestClient, alice: Account) -> None:
    for n in range(3):
        trashed_task(client, alice, f"gone {n}")
        create_task(client, alice, f"kept {n}")
    list_cursor = client.get(alice.tasks_url, params={"limit": 1}, headers=alice.headers).json()["next_cursor"]
    assert list_cursor

    assert get_trash(client, alice, limit=1, cursor=list_cursor).status_code == 400


def test_a_trash_cursor_is_400_on_the_list(client: TestClient, alice: Account) -> None:
    for n in range(3):
        trashed_task(client, alice, f"gone {n}")
        create_task(client, alice, f"kept {n}")
    trash_cursor = trash_page(client, alice, limit=1)["next_cursor"]
    assert trash_cursor

    response = client.get(alice.tasks_url, params={"limit": 1, "cursor": trash_cursor}, headers=alice.headers)

    assert response.status_code == 400, response.text


def test_another_users_trash_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    trashed_task(client, bob)

    response = client.get(trash_url(bob), headers=alice.headers)

    assert response.status_code == 403, response.text


def test_another_users_deletions_stay_out_of_my_trash(client: TestClient, alice: Account, bob: Account) -> None:
    mine = trashed_task(client, alice, "mine")
    trashed_task(client, bob, "bob's")

    page = trash_page(client, alice)

    assert (ids(page), page["total"]) == ([mine["id"]], 1)


@pytest.mark.parametrize(("method", "where"), [("GET", "trash"), ("POST", "restore")])
def test_trash_and_restore_without_a_token_are_401(client: TestClient, alice: Account, method: str, where: str) -> None:
    task = trashed_task(client, alice)
    url = trash_url(alice) if where == "trash" else restore_url(alice, task["id"])

    assert client.request(method, url).status_code == 401
    assert trash_ids(client, alice) == [task["id"]]


def test_deleting_a_trashed_task_again_is_404_and_leaves_one_trash_entry(client: TestClient, alice: Account) -> None:
    task = trashed_task(client, alice)

    assert client.delete(task_url(alice, task["id"]), headers=alice.headers).status_code == 404

    assert trash_ids(client, alice) == [task["id"]]


# --- to every other route a trashed task is gone ----------------------------------------------


def send_to_task(
    client: TestClient, account: Account, task_id: str, method: str, headers: dict[str, str]
) -> httpx.Response:
    url = task_url(account, task_id)
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "PUT":
        return client.put(url, json={"title": "Back", "description": None, "completed": False}, headers=headers)
    if method == "PATCH":
        return client.patch(url, json={"title": "Back"}, headers=headers)
    if method == "complete":
        return client.patch(f"{url}/complete", headers=headers)
    return client.delete(url, headers=headers)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "complete", "DELETE"])
def test_a_trashed_task_is_404_to_every_task_route(client: TestClient, alice: Account, method: str) -> None:
    task = trashed_task(client, alice)

    response = send_to_task(client, alice, task["id"], method, alice.headers)

    assert response.status_code == 404, response.text
    assert without_deleted_at(trash_page(client, alice)["items"][0]) == task  # the trash copy untouched


@pytest.mark.parametrize("if_match", ['"1"', "*"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "complete", "DELETE"])
def test_if_match_on_a_trashed_task_is_404(client: TestClient, alice: Account, method: str, if_match: str) -> None:
    task = trashed_task(client, alice)

    response = send_to_task(client, alice, task["id"], method, {**alice.headers, "If-Match": if_match})

    assert response.status_code == 404, response.text


def test_a_trashed_task_leaves_the_list_and_its_totals(client: TestClient, alice: Account) -> None:
    kept = create_task(client, alice, "kept")
    done = create_task(client, alice, "done", completed=True)
    delete(client, alice, done["id"])

    assert list_answer(client, alice) == ([kept["id"]], 1)
    assert totals(client, alice) == (1, 0, 1)


@pytest.mark.parametrize("params", [{"q": "quarterly"}, {"tag": "work"}, {"tag": "WORK"}])
def test_a_trashed_task_is_not_found_by_q_or_tag(client: TestClient, alice: Account, params: dict[str, str]) -> None:
    kept = create_task(client, alice, "quarterly report", tags=["work"])
    trashed_task(client, alice, "quarterly report draft", tags=["Work"])

    assert list_answer(client, alice, **params) == ([kept["id"]], 1)


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
def test_bulk_naming_a_trashed_task_is_404_and_changes_nothing(client: TestClient, alice: Account, action: str) -> None:
    live = create_task(client, alice, "live", completed=action == "reopen")
    gone = trashed_task(client, alice, "gone")

    response = bulk(client, alice, action, [live["id"], gone["id"]])

    assert response.status_code == 404, response.text
    assert current(client, alice, live["id"]) == live
    assert trash_ids(client, alice) == [gone["id"]]


def test_another_users_trashed_task_is_404_to_me(client: TestClient, alice: Account, bob: Account) -> None:
    """Version 1: another user's task is a 403, a task that does not exist a 404. A trashed
    task is gone "exactly as in version 1", so it no longer exists for anyone but the trash."""
    bobs = trashed_task(client, bob)

    assert fetch(client, alice, bobs["id"]).status_code == 404


# --- bulk delete and clear-completed go through the trash -------------------------------------


def test_bulk_delete_moves_the_tasks_to_the_trash(client: TestClient, alice: Account) -> None:
    tasks = [create_task(client, alice, f"task {n}") for n in range(3)]
    create_task(client, alice, "kept")

    response = bulk(client, alice, "delete", [task["id"] for task in tasks])

    assert response.json() == {"action": "delete", "count": 3}
    items = trash_page(client, alice)["items"]
    assert sorted(map(without_deleted_at, items), key=lambda task: task["id"]) == sorted(
        tasks, key=lambda task: task["id"]
    )
    assert all(isinstance(item["deleted_at"], str) for item in items)


def test_clear_completed_moves_the_completed_tasks_to_the_trash(client: TestClient, alice: Account) -> None:
    done = [create_task(client, alice, f"done {n}", completed=True) for n in range(3)]
    create_task(client, alice, "open")

    response = client.post(f"{alice.tasks_url}/clear-completed", headers=alice.headers)

    assert response.json() == {"count": 3}
    items = trash_page(client, alice)["items"]
    assert sorted(map(without_deleted_at, items), key=lambda task: task["id"]) == sorted(
        done, key=lambda task: task["id"]
    )


@pytest.mark.parametrize("how", ["bulk delete", "clear-completed"])
def test_a_task_deleted_in_bulk_can_be_restored(client: TestClient, alice: Account, how: str) -> None:
    task = create_task(client, alice, completed=True)
    if how == "bulk delete":
        assert bulk(client, alice, "delete", [task["id"]]).status_code == 200
    else:
        assert client.post(f"{alice.tasks_url}/clear-completed", headers=alice.headers).status_code == 200

    back = restored(client, alice, task["id"])

    assert back["version"] == task["version"] + 1
    assert current(client, alice, task["id"]) == back


# --- restore ---------------------------------------------------------------------------------


def test_restore_answers_the_task_with_its_version_one_up_and_its_etag(client: TestClient, alice: Account) -> None:
    task = create_task(
        client,
        alice,
        "Buy milk",
        description="Two litres",
        completed=True,
        due_at="2030-01-02T03:04:05Z",
        priority="medium",
        tags=["shop", "Dairy"],
    )
    delete(client, alice, task["id"])

    response = restore(client, alice, task["id"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TASK_KEYS  # no deleted_at: it is a task again
    assert body["version"] == task["version"] + 1
    assert response.headers["ETag"] == f'"{body["version"]}"'
    unchanged = TASK_KEYS - {"version", "updated_at"}
    assert {key: body[key] for key in unchanged} == {key: task[key] for key in unchanged}


def test_restore_moves_updated_at_forward(client: TestClient, alice: Account, engine: Engine) -> None:
    task = create_task(client, alice)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    set_timestamp(engine, "tasks", "updated_at", task["id"], an_hour_ago)
    delete(client, alice, task["id"])

    body = restored(client, alice, task["id"])

    assert timestamp(body["updated_at"]) > an_hour_ago + SLACK


def test_a_restored_task_is_back_in_get_and_the_list(client: TestClient, alice: Account) -> None:
    other = create_task(client, alice, "other")
    task = trashed_task(client, alice)

    body = restored(client, alice, task["id"])

    assert current(client, alice, task["id"]) == body
    listed, total = list_answer(client, alice)
    assert (sorted(listed), total) == (sorted([task["id"], other["id"]]), 2)


def test_a_restored_task_counts_in_the_totals_again(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "open")
    done = trashed_task(client, alice, "done", completed=True)
    assert totals(client, alice) == (1, 0, 1)

    restored(client, alice, done["id"])

    assert totals(client, alice) == (2, 1, 1)


@pytest.mark.parametrize("params", [{"q": "quarterly"}, {"q": "Draft Notes"}, {"tag": "work"}, {"tag": "WORK"}])
def test_a_restored_task_is_found_by_q_and_tag_again(
    client: TestClient, alice: Account, params: dict[str, str]
) -> None:
    task = trashed_task(client, alice, "quarterly report", description="draft notes", tags=["Work"])
    create_task(client, alice, "something else", tags=["home"])

    restored(client, alice, task["id"])

    assert list_answer(client, alice, **params) == ([task["id"]], 1)


def test_restore_changes_the_lists_etag(client: TestClient, alice: Account) -> None:
    """Contract C: the list's tag changes whenever a task is created, changed or deleted; a
    restore brings a task back to the list, so the page can no longer be the same."""
    create_task(client, alice, "kept")
    task = trashed_task(client, alice)
    before = client.get(alice.tasks_url, headers=alice.headers).headers["ETag"]

    restored(client, alice, task["id"])

    assert client.get(alice.tasks_url, headers=alice.headers).headers["ETag"] != before


def test_a_restored_task_leaves_the_trash(client: TestClient, alice: Account) -> None:
    task = trashed_task(client, alice, "restored")
    other = trashed_task(client, alice, "still trashed")

    restored(client, alice, task["id"])

    page = trash_page(client, alice)
    assert (ids(page), page["total"]) == ([other["id"]], 1)


def test_a_restored_task_takes_if_match_with_its_new_version(client: TestClient, alice: Account) -> None:
    task = trashed_task(client, alice)
    body = restored(client, alice, task["id"])

    response = client.patch(
        task_url(alice, task["id"]),
        json={"title": "Buy bread"},
        headers={**alice.headers, "If-Match": f'"{body["version"]}"'},
    )

    assert response.status_code == 200, response.text
    assert response.json()["version"] == body["version"] + 1


def test_each_delete_and_restore_round_moves_the_version_one_up(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    versions = []
    for _ in range(3):
        delete(client, alice, task["id"])
        assert trash_ids(client, alice) == [task["id"]]
        versions.append(restored(client, alice, task["id"])["version"])

    assert versions == [2, 3, 4]


def test_restoring_twice_is_404_the_second_time(client: TestClient, alice: Account) -> None:
    task = trashed_task(client, alice)
    first = restored(client, alice, task["id"])

    assert restore(client, alice, task["id"]).status_code == 404

    assert current(client, alice, task["id"]) == first


def test_restore_of_a_task_never_deleted_is_404_and_leaves_it_alone(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = restore(client, alice, task["id"])

    assert response.status_code == 404, response.text
    assert response.json()["detail"]
    assert current(client, alice, task["id"]) == task


def test_restore_of_an_unknown_id_is_404(client: TestClient, alice: Account) -> None:
    trashed_task(client, alice)

    assert restore(client, alice, UNKNOWN_ID).status_code == 404


@pytest.mark.parametrize("task_id", ["not-a-uuid", "123", "00000000-0000-4000-8000-00000000000g"])
def test_restore_of_an_id_that_is_not_a_uuid_is_400(client: TestClient, alice: Account, task_id: str) -> None:
    # Version 1's rule for every task route: "A `task_id` that is not a UUID is a 400".
    assert restore(client, alice, task_id).status_code == 400


def test_restore_of_another_users_trashed_task_is_404_and_leaves_it_in_their_trash(
    client: TestClient, alice: Account, bob: Account
) -> None:
    bobs = trashed_task(client, bob)

    assert restore(client, alice, bobs["id"]).status_code == 404

    assert trash_ids(client, bob) == [bobs["id"]]
    assert fetch(client, bob, bobs["id"]).status_code == 404


def test_restore_on_another_users_path_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    bobs = trashed_task(client, bob)

    response = client.post(restore_url(bob, bobs["id"]), headers=alice.headers)

    assert response.status_code == 403, response.text
    assert trash_ids(client, bob) == [bobs["id"]]


# --- retention -------------------------------------------------------------------------------


def test_trash_older_than_the_retention_is_not_shown(client: TestClient, alice: Account, engine: Engine) -> None:
    expired = trashed_task(client, alice, "expired")
    kept = trashed_task(client, alice, "kept")
    age_in_trash(engine, expired["id"], timedelta(days=31))  # the default retention is 30 days
    age_in_trash(engine, kept["id"], timedelta(days=29))

    page = trash_page(client, alice)

    assert (ids(page), page["total"]) == ([kept["id"]], 1)


def test_restore_of_a_task_older_than_the_retention_is_404(client: TestClient, alice: Account, engine: Engine) -> None:
    task = trashed_task(client, alice)
    age_in_trash(engine, task["id"], timedelta(days=31))

    assert restore(client, alice, task["id"]).status_code == 404

    assert fetch(client, alice, task["id"]).status_code == 404
    assert list_answer(client, alice) == ([], 0)


def test_a_task_just_inside_the_retention_can_be_restored(client: TestClient, alice: Account, engine: Engine) -> None:
    task = trashed_task(client, alice)
    age_in_trash(engine, task["id"], timedelta(days=29))

    assert restored(client, alice, task["id"])["id"] == task["id"]


def test_a_fractional_retention_is_honoured(
    client: TestClient,
    make_client: Callable[..., TestClient],
    database: Database,
    alice: Account,
    engine: Engine,
) -> None:
    half_day = make_client(settings_for(database, trash_retention_days=0.5))
    expired = trashed_task(client, alice, "expired")
    kept = trashed_task(client, alice, "kept")
    age_in_trash(engine, expired["id"], timedelta(hours=13))
    age_in_trash(engine, kept["id"], timedelta(hours=11))

    page = trash_page(half_day, alice)

    assert (ids(page), page["total"]) == ([kept["id"]], 1)
    assert restore(half_day, alice, expired["id"]).status_code == 404


def settings_from_env(**env: str) -> Settings:
    return Settings.from_env({"BETTER_AUTH_SECRET": SECRET, **env})


def test_the_trash_retention_defaults_to_30_days() -> None:
    assert settings_from_env().trash_retention_days == 30


@pytest.mark.parametrize(("value", "days"), [("7", 7.0), ("0.5", 0.5), ("0.0001", 0.0001), (" 2.25 ", 2.25)])
def test_trash_retention_days_is_read_from_the_environment_with_fractions(value: str, days: float) -> None:
    assert settings_from_env(TRASH_RETENTION_DAYS=value).trash_retention_days == pytest.approx(days)


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "a month", "nan"])
def test_trash_retention_days_must_be_a_number_above_0(value: str) -> None:
    with pytest.raises(ConfigError, match="TRASH_RETENTION_DAYS"):
        settings_from_env(TRASH_RETENTION_DAYS=value)


# --- methods the new paths do not take ---------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_trash_path_takes_only_get(client: TestClient, alice: Account, method: str) -> None:
    trashed_task(client, alice)

    response = client.request(method, trash_url(alice), headers=alice.headers)

    assert response.status_code == 405, response.text  # not a 400 for a malformed task id
    assert allowed_methods(response) == {"GET"}
    assert len(trash_ids(client, alice)) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_the_restore_path_takes_only_post(client: TestClient, alice: Account, method: str) -> None:
    task = trashed_task(client, alice)

    response = client.request(method, restore_url(alice, task["id"]), headers=alice.headers)

    assert response.status_code == 405, response.text
    assert allowed_methods(response) == {"POST"}
    assert trash_ids(client, alice) == [task["id"]]
