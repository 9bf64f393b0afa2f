"""Conditional requests (contract C and D): a task's `ETag` is its version, `If-None-Match`
saves a GET (304), `If-Match` guards every write (412 with the task as it is now), and the
list carries a weak `ETag` that moves with every change to what it shows."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import TASK_KEYS, Account, Database, settings_for

WRITERS = 10


def create_task(client: TestClient, account: Account, **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": "Buy milk", **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def task_url(account: Account, task_id: str) -> str:
    return f"{account.tasks_url}/{task_id}"


def tag(version: int) -> str:
    return f'"{version}"'


def with_tags(account: Account, if_match: str | None = None, if_none_match: str | None = None) -> dict[str, str]:
    headers = dict(account.headers)
    if if_match is not None:
        headers["If-Match"] = if_match
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return headers


def get(client: TestClient, account: Account, task_id: str, if_none_match: str | None = None) -> httpx.Response:
    return client.get(task_url(account, task_id), headers=with_tags(account, if_none_match=if_none_match))


def current(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = get(client, account, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


# The four writes that take If-Match, each one a real change to a fresh open task "Buy milk".
Write = Callable[[TestClient, Account, str, dict[str, str]], httpx.Response]


def put_write(client: TestClient, account: Account, task_id: str, headers: dict[str, str]) -> httpx.Response:
    body = {"title": "Buy bread", "description": "Rye", "completed": False}
    return client.put(task_url(account, task_id), json=body, headers=headers)


def patch_write(client: TestClient, account: Account, task_id: str, headers: dict[str, str]) -> httpx.Response:
    return client.patch(task_url(account, task_id), json={"title": "Buy bread"}, headers=headers)


def complete_write(client: TestClient, account: Account, task_id: str, headers: dict[str, str]) -> httpx.Response:
    return client.patch(f"{task_url(account, task_id)}/complete", headers=headers)


def delete_write(client: TestClient, account: Account, task_id: str, headers: dict[str, str]) -> httpx.Response:
    return client.delete(task_url(account, task_id), headers=headers)


WRITES: dict[str, Write] = {"PUT": put_write, "PATCH": patch_write, "complete": complete_write, "DELETE": delete_write}
TASK_WRITES = {name: write for name, write in WRITES.items() if name != "DELETE"}  # answer with the task


def write(
    client: TestClient, account: Account, task_id: str, method: str, if_match: str | None = None
) -> httpx.Response:
    return WRITES[method](client, account, task_id, with_tags(account, if_match=if_match))


def success_status(method: str) -> int:
    return 204 if method == "DELETE" else 200


def totals(client: TestClient, account: Account) -> dict[str, int]:
    def total(query: str) -> int:
        response = client.get(f"{account.tasks_url}?limit=1{query}", headers=account.headers)
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    return {"all": total(""), "completed": total("&completed=true")}


def state(client: TestClient, account: Account, task_id: str) -> tuple[dict[str, Any], dict[str, int]]:
    """What a refused write must leave alone: the task and the list's counts."""
    return current(client, account, task_id), totals(client, account)


def list_response(
    client: TestClient, account: Account, query: str = "", if_none_match: str | None = None
) -> httpx.Response:
    return client.get(f"{account.tasks_url}{query}", headers=with_tags(account, if_none_match=if_none_match))


def list_tag(client: TestClient, account: Account, query: str = "") -> str:
    response = list_response(client, account, query)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


# A task's ETag


def test_create_answers_with_the_version_as_a_strong_etag(client: TestClient, alice: Account) -> None:
    response = client.post(alice.tasks_url, json={"title": "Buy milk"}, headers=alice.headers)

    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'


def test_get_answers_with_the_version_as_a_strong_etag(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    patch_write(client, alice, task["id"], alice.headers)

    response = get(client, alice, task["id"])

    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


@pytest.mark.parametrize("method", TASK_WRITES)
def test_a_write_answers_with_the_new_version_as_its_etag(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], method)

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'


# If-None-Match on one task


def test_get_with_the_current_tag_in_if_none_match_is_304_without_a_body(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = get(client, alice, task["id"], if_none_match='"1"')

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "if_none_match",
    [
        pytest.param('W/"1"', id="weak tag"),
        pytest.param("*", id="star"),
        pytest.param('"7", "1"', id="list"),
        pytest.param('W/"7",W/"1"', id="list of weak tags"),
    ],
)
def test_if_none_match_uses_weak_comparison_stars_and_lists(
    client: TestClient, alice: Account, if_none_match: str
) -> None:
    task = create_task(client, alice)

    assert get(client, alice, task["id"], if_none_match=if_none_match).status_code == 304


def test_get_with_a_stale_tag_in_if_none_match_answers_the_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    updated = patch_write(client, alice, task["id"], alice.headers).json()

    response = get(client, alice, task["id"], if_none_match='"1"')

    assert response.status_code == 200
    assert response.json() == updated
    assert response.headers["ETag"] == '"2"'


