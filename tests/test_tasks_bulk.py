"""POST /api/{user_id}/tasks/bulk and POST /api/{user_id}/tasks/clear-completed (contract v2):
all or nothing, counts of what changed, and the list totals afterwards."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Account

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def create_task(client: TestClient, account: Account, title: str = "Task", **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def create_tasks(client: TestClient, account: Account, count: int, completed: bool = False) -> list[dict[str, Any]]:
    return [create_task(client, account, f"task {n}", completed=completed) for n in range(count)]


def ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def bulk(client: TestClient, account: Account, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(f"{account.tasks_url}/bulk", json=body, headers=account.headers if headers is None else headers)


def bulk_ok(client: TestClient, account: Account, action: str, task_ids: list[str]) -> dict[str, Any]:
    response = bulk(client, account, {"action": action, "ids": task_ids})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def clear_completed(client: TestClient, account: Account, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(f"{account.tasks_url}/clear-completed", headers=account.headers if headers is None else headers)


def fetch(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.get(f"{account.tasks_url}/{task_id}", headers=account.headers)


def current(client: TestClient, account: Account, task_id: str) -> dict[str, Any]:
    response = fetch(client, account, task_id)
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def all_tasks(client: TestClient, account: Account) -> list[dict[str, Any]]:
    response = client.get(
        account.tasks_url, params={"limit": 100, "sort": "created_at", "order": "asc"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def totals(client: TestClient, account: Account) -> tuple[int, int, int]:
    """The list's total, and its totals for completed=true and completed=false."""

    def total(**params: str) -> int:
        response = client.get(account.tasks_url, params={"limit": 1, **params}, headers=account.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["total"])

    return total(), total(completed="true"), total(completed="false")


# --- complete --------------------------------------------------------------------------------


def test_bulk_complete_completes_every_task_given(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 3)

    answer = bulk_ok(client, alice, "complete", ids(tasks))

    assert answer == {"action": "complete", "count": 3}
    assert all(current(client, alice, task_id)["completed"] is True for task_id in ids(tasks))


def test_bulk_complete_sets_completed_at_a_new_updated_at_and_the_next_version(
    client: TestClient, alice: Account
) -> None:
    task = create_task(client, alice)

    bulk_ok(client, alice, "complete", [task["id"]])

    after = current(client, alice, task["id"])
    assert after["completed_at"] is not None
    assert after["updated_at"] > task["updated_at"]
    assert after["version"] == task["version"] + 1


def test_bulk_complete_does_not_count_tasks_already_completed(client: TestClient, alice: Account) -> None:
    done = create_tasks(client, alice, 2, completed=True)
    open_ = create_tasks(client, alice, 3)

    answer = bulk_ok(client, alice, "complete", ids(done + open_))

    assert answer == {"action": "complete", "count": 3}


def test_bulk_complete_leaves_a_completed_task_as_it_was(client: TestClient, alice: Account) -> None:
    done = create_task(client, alice, completed=True)
    open_ = create_task(client, alice)

    bulk_ok(client, alice, "complete", [done["id"], open_["id"]])

    assert current(client, alice, done["id"]) == done


def test_bulk_complete_of_only_completed_tasks_counts_0(client: TestClient, alice: Account) -> None:
    done = create_tasks(client, alice, 2, completed=True)

    assert bulk_ok(client, alice, "complete", ids(done)) == {"action": "complete", "count": 0}
    assert [current(client, alice, task_id) for task_id in ids(done)] == done


# --- reopen ----------------------------------------------------------------------------------


def test_bulk_reopen_reopens_every_task_given(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 3, completed=True)

    answer = bulk_ok(client, alice, "reopen", ids(tasks))

    assert answer == {"action": "reopen", "count": 3}
    assert all(current(client, alice, task_id)["completed"] is False for task_id in ids(tasks))


def test_bulk_reopen_clears_completed_at_and_moves_updated_at_and_version(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, completed=True)

    bulk_ok(client, alice, "reopen", [task["id"]])

    after = current(client, alice, task["id"])
    assert after["completed_at"] is None
    assert after["updated_at"] > task["updated_at"]
    assert after["version"] == task["version"] + 1


