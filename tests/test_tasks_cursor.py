"""GET /api/{user_id}/tasks, contract v2: `next_cursor` and `cursor` (keyset pages).

A cursor is opaque: these tests only ever pass back what the service handed out, or that
string damaged on purpose."""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Uuid, bindparam, text

from models.common import UTCDateTime
from tests.support import Account

SORTS = ["created_at", "updated_at", "title", "completed", "due_at", "priority"]
BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def create_task(client: TestClient, account: Account, title: str = "Task", **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def create_tasks(client: TestClient, account: Account, count: int, **fields: Any) -> list[str]:
    return [create_task(client, account, f"task {n}", **fields)["id"] for n in range(count)]


def get_list(client: TestClient, account: Account, **params: Any) -> httpx.Response:
    return client.get(account.tasks_url, params=params, headers=account.headers)


def list_page(client: TestClient, account: Account, **params: Any) -> dict[str, Any]:
    response = get_list(client, account, **params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def ids(page: dict[str, Any]) -> list[str]:
    return [task["id"] for task in page["items"]]


def first_cursor(client: TestClient, account: Account, **params: Any) -> str:
    cursor = list_page(client, account, **params)["next_cursor"]
    assert isinstance(cursor, str) and cursor
    return cursor


def walk(
    client: TestClient,
    account: Account,
    limit: int,
    between_pages: Callable[[list[str]], None] | None = None,
    **params: Any,
) -> list[str]:
    """Every id the cursor pages list, in order: page 1 without a cursor, then each
    `next_cursor` until it is null; `between_pages` runs (with the ids so far) between pages."""
    page = list_page(client, account, limit=limit, **params)
    seen = ids(page)
    for _ in range(1000):
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between_pages is not None:
            between_pages(seen)
        page = list_page(client, account, limit=limit, cursor=cursor, **params)
        assert page["offset"] == 0
        seen += ids(page)
    raise AssertionError("the cursors never came to an end")


def full_list(client: TestClient, account: Account, **params: Any) -> list[str]:
    page = list_page(client, account, limit=100, **params)
    assert page["next_cursor"] is None
    return ids(page)


def set_column(engine: Engine, column: str, task_ids: list[str], at: datetime) -> None:
    """Give tasks one and the same `created_at` or `updated_at` (the API never makes two equal)."""
    statement = text(f"UPDATE tasks SET {column} = :at WHERE id = :id").bindparams(
        bindparam("at", type_=UTCDateTime()), bindparam("id", type_=Uuid())
    )
    with engine.begin() as connection:
        for task_id in task_ids:
            connection.execute(statement, {"at": at, "id": uuid.UUID(task_id)})


def varied_tasks(client: TestClient, engine: Engine, account: Account) -> list[str]:
    """Tasks with ties on every sort key (and tasks without a due date), for walks."""
    specs: list[tuple[str, dict[str, Any]]] = [
        ("same", {"priority": "high", "due_at": "2026-03-01T00:00:00Z"}),
        ("Same", {"priority": "high", "due_at": "2026-03-01T00:00:00Z", "completed": True}),
        ("SAME", {"priority": "low"}),
        ("apple", {"priority": "low", "due_at": "2026-01-01T00:00:00Z"}),
        ("Banana", {"priority": "medium", "completed": True}),
        ("cherry", {"due_at": "2026-03-01T00:00:00Z"}),
        ("Äpfel", {"priority": "medium", "due_at": "2027-01-01T00:00:00Z"}),
        ("zebra", {"completed": True}),
        ("same", {"priority": "high"}),
        ("apple pie", {"due_at": "2025-12-31T23:59:59.999999Z"}),
        ("apple-pie", {"priority": "none", "completed": True}),
        ("10 things", {"priority": "high", "due_at": "2026-03-01T00:00:00Z"}),
    ]
    task_ids = [create_task(client, account, title, **fields)["id"] for title, fields in specs]
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    set_column(engine, "created_at", task_ids[0:3] + task_ids[8:9], moment)  # two of them both high
    set_column(engine, "updated_at", task_ids[3:7], moment)
    return task_ids


# --- next_cursor -----------------------------------------------------------------------------


def test_every_list_answer_has_next_cursor(client: TestClient, alice: Account) -> None:
    assert list_page(client, alice) == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


def test_next_cursor_is_a_string_when_more_tasks_follow(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)

    assert isinstance(list_page(client, alice, limit=2)["next_cursor"], str)


def test_next_cursor_is_null_when_the_page_holds_the_rest(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)

    assert list_page(client, alice, limit=3)["next_cursor"] is None


def test_next_cursor_is_null_on_a_short_last_page(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)

    assert list_page(client, alice, limit=2, offset=2)["next_cursor"] is None


def test_next_cursor_is_null_on_a_last_page_that_is_exactly_full(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 4)
    cursor = first_cursor(client, alice, limit=2)

    page = list_page(client, alice, limit=2, cursor=cursor)

    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


def test_next_cursor_is_null_on_a_page_past_the_end(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 2)

    assert list_page(client, alice, offset=5)["next_cursor"] is None


def test_next_cursor_of_an_offset_page_leads_to_the_following_page(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 7)
    by_offset = [ids(list_page(client, alice, limit=2, offset=offset)) for offset in (2, 4)]
    cursor = list_page(client, alice, limit=2, offset=2)["next_cursor"]
    assert isinstance(cursor, str)

    assert ids(list_page(client, alice, limit=2, cursor=cursor)) == by_offset[1]


def test_next_cursor_of_page_one_leads_to_page_two(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 5)
    cursor = first_cursor(client, alice, limit=2, offset=0)

    page = list_page(client, alice, limit=2, cursor=cursor)

    assert ids(page) == tasks[::-1][2:4]


# --- cursor pages ----------------------------------------------------------------------------


def test_walking_the_cursors_lists_every_task_once_in_order(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 7)

    assert walk(client, alice, limit=2) == tasks[::-1]


def test_a_cursor_page_answers_offset_0_and_the_limit_asked(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 5)
    cursor = first_cursor(client, alice, limit=2)

    page = list_page(client, alice, limit=2, cursor=cursor)

    assert (page["offset"], page["limit"], page["total"]) == (0, 2, 5)


def test_limit_may_change_between_cursor_pages(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 8)[::-1]
    cursor = first_cursor(client, alice, limit=2)

    second = list_page(client, alice, limit=5, cursor=cursor)
    third = list_page(client, alice, limit=1, cursor=second["next_cursor"])

    assert (ids(second), second["limit"]) == (tasks[2:7], 5)
    assert ids(third) == tasks[7:]
    assert third["next_cursor"] is None


def test_a_cursor_page_without_a_limit_uses_the_default(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 23)[::-1]
    cursor = first_cursor(client, alice, limit=1)

    page = list_page(client, alice, cursor=cursor)

    assert ids(page) == tasks[1:21]
    assert page["limit"] == 20


def test_a_cursor_can_be_used_again(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 5)
    cursor = first_cursor(client, alice, limit=2)

    assert list_page(client, alice, limit=2, cursor=cursor) == list_page(client, alice, limit=2, cursor=cursor)


@pytest.mark.parametrize("limit", [1, 3])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
def test_cursor_walk_gives_the_full_order_with_ties_and_missing_due_dates(
    client: TestClient, engine: Engine, alice: Account, sort: str, order: str, limit: int
) -> None:
    varied_tasks(client, engine, alice)
    expected = full_list(client, alice, sort=sort, order=order)

    assert walk(client, alice, limit=limit, sort=sort, order=order) == expected


PRIORITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}


def expected_order(tasks: list[dict[str, Any]], sort: str, order: str) -> list[str]:
    """The contract's order, worked out here (timestamps as returned sort as text)."""
    reverse = order == "desc"
    if sort == "due_at":
        dated = sorted(
            (task for task in tasks if task["due_at"]), key=lambda t: (t["due_at"], t["id"]), reverse=reverse
        )
        undated = sorted((task["id"] for task in tasks if not task["due_at"]), reverse=reverse)
        return [task["id"] for task in dated] + undated
    keys: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
        "created_at": lambda t: (t["created_at"], t["id"]),
        "updated_at": lambda t: (t["updated_at"], t["id"]),
        "completed": lambda t: (t["completed"], t["id"]),
        "priority": lambda t: (PRIORITY_RANK[t["priority"]], t["created_at"], t["id"]),
    }
    return [task["id"] for task in sorted(tasks, key=keys[sort], reverse=reverse)]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", [sort for sort in SORTS if sort != "title"])