# If-Match: a tag that is not the current one


@pytest.mark.parametrize("method", WRITES)
def test_a_stale_if_match_is_412_with_the_current_task_detail_and_etag(
    client: TestClient, alice: Account, method: str
) -> None:
    task = create_task(client, alice)
    now = patch_write(client, alice, task["id"], alice.headers).json()  # version 2

    response = write(client, alice, task["id"], method, if_match='"1"')

    assert response.status_code == 412, response.text
    body = response.json()
    assert set(body) == TASK_KEYS | {"detail"}
    assert isinstance(body.pop("detail"), str)
    assert body == now
    assert response.headers["ETag"] == '"2"'


@pytest.mark.parametrize("method", WRITES)
def test_a_stale_if_match_changes_nothing(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)
    create_task(client, alice, completed=True)
    before = state(client, alice, task["id"])

    assert write(client, alice, task["id"], method, if_match='"5"').status_code == 412

    assert state(client, alice, task["id"]) == before


@pytest.mark.parametrize("method", WRITES)
def test_a_weak_tag_never_satisfies_if_match(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], method, if_match='W/"1"')

    assert response.status_code == 412, response.text
    assert current(client, alice, task["id"]) == task


def test_a_list_of_stale_tags_in_if_match_is_412(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], "PATCH", if_match='"2", "3", W/"1"')

    assert response.status_code == 412, response.text


# If-Match: a tag that matches


@pytest.mark.parametrize("method", TASK_WRITES)
def test_a_matching_if_match_lets_the_write_happen(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], method, if_match='"1"')

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert current(client, alice, task["id"]) == response.json()


def test_a_matching_if_match_lets_the_delete_happen(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    assert write(client, alice, task["id"], "DELETE", if_match='"1"').status_code == 204

    assert get(client, alice, task["id"]).status_code == 404


@pytest.mark.parametrize("method", WRITES)
def test_if_match_star_matches_any_existing_task(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)
    patch_write(client, alice, task["id"], alice.headers)  # version 2: "*" is not just "1"

    assert write(client, alice, task["id"], method, if_match="*").status_code == success_status(method)


@pytest.mark.parametrize("if_match", ['"7", "1"', '"7","1"', 'W/"1", "1"', '"9" , "1" '])
def test_if_match_with_a_list_succeeds_when_one_tag_matches(client: TestClient, alice: Account, if_match: str) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], "PATCH", if_match=if_match)

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Buy bread"


@pytest.mark.parametrize("method", WRITES)
def test_a_write_without_if_match_proceeds(client: TestClient, alice: Account, method: str) -> None:
    task = create_task(client, alice)
    patch_write(client, alice, task["id"], alice.headers)  # version 2: what the client holds is old

    assert write(client, alice, task["id"], method).status_code == success_status(method)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "complete"])
def test_a_write_that_changes_nothing_with_a_matching_if_match_keeps_the_version(
    client: TestClient, alice: Account, method: str
) -> None:
    task = create_task(client, alice, title="Buy bread", description="Rye", completed=True)
    body = {
        "PUT": {"title": "Buy bread", "description": "Rye", "completed": True},
        "PATCH": {"title": "Buy bread"},
        "complete": {"completed": True},
    }[method]
    url = task_url(alice, task["id"]) + ("/complete" if method == "complete" else "")
    send = client.put if method == "PUT" else client.patch

    response = send(url, json=body, headers=with_tags(alice, if_match='"1"'))

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.json() == task


# If-Match on a task the caller cannot write


@pytest.mark.parametrize("if_match", ['"1"', "*"])
@pytest.mark.parametrize("method", WRITES)
def test_if_match_on_a_task_that_does_not_exist_is_404(
    client: TestClient, alice: Account, method: str, if_match: str
) -> None:
    task = create_task(client, alice)
    assert delete_write(client, alice, task["id"], alice.headers).status_code == 204

    assert write(client, alice, task["id"], method, if_match=if_match).status_code == 404


@pytest.mark.parametrize("method", WRITES)
def test_if_match_on_another_users_task_is_403(client: TestClient, alice: Account, bob: Account, method: str) -> None:
    task = create_task(client, bob)

    response = write(client, alice, task["id"], method, if_match='"1"')  # bob's task under alice's own URL

    assert response.status_code == 403, response.text
    assert current(client, bob, task["id"]) == task


@pytest.mark.parametrize("if_match", ["1", '"1', '1"', "foo", "W/1", '"1" "2"', '"1";', ",", "**", '"1", *'])
@pytest.mark.parametrize("method", WRITES)
def test_a_malformed_if_match_is_400_and_changes_nothing(
    client: TestClient, alice: Account, method: str, if_match: str
) -> None:
    task = create_task(client, alice)

    response = write(client, alice, task["id"], method, if_match=if_match)

    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], str)
    assert current(client, alice, task["id"]) == task