def test_bulk_reopen_does_not_count_open_tasks_and_leaves_them_as_they_were(client: TestClient, alice: Account) -> None:
    open_ = create_tasks(client, alice, 2)
    done = create_task(client, alice, completed=True)

    answer = bulk_ok(client, alice, "reopen", [*ids(open_), done["id"]])

    assert answer == {"action": "reopen", "count": 1}
    assert [current(client, alice, task_id) for task_id in ids(open_)] == open_


# --- delete ----------------------------------------------------------------------------------


def test_bulk_delete_deletes_every_task_given_and_counts_them_all(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 2) + create_tasks(client, alice, 2, completed=True)

    answer = bulk_ok(client, alice, "delete", ids(tasks))

    assert answer == {"action": "delete", "count": 4}
    assert [fetch(client, alice, task_id).status_code for task_id in ids(tasks)] == [404] * 4


def test_bulk_delete_a_second_time_is_404(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 2)
    bulk_ok(client, alice, "delete", ids(tasks))

    assert bulk(client, alice, {"action": "delete", "ids": ids(tasks)}).status_code == 404


@pytest.mark.parametrize("action", ["complete", "reopen"])
def test_bulk_on_a_deleted_task_is_404(client: TestClient, alice: Account, action: str) -> None:
    task = create_task(client, alice, completed=action == "reopen")
    kept = create_task(client, alice, completed=action == "reopen")
    assert client.delete(f"{alice.tasks_url}/{task['id']}", headers=alice.headers).status_code == 204

    response = bulk(client, alice, {"action": action, "ids": [kept["id"], task["id"]]})

    assert response.status_code == 404
    assert current(client, alice, kept["id"]) == kept


# --- every action ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
def test_bulk_leaves_tasks_not_given_as_they_were(client: TestClient, alice: Account, action: str) -> None:
    given = create_tasks(client, alice, 2) + create_tasks(client, alice, 2, completed=True)
    others = create_tasks(client, alice, 2) + create_tasks(client, alice, 2, completed=True)

    bulk_ok(client, alice, action, ids(given))

    assert [current(client, alice, task_id) for task_id in ids(others)] == others


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
def test_list_totals_stay_right_after_bulk(client: TestClient, alice: Account, action: str) -> None:
    given = create_tasks(client, alice, 3) + create_tasks(client, alice, 2, completed=True)
    create_tasks(client, alice, 4)
    create_tasks(client, alice, 1, completed=True)

    bulk_ok(client, alice, action, ids(given))

    expected = {"complete": (10, 6, 4), "reopen": (10, 1, 9), "delete": (5, 1, 4)}[action]
    assert totals(client, alice) == expected
    assert len(all_tasks(client, alice)) == expected[0]


def test_bulk_accepts_100_ids(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 100)

    assert bulk_ok(client, alice, "complete", ids(tasks)) == {"action": "complete", "count": 100}


