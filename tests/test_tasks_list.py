"""GET /api/{user_id}/tasks: the page envelope, pagination, sorting and the completed filter."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Account


def create_task(client: TestClient, account: Account, title: str, completed: bool = False) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, "completed": completed}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def create_tasks(client: TestClient, account: Account, *titles: str) -> list[dict[str, Any]]:
    return [create_task(client, account, title) for title in titles]


def list_page(client: TestClient, account: Account, **params: Any) -> dict[str, Any]:
    response = client.get(account.tasks_url, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def listed_ids(client: TestClient, account: Account, **params: Any) -> list[str]:
    return [task["id"] for task in list_page(client, account, **params)["items"]]


def ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def test_page_is_an_envelope_with_items_total_limit_offset_next_cursor(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "Buy milk")

    page = list_page(client, alice)

    assert page == {"items": [task], "total": 1, "limit": 20, "offset": 0, "next_cursor": None}


def test_empty_list_has_no_items_and_total_zero(client: TestClient, alice: Account) -> None:
    assert list_page(client, alice) == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


def test_default_limit_is_20(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, *(f"task {n}" for n in range(21)))

    page = list_page(client, alice)

    assert len(page["items"]) == 20
    assert page["total"] == 21


def test_default_order_is_newest_first(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, "first", "second", "third")

    assert listed_ids(client, alice) == ids(tasks)[::-1]


def test_limit_and_offset_select_a_page_and_total_counts_all(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, "a", "b", "c", "d", "e")

    page = list_page(client, alice, limit=2, offset=2, sort="created_at", order="asc")

    assert ids(page["items"]) == ids(tasks[2:4])
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)


def test_last_page_may_be_short(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, "a", "b", "c")

    page = list_page(client, alice, limit=2, offset=2, order="asc")

    assert ids(page["items"]) == ids(tasks[2:])
    assert page["total"] == 3


def test_offset_past_the_end_gives_no_items_but_the_total(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, "a", "b")

    page = list_page(client, alice, offset=10)

    assert page["items"] == []
    assert page["total"] == 2


def test_limit_100_is_accepted(client: TestClient, alice: Account) -> None:
    assert list_page(client, alice, limit=100)["limit"] == 100


def test_pages_cover_every_task_once(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, "a", "b", "c", "d", "e")

    seen = [task_id for offset in range(0, 5, 2) for task_id in listed_ids(client, alice, limit=2, offset=offset)]

    assert seen == ids(tasks)[::-1]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_created_at(client: TestClient, alice: Account, order: str) -> None:
    tasks = create_tasks(client, alice, "b", "a", "c")
    expected = ids(tasks) if order == "asc" else ids(tasks)[::-1]

    assert listed_ids(client, alice, sort="created_at", order=order) == expected


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_updated_at(client: TestClient, alice: Account, order: str) -> None:
    first, second, third = create_tasks(client, alice, "first", "second", "third")
    touched = client.put(
        f"{alice.tasks_url}/{first['id']}",
        json={"title": "first, edited", "description": None, "completed": False},
        headers=alice.headers,
    )
    assert touched.status_code == 200
    expected = [second["id"], third["id"], first["id"]]

    listed = listed_ids(client, alice, sort="updated_at", order=order)

    assert listed == (expected if order == "asc" else expected[::-1])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_title_ignores_case(client: TestClient, alice: Account, order: str) -> None:
    cherry, apple, banana = create_tasks(client, alice, "cherry", "apple", "Banana")
    expected = [apple["id"], banana["id"], cherry["id"]]

    listed = listed_ids(client, alice, sort="title", order=order)

    assert listed == (expected if order == "asc" else expected[::-1])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_by_completed(client: TestClient, alice: Account, order: str) -> None:
    done = create_task(client, alice, "done", completed=True)
    open_ = create_task(client, alice, "open")

    listed = listed_ids(client, alice, sort="completed", order=order)

    assert listed == ([open_["id"], done["id"]] if order == "asc" else [done["id"], open_["id"]])


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_equal_titles_are_ordered_by_id_in_the_same_direction(client: TestClient, alice: Account, order: str) -> None:
    tied = ids(create_tasks(client, alice, "Same", "same", "SAME", "same"))
    zebra = create_task(client, alice, "zebra")["id"]

    listed = listed_ids(client, alice, sort="title", order=order)

    if order == "asc":
        assert listed == [*sorted(tied), zebra]
    else:
        assert listed == [zebra, *sorted(tied, reverse=True)]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_equal_completed_values_are_ordered_by_id_in_the_same_direction(
    client: TestClient, alice: Account, order: str
) -> None:
    done = [create_task(client, alice, f"done {n}", completed=True)["id"] for n in range(3)]
    open_ = [create_task(client, alice, f"open {n}")["id"] for n in range(3)]

    listed = listed_ids(client, alice, sort="completed", order=order)

    if order == "asc":
        assert listed == [*sorted(open_), *sorted(done)]
    else:
        assert listed == [*sorted(done, reverse=True), *sorted(open_, reverse=True)]


def test_tie_order_holds_across_pages(client: TestClient, alice: Account) -> None:
    tied = ids(create_tasks(client, alice, *(["same"] * 5)))

    pages = [listed_ids(client, alice, sort="title", order="asc", limit=2, offset=offset) for offset in (0, 2, 4)]

    assert [task_id for page in pages for task_id in page] == sorted(tied)


@pytest.mark.parametrize("completed", [True, False])
def test_completed_filter_returns_only_matching_tasks_with_their_total(
    client: TestClient, alice: Account, completed: bool
) -> None:
    done = [create_task(client, alice, f"done {n}", completed=True)["id"] for n in range(2)]
    open_ = [create_task(client, alice, f"open {n}")["id"] for n in range(3)]
    expected = done if completed else open_

    page = list_page(client, alice, completed=str(completed).lower(), limit=1)

    assert page["total"] == len(expected)
    assert page["items"][0]["id"] in expected
    assert all(task["completed"] is completed for task in page["items"])


def test_only_the_callers_tasks_are_listed(client: TestClient, alice: Account, bob: Account) -> None:
    mine = create_task(client, alice, "alice's")
    create_tasks(client, bob, "bob's 1", "bob's 2")

    page = list_page(client, alice)

    assert ids(page["items"]) == [mine["id"]]
    assert page["total"] == 1


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit 0"),
        pytest.param({"limit": 101}, id="limit 101"),
        pytest.param({"limit": -1}, id="limit -1"),
        pytest.param({"limit": "abc"}, id="limit abc"),
        pytest.param({"limit": "1.5"}, id="limit 1.5"),
        pytest.param({"offset": -1}, id="offset -1"),
        pytest.param({"offset": "abc"}, id="offset abc"),
        pytest.param({"sort": "urgency"}, id="sort unknown"),
        pytest.param({"sort": "TITLE"}, id="sort in upper case"),
        pytest.param({"order": "up"}, id="order unknown"),
        pytest.param({"completed": "maybe"}, id="completed maybe"),
    ],
)
def test_out_of_range_or_unknown_query_values_are_400(
    client: TestClient, alice: Account, params: dict[str, Any]
) -> None:
    response = client.get(alice.tasks_url, params=params, headers=alice.headers)

    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert all(set(issue) == {"loc", "msg", "type"} for issue in detail)


def test_a_bad_query_value_is_named_by_its_location(client: TestClient, alice: Account) -> None:
    response = client.get(alice.tasks_url, params={"limit": "0", "sort": "urgency"}, headers=alice.headers)

    assert response.status_code == 400, response.text
    issues = {tuple(issue["loc"]): issue["type"] for issue in response.json()["detail"]}
    assert issues == {("query", "limit"): "greater_than_equal", ("query", "sort"): "enum"}


def test_offset_with_cursor_is_a_400_at_the_query_itself(client: TestClient, alice: Account) -> None:
    response = client.get(alice.tasks_url, params={"offset": "5", "cursor": "abc"}, headers=alice.headers)

    assert response.status_code == 400, response.text
    assert [issue["loc"] for issue in response.json()["detail"]] == [["query"]]


def test_a_repeated_query_parameter_counts_its_last_value(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, "one", "two", "three")

    response = client.get(f"{alice.tasks_url}?limit=1&limit=2", headers=alice.headers)

    assert response.status_code == 200, response.text
    assert response.json()["limit"] == 2 and len(response.json()["items"]) == 2


def test_unknown_query_parameters_are_ignored(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, "one")

    assert len(list_page(client, alice, colour="blue")["items"]) == 1