# REQUIRE_IF_MATCH


@pytest.fixture
def strict_client(make_client: Callable[..., TestClient], database: Database) -> TestClient:
    """An app deployed with REQUIRE_IF_MATCH=true, on the suite's database."""
    return make_client(settings_for(database, require_if_match=True))


@pytest.mark.parametrize("method", WRITES)
def test_required_if_match_refuses_a_write_without_it_with_428(
    client: TestClient, strict_client: TestClient, alice: Account, method: str
) -> None:
    task = create_task(client, alice)
    create_task(client, alice, completed=True)
    before = state(client, alice, task["id"])

    response = write(strict_client, alice, task["id"], method)

    assert response.status_code == 428, response.text
    assert isinstance(response.json()["detail"], str)
    assert state(client, alice, task["id"]) == before


@pytest.mark.parametrize("method", WRITES)
def test_required_if_match_accepts_a_write_with_a_matching_tag(
    client: TestClient, strict_client: TestClient, alice: Account, method: str
) -> None:
    task = create_task(client, alice)

    response = write(strict_client, alice, task["id"], method, if_match='"1"')

    assert response.status_code == success_status(method), response.text


def test_required_if_match_still_refuses_a_stale_tag_with_412(
    client: TestClient, strict_client: TestClient, alice: Account
) -> None:
    task = create_task(client, alice)

    assert write(strict_client, alice, task["id"], "PATCH", if_match='"2"').status_code == 412


def test_required_if_match_leaves_create_get_and_list_alone(strict_client: TestClient, alice: Account) -> None:
    created = strict_client.post(alice.tasks_url, json={"title": "Buy milk"}, headers=alice.headers)
    assert created.status_code == 201, created.text

    assert strict_client.get(task_url(alice, created.json()["id"]), headers=alice.headers).status_code == 200
    assert strict_client.get(alice.tasks_url, headers=alice.headers).json()["total"] == 1


# Concurrent writers holding the same tag


def race(
    client: TestClient, account: Account, task_id: str, send: Callable[[int, dict[str, str]], httpx.Response]
) -> Counter[int]:
    """WRITERS threads that wait for each other, then write with `If-Match: "1"` at once."""
    start = threading.Barrier(WRITERS)
    headers = with_tags(account, if_match='"1"')

    def attempt(index: int) -> int:
        start.wait()
        return send(index, headers).status_code

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        return Counter(pool.map(attempt, range(WRITERS)))


def racing_write(
    client: TestClient, account: Account, task_id: str, method: str
) -> Callable[[int, dict[str, str]], httpx.Response]:
    """Writer `i`'s request: each one a real change, so that only the first can be a no-op."""
    url = task_url(account, task_id)

    def send(i: int, headers: dict[str, str]) -> httpx.Response:
        if method == "PUT":
            return client.put(
                url, json={"title": f"Writer {i}", "description": None, "completed": False}, headers=headers
            )
        if method == "PATCH":
            return client.patch(url, json={"title": f"Writer {i}"}, headers=headers)
        if method == "complete":
            return client.patch(f"{url}/complete", headers=headers)
        return client.delete(url, headers=headers)

    return send


@pytest.mark.postgres_only
@pytest.mark.parametrize("method", TASK_WRITES)
def test_of_concurrent_writers_with_the_same_if_match_exactly_one_wins(
    client: TestClient, alice: Account, method: str
) -> None:
    task = create_task(client, alice)

    statuses = race(client, alice, task["id"], racing_write(client, alice, task["id"], method))

    assert statuses == {200: 1, 412: WRITERS - 1}
    assert current(client, alice, task["id"])["version"] == 2


@pytest.mark.postgres_only
def test_of_concurrent_deletes_with_the_same_if_match_exactly_one_wins(client: TestClient, alice: Account) -> None:
    """A loser that reads after the winner's commit finds no task: 404 (contract D: If-Match on
    a task that does not exist), else 412; either way it deletes nothing."""
    task = create_task(client, alice)

    statuses = race(client, alice, task["id"], racing_write(client, alice, task["id"], "DELETE"))

    assert statuses[204] == 1
    assert set(statuses) <= {204, 404, 412}
    assert get(client, alice, task["id"]).status_code == 404
    assert totals(client, alice)["all"] == 0


# The list's ETag


def test_the_list_answers_with_a_weak_etag(client: TestClient, alice: Account) -> None:
    create_task(client, alice)

    assert list_tag(client, alice).startswith('W/"')