def test_cursor_walk_follows_the_sort_rules_with_ties(
    client: TestClient, engine: Engine, alice: Account, sort: str, order: str
) -> None:
    varied_tasks(client, engine, alice)
    tasks = list_page(client, alice, limit=100)["items"]

    assert walk(client, alice, limit=2, sort=sort, order=order) == expected_order(tasks, sort, order)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_walk_by_due_at_reaches_undated_tasks_last(client: TestClient, alice: Account, order: str) -> None:
    undated = [create_task(client, alice, f"undated {n}")["id"] for n in range(3)]
    dated = [create_task(client, alice, f"dated {n}", due_at=f"2026-0{n + 1}-01T00:00:00Z")["id"] for n in range(3)]

    walked = walk(client, alice, limit=2, sort="due_at", order=order)

    assert walked[:3] == (dated if order == "asc" else dated[::-1])
    assert walked[3:] == sorted(undated, reverse=order == "desc")


def test_cursor_walk_by_title_ignores_case_and_breaks_ties_by_id(client: TestClient, alice: Account) -> None:
    tied = [create_task(client, alice, title)["id"] for title in ("Same", "same", "SAME", "sAmE")]
    first = create_task(client, alice, "apple")["id"]
    last = create_task(client, alice, "Zebra")["id"]

    assert walk(client, alice, limit=1, sort="title", order="asc") == [first, *sorted(tied), last]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"q": "match"}, id="q"),
        pytest.param({"priority": "high"}, id="priority"),
        pytest.param({"tag": "work"}, id="tag"),
        pytest.param({"completed": "false"}, id="completed"),
        pytest.param({"overdue": "true"}, id="overdue"),
        pytest.param({"due_before": "2021-01-01T00:00:00Z", "due_after": "2019-01-01T00:00:00Z"}, id="due range"),
        pytest.param({"q": "match", "tag": "WORK", "sort": "due_at", "order": "asc"}, id="several"),
    ],
)
def test_cursor_walk_keeps_the_filters_and_their_total(
    client: TestClient, alice: Account, params: dict[str, Any]
) -> None:
    for n in range(5):
        create_task(client, alice, f"match {n}", priority="high", tags=["work"], due_at="2020-01-01T00:00:00Z")
    for n in range(4):
        create_task(client, alice, f"other {n}", priority="low", tags=["home"], due_at="2099-01-01T00:00:00Z")
    create_task(client, alice, "done match", priority="high", tags=["work"], completed=True)
    expected = full_list(client, alice, **params)
    assert 0 < len(expected) < 10

    pages = []
    page = list_page(client, alice, limit=2, **params)
    while page["next_cursor"] is not None:
        page = list_page(client, alice, limit=2, cursor=page["next_cursor"], **params)
        pages.append(page)

    assert [task_id for page in pages for task_id in ids(page)] == expected[2:]
    assert {page["total"] for page in pages} == {len(expected)}