def test_bulk_accepts_ids_in_upper_case(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    assert bulk_ok(client, alice, "complete", [task["id"].upper()]) == {"action": "complete", "count": 1}


def test_bulk_complete_then_reopen_moves_the_version_twice(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    bulk_ok(client, alice, "complete", [task["id"]])
    bulk_ok(client, alice, "reopen", [task["id"]])

    after = current(client, alice, task["id"])
    assert (after["completed"], after["completed_at"], after["version"]) == (False, None, 3)


# --- all or nothing --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
def test_bulk_with_an_id_of_another_user_is_403_and_changes_nothing(
    client: TestClient, alice: Account, bob: Account, action: str
) -> None:
    mine = create_tasks(client, alice, 2) + create_tasks(client, alice, 2, completed=True)
    bobs = create_task(client, bob, completed=action == "reopen")

    response = bulk(client, alice, {"action": action, "ids": [*ids(mine), bobs["id"]]})

    assert response.status_code == 403
    assert all_tasks(client, alice) == mine
    assert current(client, bob, bobs["id"]) == bobs


@pytest.mark.parametrize("action", ["complete", "reopen", "delete"])
def test_bulk_with_an_unknown_id_is_404_and_changes_nothing(client: TestClient, alice: Account, action: str) -> None:
    mine = create_tasks(client, alice, 2) + create_tasks(client, alice, 2, completed=True)

    response = bulk(client, alice, {"action": action, "ids": [*ids(mine), UNKNOWN_ID]})

    assert response.status_code == 404
    assert all_tasks(client, alice) == mine


@pytest.mark.parametrize("unknown_first", [True, False])
def test_another_users_id_wins_over_an_unknown_id_with_403(
    client: TestClient, alice: Account, bob: Account, unknown_first: bool
) -> None:
    mine = create_task(client, alice)
    bobs = create_task(client, bob)
    foreign = [UNKNOWN_ID, bobs["id"]] if unknown_first else [bobs["id"], UNKNOWN_ID]

    response = bulk(client, alice, {"action": "delete", "ids": [mine["id"], *foreign]})

    assert response.status_code == 403
    assert all_tasks(client, alice) == [mine]
    assert current(client, bob, bobs["id"]) == bobs


def test_bulk_with_only_unknown_ids_is_404(client: TestClient, alice: Account) -> None:
    response = bulk(client, alice, {"action": "complete", "ids": [UNKNOWN_ID, str(uuid.uuid4())]})

    assert response.status_code == 404


def test_bulk_failure_leaves_the_totals_alone(client: TestClient, alice: Account, bob: Account) -> None:
    mine = create_tasks(client, alice, 3)
    bobs = create_task(client, bob)

    assert bulk(client, alice, {"action": "complete", "ids": [*ids(mine), bobs["id"]]}).status_code == 403
    assert bulk(client, alice, {"action": "delete", "ids": [*ids(mine), UNKNOWN_ID]}).status_code == 404

    assert totals(client, alice) == (3, 0, 3)
    assert totals(client, bob) == (1, 0, 1)


@pytest.mark.parametrize("how", ["bulk delete", "clear-completed"])
def test_deleted_tasks_leave_the_filtered_lists(client: TestClient, alice: Account, how: str) -> None:
    gone = create_task(client, alice, "report", tags=["work"], priority="high", completed=True)
    kept = create_task(client, alice, "report", tags=["work"], priority="high")

    if how == "bulk delete":
        bulk_ok(client, alice, "delete", [gone["id"]])
    else:
        assert clear_completed(client, alice).status_code == 200

    for params in ({"tag": "work"}, {"q": "report"}, {"priority": "high"}):
        response = client.get(alice.tasks_url, params=params, headers=alice.headers)
        assert response.status_code == 200
        assert ([task["id"] for task in response.json()["items"]], response.json()["total"]) == ([kept["id"]], 1)


# --- refused requests ------------------------------------------------------------------------

TASK_ID_SLOT = "<task id>"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"action": "complete", "ids": []}, id="no ids"),
        pytest.param(
            {"action": "complete", "ids": [TASK_ID_SLOT, *(str(uuid.uuid4()) for _ in range(100))]}, id="101 ids"
        ),
        pytest.param({"action": "delete", "ids": [TASK_ID_SLOT, TASK_ID_SLOT]}, id="duplicate ids"),
        pytest.param({"action": "delete", "ids": [TASK_ID_SLOT, "not-a-uuid"]}, id="not a UUID"),
        pytest.param({"action": "complete", "ids": [TASK_ID_SLOT, 7]}, id="a number"),
        pytest.param({"action": "complete", "ids": [TASK_ID_SLOT, None]}, id="null id"),
        pytest.param({"action": "delete", "ids": TASK_ID_SLOT}, id="ids not a list"),
        pytest.param({"action": "complete", "ids": None}, id="ids null"),
        pytest.param({"action": "complete"}, id="ids missing"),
        pytest.param({"ids": [TASK_ID_SLOT]}, id="action missing"),
        pytest.param({"action": "archive", "ids": [TASK_ID_SLOT]}, id="unknown action"),
        pytest.param({"action": "COMPLETE", "ids": [TASK_ID_SLOT]}, id="action in upper case"),
        pytest.param({"action": None, "ids": [TASK_ID_SLOT]}, id="action null"),
        pytest.param({"action": "delete", "ids": [TASK_ID_SLOT, "\x00"]}, id="NUL"),
        pytest.param([TASK_ID_SLOT], id="a list"),
        pytest.param("delete", id="a string"),
        pytest.param(None, id="null"),
    ],
)
def test_invalid_bulk_body_is_400_and_changes_nothing(client: TestClient, alice: Account, body: Any) -> None:
    task = create_task(client, alice)

    def fill(value: Any) -> Any:
        if value == TASK_ID_SLOT:
            return task["id"]
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    response = bulk(client, alice, fill(body))

    assert response.status_code == 400, response.text
    assert current(client, alice, task["id"]) == task