def test_the_list_etag_stays_the_same_while_nothing_changes(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    first = list_tag(client, alice)
    get(client, alice, task["id"])

    assert list_tag(client, alice) == first


def change_by_create(client: TestClient, account: Account, task_id: str) -> None:
    create_task(client, account, title="Another")


def change_by_title(client: TestClient, account: Account, task_id: str) -> None:
    assert patch_write(client, account, task_id, account.headers).status_code == 200


def change_by_completion(client: TestClient, account: Account, task_id: str) -> None:
    assert complete_write(client, account, task_id, account.headers).status_code == 200


def change_by_delete(client: TestClient, account: Account, task_id: str) -> None:
    assert delete_write(client, account, task_id, account.headers).status_code == 204


def change_by_bulk(client: TestClient, account: Account, task_id: str) -> None:
    response = client.post(
        f"{account.tasks_url}/bulk", json={"action": "complete", "ids": [task_id]}, headers=account.headers
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "change",
    [change_by_create, change_by_title, change_by_completion, change_by_delete, change_by_bulk],
    ids=["create", "title", "completion", "delete", "bulk"],
)
def test_the_list_etag_changes_with_every_write(
    client: TestClient, alice: Account, change: Callable[[TestClient, Account, str], None]
) -> None:
    task = create_task(client, alice)
    create_task(client, alice, title="Untouched")
    before = list_tag(client, alice)

    change(client, alice, task["id"])

    assert list_tag(client, alice) != before


def test_the_list_etag_changes_when_completed_tasks_are_cleared(client: TestClient, alice: Account) -> None:
    create_task(client, alice, title="Done", completed=True)
    create_task(client, alice, title="Open")
    before = list_tag(client, alice)

    response = client.post(f"{alice.tasks_url}/clear-completed", headers=alice.headers)

    assert response.json()["count"] == 1
    assert list_tag(client, alice) != before


def test_the_list_etag_changes_when_a_title_changes_off_the_first_page(client: TestClient, alice: Account) -> None:
    """The page shows nothing of the changed task, but the tag is the list's, not the page's."""
    task = create_task(client, alice, title="Oldest")
    create_task(client, alice, title="Newest")
    before = list_tag(client, alice, "?limit=1")

    change_by_title(client, alice, task["id"])

    assert list_tag(client, alice, "?limit=1") != before


@pytest.mark.parametrize(
    "other_query",
    ["?limit=5", "?offset=1", "?sort=title", "?order=asc", "?completed=false", "?q=milk", "?overdue=false"],
)
def test_the_list_etag_differs_between_queries(client: TestClient, alice: Account, other_query: str) -> None:
    create_task(client, alice, title="Buy milk")
    create_task(client, alice, title="Buy milk too")

    assert list_tag(client, alice, other_query) != list_tag(client, alice)


def test_the_list_etag_differs_between_users(client: TestClient, alice: Account, bob: Account) -> None:
    assert list_tag(client, alice) != list_tag(client, bob)


def test_another_users_writes_do_not_change_my_list_etag(client: TestClient, alice: Account, bob: Account) -> None:
    create_task(client, alice)
    before = list_tag(client, alice)

    bobs = create_task(client, bob)
    patch_write(client, bob, bobs["id"], bob.headers)
    complete_write(client, bob, bobs["id"], bob.headers)
    client.post(f"{bob.tasks_url}/clear-completed", headers=bob.headers)

    assert list_tag(client, alice) == before


def test_the_list_with_the_current_tag_in_if_none_match_is_304_without_a_body(
    client: TestClient, alice: Account
) -> None:
    create_task(client, alice)
    etag = list_tag(client, alice, "?limit=5")

    response = list_response(client, alice, "?limit=5", if_none_match=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag


def test_the_list_with_an_old_tag_in_if_none_match_answers_the_page(client: TestClient, alice: Account) -> None:
    create_task(client, alice)
    old = list_tag(client, alice)
    create_task(client, alice, title="Another")

    response = list_response(client, alice, if_none_match=old)

    assert response.status_code == 200
    assert response.json()["total"] == 2
    assert response.headers["ETag"] != old


def test_a_write_that_changes_nothing_keeps_the_list_etag(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, description="Two litres")
    before = list_tag(client, alice)

    response = client.put(
        task_url(alice, task["id"]),
        json={"title": "Buy milk", "description": "Two litres", "completed": False},
        headers=alice.headers,
    )

    assert response.status_code == 200
    assert list_tag(client, alice) == before


def test_the_overdue_list_etag_changes_when_a_task_falls_due(client: TestClient, alice: Account) -> None:
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    task = create_task(client, alice, due_at=due.isoformat())
    before = list_response(client, alice, "?overdue=true")
    assert before.json()["total"] == 0

    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.3)
    after = list_response(client, alice, "?overdue=true")

    assert [item["id"] for item in after.json()["items"]] == [task["id"]]
    assert after.headers["ETag"] != before.headers["ETag"]