def test_a_cursor_after_which_every_task_was_deleted_gives_an_empty_last_page(
    client: TestClient, alice: Account
) -> None:
    tasks = create_tasks(client, alice, 4)[::-1]
    cursor = first_cursor(client, alice, limit=2)
    for task_id in tasks[2:]:
        assert client.delete(f"{alice.tasks_url}/{task_id}", headers=alice.headers).status_code == 204

    page = list_page(client, alice, limit=2, cursor=cursor)

    assert (page["items"], page["next_cursor"], page["total"]) == ([], None, 2)


# --- tasks added, removed and edited between pages -------------------------------------------


def churn(client: TestClient, account: Account, originals: list[str], deleted: set[str]) -> Callable[[list[str]], None]:
    """Between pages: delete the last task seen (the page's anchor), one seen earlier and one
    not seen yet, and create two new tasks whose sort keys fall anywhere."""
    counter = iter(range(1000))

    def between_pages(seen: list[str]) -> None:
        seen_originals = [task_id for task_id in seen if task_id in originals and task_id not in deleted]
        unseen = [task_id for task_id in originals if task_id not in seen and task_id not in deleted]
        victims = seen_originals[-1:] + seen_originals[:1] + unseen[len(unseen) // 2 :][:1]
        for task_id in dict.fromkeys(victims):
            assert client.delete(f"{account.tasks_url}/{task_id}", headers=account.headers).status_code == 204
            deleted.add(task_id)
        for _ in range(2):
            n = next(counter)
            fields: dict[str, Any] = {
                "priority": ["none", "low", "medium", "high"][n % 4],
                "completed": n % 3 == 0,
                "due_at": None if n % 2 else f"2026-0{n % 9 + 1}-15T00:00:00Z",
            }
            create_task(client, account, ["m", "B", "same", "zz", "a"][n % 5], **fields)

    return between_pages


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
def test_tasks_added_and_removed_between_pages_are_never_skipped_or_repeated(
    client: TestClient, engine: Engine, alice: Account, sort: str, order: str
) -> None:
    originals = varied_tasks(client, engine, alice)
    deleted: set[str] = set()

    walked = walk(
        client, alice, limit=3, between_pages=churn(client, alice, originals, deleted), sort=sort, order=order
    )

    assert len(walked) == len(set(walked)), "a task was listed twice"
    survivors = set(originals) - deleted
    assert len(deleted) >= 3
    assert survivors <= set(walked), "a task that existed throughout was skipped"


def test_tasks_created_behind_the_cursor_appear_on_later_pages(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 4)
    cursor = first_cursor(client, alice, limit=2, sort="created_at", order="asc")
    newer = create_task(client, alice, "newer")["id"]

    page = list_page(client, alice, limit=10, cursor=cursor, sort="created_at", order="asc")

    assert ids(page) == [*tasks[2:], newer]


def test_editing_a_sort_key_between_pages_is_allowed_and_the_walk_follows_the_new_order(
    client: TestClient, alice: Account
) -> None:
    _a, _b, c, d, e, f = (create_task(client, alice, title)["id"] for title in "abcdef")
    cursor = first_cursor(client, alice, limit=2, sort="title", order="asc")  # a, b
    for task_id, title in ((f, "aa"), (c, "zz")):  # f moves behind the cursor, c to the end
        edited = client.patch(f"{alice.tasks_url}/{task_id}", json={"title": title}, headers=alice.headers)
        assert edited.status_code == 200

    page = list_page(client, alice, limit=10, cursor=cursor, sort="title", order="asc")

    assert ids(page) == [d, e, c]


def test_editing_the_last_task_seen_does_not_move_the_cursor(client: TestClient, alice: Account) -> None:
    tasks = create_tasks(client, alice, 4)[::-1]
    cursor = first_cursor(client, alice, limit=2, sort="updated_at")
    edited = client.patch(f"{alice.tasks_url}/{tasks[1]}", json={"title": "edited"}, headers=alice.headers)
    assert edited.status_code == 200

    page = list_page(client, alice, limit=10, cursor=cursor, sort="updated_at")

    assert ids(page) == tasks[2:]


# --- refused cursors -------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_cursor_with_an_offset_is_400(client: TestClient, alice: Account, offset: int) -> None:
    create_tasks(client, alice, 3)
    cursor = first_cursor(client, alice, limit=1)

    assert get_list(client, alice, limit=1, cursor=cursor, offset=offset).status_code == 400


CURSOR_TASK = {"priority": "low", "tags": ["a"], "due_at": "2020-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("first", "then"),
    [
        pytest.param({}, {"q": "task"}, id="q added"),
        pytest.param({"q": "task"}, {"q": "tas"}, id="q changed"),
        pytest.param({"q": "task"}, {}, id="q removed"),
        pytest.param({}, {"priority": "low"}, id="priority added"),
        pytest.param({"priority": "low"}, {"priority": "high"}, id="priority changed"),
        pytest.param({"priority": "low"}, {}, id="priority removed"),
        pytest.param({}, {"tag": "a"}, id="tag added"),
        pytest.param({"tag": "a"}, {"tag": "b"}, id="tag changed"),
        pytest.param({"tag": "a"}, {}, id="tag removed"),
        pytest.param({}, {"completed": "false"}, id="completed added"),
        pytest.param({"completed": "false"}, {"completed": "true"}, id="completed changed"),
        pytest.param({"completed": "false"}, {}, id="completed removed"),
        pytest.param({}, {"overdue": "true"}, id="overdue added"),
        pytest.param({"overdue": "true"}, {"overdue": "false"}, id="overdue changed"),
        pytest.param({"overdue": "true"}, {}, id="overdue removed"),
        pytest.param({}, {"due_before": "2021-01-01T00:00:00Z"}, id="due_before added"),
        pytest.param(
            {"due_before": "2021-01-01T00:00:00Z"}, {"due_before": "2022-01-01T00:00:00Z"}, id="due_before changed"
        ),
        pytest.param({"due_before": "2021-01-01T00:00:00Z"}, {}, id="due_before removed"),
        pytest.param({}, {"due_after": "2019-01-01T00:00:00Z"}, id="due_after added"),
        pytest.param(
            {"due_after": "2019-01-01T00:00:00Z"}, {"due_after": "2018-01-01T00:00:00Z"}, id="due_after changed"
        ),
        pytest.param({"due_after": "2019-01-01T00:00:00Z"}, {}, id="due_after removed"),
        pytest.param({}, {"sort": "title"}, id="sort added"),
        pytest.param({"sort": "title"}, {"sort": "due_at"}, id="sort changed"),
        pytest.param({"sort": "priority"}, {}, id="sort removed"),
        pytest.param({}, {"order": "asc"}, id="order added"),
        pytest.param({"order": "asc"}, {"order": "desc"}, id="order changed"),
        pytest.param({"order": "asc"}, {}, id="order removed"),
        pytest.param({"sort": "due_at", "order": "asc"}, {"sort": "due_at", "order": "desc"}, id="due_at order"),
    ],
)
def test_cursor_used_with_other_filters_sort_or_order_is_400(
    client: TestClient, alice: Account, first: dict[str, str], then: dict[str, str]
) -> None:
    create_tasks(client, alice, 3, **CURSOR_TASK)
    cursor = first_cursor(client, alice, limit=1, **first)

    assert get_list(client, alice, limit=1, cursor=cursor, **then).status_code == 400


def test_cursor_used_with_the_same_filters_is_accepted(client: TestClient, alice: Account) -> None:
    params = {
        "q": "task",
        "priority": "low",
        "tag": "a",
        "completed": "false",
        "overdue": "true",
        "due_before": "2021-01-01T00:00:00Z",
        "due_after": "2019-01-01T00:00:00Z",
        "sort": "due_at",
        "order": "asc",
    }
    tasks = create_tasks(client, alice, 3, **CURSOR_TASK)
    cursor = first_cursor(client, alice, limit=1, **params)

    page = list_page(client, alice, limit=5, cursor=cursor, **params)

    assert ids(page) == sorted(tasks)[1:]  # equal due dates: by id


def test_cursor_of_another_user_is_400(client: TestClient, alice: Account, bob: Account) -> None:
    create_tasks(client, alice, 3)
    create_tasks(client, bob, 3)
    bobs_cursor = first_cursor(client, bob, limit=1)

    assert get_list(client, alice, limit=1, cursor=bobs_cursor).status_code == 400


def test_cursor_on_another_users_url_is_403(client: TestClient, alice: Account, bob: Account) -> None:
    create_tasks(client, bob, 3)
    cursor = first_cursor(client, bob, limit=1)

    response = client.get(bob.tasks_url, params={"cursor": cursor}, headers=alice.headers)

    assert response.status_code == 403


def changed_at(cursor: str, position: int) -> str:
    """`cursor` with the character at `position` replaced by a clearly different one (for a
    base64 digit, one differing in its most significant bit, which always carries data)."""
    char = cursor[position]
    other = BASE64URL[BASE64URL.index(char) ^ 32] if char in BASE64URL else "A"
    return cursor[:position] + other + cursor[position + 1 :]


def test_cursor_with_any_one_character_changed_is_400(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)
    cursor = first_cursor(client, alice, limit=1)

    accepted = [
        position
        for position in range(len(cursor))
        if get_list(client, alice, limit=1, cursor=changed_at(cursor, position)).status_code != 400
    ]

    assert accepted == [], f"changed characters at these positions were not refused: {accepted} ({cursor!r})"


@pytest.mark.parametrize(
    "keep", [lambda c: c[:-1], lambda c: c[: len(c) // 2], lambda c: c[1:]], ids=["last", "half", "first"]
)
def test_truncated_cursor_is_400(client: TestClient, alice: Account, keep: Callable[[str], str]) -> None:
    create_tasks(client, alice, 3)
    cursor = first_cursor(client, alice, limit=1)

    assert get_list(client, alice, limit=1, cursor=keep(cursor)).status_code == 400


def test_cursor_with_something_appended_is_400(client: TestClient, alice: Account) -> None:
    create_tasks(client, alice, 3)
    cursor = first_cursor(client, alice, limit=1)

    assert get_list(client, alice, limit=1, cursor=cursor + "AAAA").status_code == 400


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="word"),
        pytest.param("!!!", id="punctuation"),
        pytest.param("eyJ9", id="base64 of a brace"),
        pytest.param("eyJvZmZzZXQiOiAwfQ", id="base64 json"),
        pytest.param("A" * 5000, id="5000 characters"),
        pytest.param("abc\x00def", id="NUL"),
        pytest.param("äöü", id="non-ASCII"),
        pytest.param(str(uuid.uuid4()), id="uuid"),
    ],
)
def test_garbage_cursor_is_400(client: TestClient, alice: Account, cursor: str) -> None:
    create_tasks(client, alice, 2)

    assert get_list(client, alice, cursor=cursor).status_code == 400
