"""Delta sync (contract C "Delta sync", D "Sync and trash"): `GET /api/{user_id}/tasks/changes`.

The rules these tests hold the service to:
- The answer is `{"changed": [Task], "deleted": [id], "next_since": "<token>", "has_more": bool}`.
- Without `since`: `changed` is every live task (trashed ones are not tasks), `deleted` is empty.
- With the `next_since` of an earlier answer: exactly the tasks created or changed since, as they
  are now, each once, and the ids trashed since (by `DELETE`, bulk delete or clear-completed).
  A task created and then deleted since is in `deleted` only; a task restored since is in
  `changed`, not `deleted`. Nothing changed: both lists empty, `has_more` false, and the new
  `next_since` carries on from there.
- At most 500 entries per answer, `changed` and `deleted` counted together; `has_more` says to
  call again, and following `next_since` until it is false gives every task exactly once, even
  when one bulk request changed tasks on both sides of a page boundary.
- A `since` that is malformed, tampered with, not a sync token, or another user's is a 400; one
  older than `TRASH_RETENTION_DAYS` is a 410 (sync from scratch). Each user sees only their own
  changes; `/api/{someone else}/tasks/changes` is a 403.

The tests never look inside a token: they only pass back what the service handed out, or that
string damaged on purpose."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import TASK_KEYS, Account, Database, settings_for

ANSWER_KEYS = {"changed", "deleted", "next_since", "has_more"}
PAGE_CAP = 500
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
CREATORS = 4


# --- helpers ---------------------------------------------------------------------------------


def changes_url(account: Account) -> str:
    return f"{account.tasks_url}/changes"


def get_changes(client: TestClient, account: Account, since: str | None = None) -> httpx.Response:
    params = {} if since is None else {"since": since}
    return client.get(changes_url(account), params=params, headers=account.headers)


def changes(client: TestClient, account: Account, since: str | None = None) -> dict[str, Any]:
    response = get_changes(client, account, since)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == ANSWER_KEYS
    assert len(answer["changed"]) + len(answer["deleted"]) <= PAGE_CAP
    return answer


@dataclass
class Sync:
    """Everything a client collects by following `next_since` until `has_more` is false."""

    changed: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    since: str = ""

    @property
    def changed_ids(self) -> list[str]:
        return [task["id"] for task in self.changed]


def sync(client: TestClient, account: Account, since: str | None = None) -> Sync:
    result = Sync()
    for _ in range(50):
        answer = changes(client, account, since)
        result.pages.append(answer)
        result.changed += answer["changed"]
        result.deleted += answer["deleted"]
        since = answer["next_since"]
        assert isinstance(since, str) and since
        if not answer["has_more"]:
            result.since = since
            return result
    raise AssertionError("has_more never became false")


def position(client: TestClient, account: Account) -> str:
    """A token that has seen everything so far."""
    return sync(client, account).since


def create_task(client: TestClient, account: Account, title: str = "Buy milk", **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def create_tasks(client: TestClient, account: Account, count: int) -> list[str]:
    """`count` new tasks, several requests at a time (only to save time), ids in title order."""
    with ThreadPoolExecutor(CREATORS) as pool:
        return list(pool.map(lambda n: create_task(client, account, f"task {n:04}")["id"], range(count)))


def task_url(account: Account, task_id: str) -> str:
    return f"{account.tasks_url}/{task_id}"


def current(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = client.get(task_url(account, task_id), headers=account.headers)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def delete(client: TestClient, account: Account, task_id: str) -> None:
    assert client.delete(task_url(account, task_id), headers=account.headers).status_code == 204


def restore(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = client.post(f"{task_url(account, task_id)}/restore", headers=account.headers)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def bulk(client: TestClient, account: Account, action: str, task_ids: list[str]) -> httpx.Response:
    return client.post(f"{account.tasks_url}/bulk", json={"action": action, "ids": task_ids}, headers=account.headers)


def bulk_ok(client: TestClient, account: Account, action: str, task_ids: list[str]) -> None:
    response = bulk(client, account, action, task_ids)
    assert response.status_code == 200, response.text
    assert response.json()["count"] == len(task_ids)


def clear_completed(client: TestClient, account: Account) -> int:
    response = client.post(f"{account.tasks_url}/clear-completed", headers=account.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def ids_of(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("B" if token[middle] == "A" else "A") + token[middle + 1 :]


def allowed_methods(response: httpx.Response) -> set[str]:
    # HEAD goes with GET wherever GET is served; it says nothing about the routes.
    return {method.strip().upper() for method in response.headers["Allow"].split(",")} - {"HEAD"}


# --- without since ---------------------------------------------------------------------------


def test_the_answer_has_changed_deleted_next_since_and_has_more(client: TestClient, alice: Account) -> None:
    create_task(client, alice)

    response = get_changes(client, alice)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == ANSWER_KEYS
    assert isinstance(answer["changed"], list) and isinstance(answer["deleted"], list)
    assert isinstance(answer["next_since"], str) and answer["next_since"]
    assert answer["has_more"] is False


def test_without_since_changed_holds_every_task_as_it_is(client: TestClient, alice: Account) -> None:
    plain = create_task(client, alice, "plain")
    rich = create_task(
        client, alice, "rich", description="Two litres", due_at="2030-01-01T00:00:00Z", priority="low", tags=["a"]
    )
    done = create_task(client, alice, "done")
    client.patch(f"{task_url(alice, done['id'])}/complete", headers=alice.headers)

    answer = changes(client, alice)

    assert all(set(task) == TASK_KEYS for task in answer["changed"])
    by_id = {task["id"]: task for task in answer["changed"]}
    assert len(answer["changed"]) == 3
    assert by_id == {task["id"]: current(client, alice, task["id"]) for task in (plain, rich, done)}
    assert answer["has_more"] is False


def test_without_since_trashed_tasks_are_left_out_and_deleted_is_empty(client: TestClient, alice: Account) -> None:
    kept = create_task(client, alice, "kept")
    gone = create_task(client, alice, "gone")
    create_task(client, alice, "done", completed=True)
    delete(client, alice, gone["id"])
    assert clear_completed(client, alice) == 1

    answer = changes(client, alice)

    assert (ids_of(answer["changed"]), answer["deleted"]) == ([kept["id"]], [])


def test_a_user_without_tasks_gets_empty_lists_and_no_more(client: TestClient, alice: Account) -> None:
    answer = changes(client, alice)

    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([], [], False)


# --- with since: what changed ----------------------------------------------------------------


def test_nothing_changed_since_gives_empty_lists_and_no_more(client: TestClient, alice: Account) -> None:
    create_task(client, alice)
    since = position(client, alice)

    answer = changes(client, alice, since)

    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([], [], False)


def test_the_next_since_of_an_empty_answer_still_catches_later_changes(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "old")
    empty = changes(client, alice, position(client, alice))
    assert empty["changed"] == []
    new = create_task(client, alice, "new")

    answer = changes(client, alice, empty["next_since"])

    assert (answer["changed"], answer["deleted"]) == ([new], [])


def test_each_answer_moves_since_past_what_it_gave(client: TestClient, alice: Account) -> None:
    since = position(client, alice)
    first = create_task(client, alice, "first")
    answer = changes(client, alice, since)
    assert ids_of(answer["changed"]) == [first["id"]]
    second = create_task(client, alice, "second")

    later = changes(client, alice, answer["next_since"])

    assert ids_of(later["changed"]) == [second["id"]]


def test_a_task_created_since_is_in_changed_as_created(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "before")
    since = position(client, alice)
    task = create_task(client, alice, "after", description="Rye", priority="high", tags=["shop"])

    answer = changes(client, alice, since)

    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([task], [], False)


def write_put(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    body = {"title": "Buy bread", "description": "Rye", "completed": False}
    assert client.put(task_url(account, task["id"]), json=body, headers=account.headers).status_code == 200


def write_patch(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    response = client.patch(task_url(account, task["id"]), json={"tags": ["new"]}, headers=account.headers)
    assert response.status_code == 200


def write_complete(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    assert client.patch(f"{task_url(account, task['id'])}/complete", headers=account.headers).status_code == 200


def write_reopen(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    response = client.patch(
        f"{task_url(account, task['id'])}/complete", json={"completed": False}, headers=account.headers
    )
    assert response.status_code == 200


def write_bulk_complete(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    bulk_ok(client, account, "complete", [task["id"]])


def write_bulk_reopen(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    bulk_ok(client, account, "reopen", [task["id"]])


# Each write is a real change to a task created with `completed` as given.
WRITES: dict[str, tuple[Callable[[TestClient, Account, dict[str, Any]], None], bool]] = {
    "PUT": (write_put, False),
    "PATCH": (write_patch, False),
    "complete": (write_complete, False),
    "reopen": (write_reopen, True),
    "bulk complete": (write_bulk_complete, False),
    "bulk reopen": (write_bulk_reopen, True),
}


@pytest.mark.parametrize("how", WRITES)
def test_a_task_changed_since_is_in_changed_as_it_is_now(client: TestClient, alice: Account, how: str) -> None:
    write, completed = WRITES[how]
    task = create_task(client, alice, "changed", completed=completed)
    create_task(client, alice, "untouched", completed=completed)
    since = position(client, alice)

    write(client, alice, task)

    answer = changes(client, alice, since)
    now = current(client, alice, task["id"])
    assert now["version"] == task["version"] + 1
    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([now], [], False)


def test_a_task_changed_twice_since_appears_once_as_it_is_now(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    since = position(client, alice)
    write_patch(client, alice, task)
    write_complete(client, alice, task)

    answer = changes(client, alice, since)

    assert answer["changed"] == [current(client, alice, task["id"])]


def test_a_task_created_and_changed_since_appears_once(client: TestClient, alice: Account) -> None:
    since = position(client, alice)
    task = create_task(client, alice)
    write_put(client, alice, task)

    answer = changes(client, alice, since)

    assert answer["changed"] == [current(client, alice, task["id"])]


def noop_complete(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    assert client.patch(f"{task_url(account, task['id'])}/complete", headers=account.headers).status_code == 200


def noop_reopen(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    response = client.patch(
        f"{task_url(account, task['id'])}/complete", json={"completed": False}, headers=account.headers
    )
    assert response.status_code == 200


def noop_put(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    body = {key: task[key] for key in ("title", "description", "completed", "due_at", "priority", "tags")}
    assert client.put(task_url(account, task["id"]), json=body, headers=account.headers).status_code == 200


def noop_patch(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    response = client.patch(task_url(account, task["id"]), json={"title": task["title"]}, headers=account.headers)
    assert response.status_code == 200


def noop_bulk_complete(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    response = bulk(client, account, "complete", [task["id"]])
    assert response.status_code == 200 and response.json()["count"] == 0


def noop_clear_completed(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    assert clear_completed(client, account) == 0


NOOPS: dict[str, tuple[Callable[[TestClient, Account, dict[str, Any]], None], bool]] = {
    "complete a completed task": (noop_complete, True),
    "reopen an open task": (noop_reopen, False),
    "PUT the same fields": (noop_put, True),
    "PATCH the same title": (noop_patch, False),
    "bulk complete a completed task": (noop_bulk_complete, True),
    "clear-completed with nothing completed": (noop_clear_completed, False),
}


@pytest.mark.parametrize("how", NOOPS)
def test_a_write_that_changes_nothing_does_not_appear(client: TestClient, alice: Account, how: str) -> None:
    """Contract D: a write that changes nothing keeps `version` and `updated_at`, so the task was
    not "changed since"; contract C says `changed` holds exactly the tasks changed since."""
    write, completed = NOOPS[how]
    task = create_task(client, alice, description="Rye", tags=["shop"], completed=completed)
    since = position(client, alice)

    write(client, alice, task)

    assert current(client, alice, task["id"]) == task
    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([], [])


def test_a_refused_bulk_request_does_not_appear(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    since = position(client, alice)

    assert bulk(client, alice, "complete", [task["id"], UNKNOWN_ID]).status_code == 404

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([], [])


# --- with since: what was deleted and restored -----------------------------------------------


def delete_one(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    delete(client, account, task["id"])


def delete_in_bulk(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    bulk_ok(client, account, "delete", [task["id"]])


def delete_by_clearing(client: TestClient, account: Account, task: dict[str, Any]) -> None:
    assert clear_completed(client, account) == 1


DELETES: dict[str, Callable[[TestClient, Account, dict[str, Any]], None]] = {
    "DELETE": delete_one,
    "bulk delete": delete_in_bulk,
    "clear-completed": delete_by_clearing,
}


@pytest.mark.parametrize("how", DELETES)
def test_a_task_deleted_since_is_in_deleted_only(client: TestClient, alice: Account, how: str) -> None:
    task = create_task(client, alice, "gone", completed=True)
    create_task(client, alice, "kept")
    since = position(client, alice)

    DELETES[how](client, alice, task)

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([], [task["id"]], False)


def test_a_task_created_and_deleted_since_is_in_deleted_only(client: TestClient, alice: Account) -> None:
    since = position(client, alice)
    task = create_task(client, alice)
    write_patch(client, alice, task)
    delete(client, alice, task["id"])

    answer = changes(client, alice, since)

    # The contract lets such a task appear in `deleted` only; the agreed design says it does.
    assert (answer["changed"], answer["deleted"]) == ([], [task["id"]])


def test_a_task_deleted_before_since_does_not_appear_again(client: TestClient, alice: Account) -> None:
    old = create_task(client, alice, "deleted long ago")
    delete(client, alice, old["id"])
    since = position(client, alice)
    new = create_task(client, alice, "new")

    answer = changes(client, alice, since)

    assert (ids_of(answer["changed"]), answer["deleted"]) == ([new["id"]], [])


def test_a_task_restored_since_is_in_changed_not_deleted(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    delete(client, alice, task["id"])
    since = position(client, alice)

    back = restore(client, alice, task["id"])

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([back], [])


def test_a_task_deleted_and_restored_since_is_in_changed_not_deleted(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    since = position(client, alice)
    delete(client, alice, task["id"])

    back = restore(client, alice, task["id"])

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([back], [])


def test_a_task_restored_and_deleted_again_since_is_in_deleted_only(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    delete(client, alice, task["id"])
    since = position(client, alice)
    restore(client, alice, task["id"])

    delete(client, alice, task["id"])

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([], [task["id"]])


# --- pages of at most 500 --------------------------------------------------------------------


def assert_each_once(found: list[str], expected: list[str]) -> None:
    repeated = [task_id for task_id, times in Counter(found).items() if times > 1]
    assert repeated == [], f"{len(repeated)} ids came more than once"
    missing = set(expected) - set(found)
    assert not missing, f"{len(missing)} ids never came"
    assert sorted(found) == sorted(expected)


def test_a_full_sync_of_more_than_500_tasks_comes_in_pages_with_every_task_once(
    client: TestClient, alice: Account
) -> None:
    task_ids = create_tasks(client, alice, 520)
    for task_id in task_ids[-5:]:
        delete(client, alice, task_id)
    live = task_ids[:-5]

    result = sync(client, alice)

    assert len(result.pages) >= 2
    assert result.pages[0]["has_more"] is True
    assert result.pages[0]["deleted"] == []
    assert_each_once(result.changed_ids, live)
    assert result.deleted == []  # all of them were deleted before the first answer


def change_in_straddling_bulks(client: TestClient, account: Account, task_ids: list[str], last_action: str) -> None:
    """50 tasks completed, then four bulk requests of 100, then one of 100 more that `last_action`
    (complete or delete) changes: the 500th change falls inside that last request."""
    bulk_ok(client, account, "complete", task_ids[:50])
    for start in range(50, 450, 100):
        bulk_ok(client, account, "complete", task_ids[start : start + 100])
    bulk_ok(client, account, last_action, task_ids[450:550])


@pytest.mark.parametrize("last_action", ["complete", "delete"])
def test_a_bulk_request_across_the_500_boundary_loses_no_task(
    client: TestClient, alice: Account, last_action: str
) -> None:
    task_ids = create_tasks(client, alice, 550)
    since = position(client, alice)

    change_in_straddling_bulks(client, alice, task_ids, last_action)

    result = sync(client, alice, since)
    assert result.pages[0]["has_more"] is True
    if last_action == "complete":
        assert_each_once(result.changed_ids, task_ids)
        assert result.deleted == []
    else:
        assert_each_once(result.changed_ids, task_ids[:450])
        assert_each_once(result.deleted, task_ids[450:])
    assert all(task["completed"] for task in result.changed)


def test_changed_and_deleted_count_together_against_the_cap(client: TestClient, alice: Account) -> None:
    old = create_tasks(client, alice, 300)
    since = position(client, alice)
    for start in range(0, 300, 100):
        bulk_ok(client, alice, "delete", old[start : start + 100])
    new = create_tasks(client, alice, 300)

    first = changes(client, alice, since)  # asserts changed + deleted <= 500

    assert first["has_more"] is True
    result = sync(client, alice, since)
    assert_each_once(result.changed_ids, new)
    assert_each_once(result.deleted, old)


def test_after_the_last_page_nothing_more_comes(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 510)
    done = sync(client, alice)

    answer = changes(client, alice, done.since)

    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([], [], False)


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since",
    ["garbage", "x.y", "...", "!!!", "12345", "A" * 300, "null", "eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZQ"],
    ids=["word", "two parts", "dots", "punctuation", "number", "long", "null", "a JWT"],
)
def test_a_malformed_since_is_400_with_detail(client: TestClient, alice: Account, since: str) -> None:
    create_task(client, alice)

    response = get_changes(client, alice, since)

    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.parametrize(
    "damage",
    [tampered, lambda token: token[:-1], lambda token: token + "A", lambda token: token[1:]],
    ids=["a character changed", "the last character dropped", "a character added", "the first character dropped"],
)
def test_a_damaged_since_is_400(client: TestClient, alice: Account, damage: Callable[[str], str]) -> None:
    create_task(client, alice)
    since = position(client, alice)
    create_task(client, alice, "after")
    assert damage(since) != since

    response = get_changes(client, alice, damage(since))

    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_a_list_cursor_is_not_a_since_token(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)
    cursor = client.get(alice.tasks_url, params={"limit": 1}, headers=alice.headers).json()["next_cursor"]
    assert cursor

    assert get_changes(client, alice, cursor).status_code == 400


def test_another_users_since_is_400(client: TestClient, alice: Account, bob: Account) -> None:
    create_task(client, alice)
    create_task(client, bob)
    bobs = position(client, bob)

    response = get_changes(client, alice, bobs)

    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_a_since_older_than_the_trash_retention_is_410_with_detail(
    client: TestClient, make_client: Callable[..., TestClient], database: Database, alice: Account
) -> None:
    """SLEEPS about 3.5 seconds: a token's issue time is inside the signed token, so only
    time can age it. The app keeps the trash 0.00003 days (about 2.6 seconds)."""
    short = make_client(settings_for(database, trash_retention_days=0.00003))
    create_task(client, alice)
    since = changes(short, alice)["next_since"]
    assert get_changes(short, alice, since).status_code == 200  # fresh: fine

    time.sleep(3.5)
    response = get_changes(short, alice, since)

    assert response.status_code == 410, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


# --- one user's feed -------------------------------------------------------------------------


def test_another_users_tasks_never_appear_without_since(client: TestClient, alice: Account, bob: Account) -> None:
    mine = create_task(client, alice, "mine")
    create_task(client, bob, "bob's")

    answer = changes(client, alice)

    assert ids_of(answer["changed"]) == [mine["id"]]


def test_another_users_changes_never_appear_in_my_feed(client: TestClient, alice: Account, bob: Account) -> None:
    bobs = [create_task(client, bob, f"bob's {n}") for n in range(3)]
    create_task(client, alice)
    since = position(client, alice)

    create_task(client, bob, "bob's new")
    write_patch(client, bob, bobs[0])
    delete(client, bob, bobs[1]["id"])
    bulk_ok(client, bob, "delete", [bobs[2]["id"]])
    restore(client, bob, bobs[1]["id"])

    answer = changes(client, alice, since)
    assert (answer["changed"], answer["deleted"]) == ([], [])


def test_changes_on_another_users_path_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    create_task(client, bob)

    response = client.get(changes_url(bob), headers=alice.headers)

    assert response.status_code == 403, response.text


def test_changes_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    create_task(client, alice)

    assert client.get(changes_url(alice)).status_code == 401


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_changes_path_takes_only_get(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)

    response = client.request(method, changes_url(alice), headers=alice.headers)

    assert response.status_code == 405, response.text  # not a 400 for a malformed task id
    assert allowed_methods(response) == {"GET"}
    assert current(client, alice, task["id"]) == task