def test_the_same_id_in_two_spellings_is_a_duplicate(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = bulk(client, alice, {"action": "delete", "ids": [task["id"], task["id"].upper()]})

    assert response.status_code == 400
    assert current(client, alice, task["id"]) == task


def test_bulk_without_a_body_is_400(client: TestClient, alice: Account) -> None:
    response = client.post(f"{alice.tasks_url}/bulk", headers=alice.headers)

    assert response.status_code == 400


def test_bulk_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = client.post(f"{alice.tasks_url}/bulk", json={"action": "delete", "ids": [task["id"]]})

    assert response.status_code == 401
    assert current(client, alice, task["id"]) == task


def test_bulk_on_another_users_url_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    task = create_task(client, alice)

    response = bulk(client, alice, {"action": "delete", "ids": [task["id"]]}, headers=bob.headers)

    assert response.status_code == 403
    assert current(client, alice, task["id"]) == task


# --- clear-completed -------------------------------------------------------------------------


def test_clear_completed_deletes_every_completed_task_and_counts_them(client: TestClient, alice: Account) -> None:
    done = create_tasks(client, alice, 3, completed=True)

    response = clear_completed(client, alice)

    assert response.status_code == 200
    assert response.json() == {"count": 3}
    assert [fetch(client, alice, task_id).status_code for task_id in ids(done)] == [404] * 3


def test_clear_completed_keeps_open_tasks(client: TestClient, alice: Account) -> None:
    open_ = create_tasks(client, alice, 2)
    create_tasks(client, alice, 2, completed=True)

    assert clear_completed(client, alice).status_code == 200

    assert all_tasks(client, alice) == open_


def test_clear_completed_leaves_another_users_tasks_alone(client: TestClient, alice: Account, bob: Account) -> None:
    create_tasks(client, alice, 2, completed=True)
    bobs = create_tasks(client, bob, 2, completed=True) + create_tasks(client, bob, 1)

    assert clear_completed(client, alice).json() == {"count": 2}

    assert all_tasks(client, bob) == bobs
    assert totals(client, bob) == (3, 2, 1)


def test_clear_completed_with_nothing_completed_counts_0(client: TestClient, alice: Account) -> None:
    open_ = create_tasks(client, alice, 2)

    response = clear_completed(client, alice)

    assert (response.status_code, response.json()) == (200, {"count": 0})
    assert all_tasks(client, alice) == open_


def test_clear_completed_without_any_task_counts_0(client: TestClient, alice: Account) -> None:
    response = clear_completed(client, alice)

    assert (response.status_code, response.json()) == (200, {"count": 0})


def test_clear_completed_deletes_more_than_100_tasks(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 101, completed=True)

    assert clear_completed(client, alice).json() == {"count": 101}
    assert totals(client, alice) == (0, 0, 0)


def test_list_totals_stay_right_after_clear_completed(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3, completed=True)
    create_tasks(client, alice, 2)

    assert clear_completed(client, alice).status_code == 200

    assert totals(client, alice) == (2, 0, 2)


def test_clear_completed_a_second_time_counts_0(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 2, completed=True)
    assert clear_completed(client, alice).json() == {"count": 2}

    assert clear_completed(client, alice).json() == {"count": 0}


def test_clear_completed_after_bulk_complete_deletes_those_tasks(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 3)
    bulk_ok(client, alice, "complete", ids(tasks[:2]))

    assert clear_completed(client, alice).json() == {"count": 2}
    assert all_tasks(client, alice) == [current(client, alice, tasks[2]["id"])]


def test_clear_completed_without_a_token_is_401(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 1, completed=True)

    assert client.post(f"{alice.tasks_url}/clear-completed").status_code == 401
    assert totals(client, alice) == (1, 1, 0)


def test_clear_completed_on_another_users_url_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    create_tasks(client, alice, 1, completed=True)

    assert clear_completed(client, alice, headers=bob.headers).status_code == 403
    assert totals(client, alice) == (1, 1, 0)
