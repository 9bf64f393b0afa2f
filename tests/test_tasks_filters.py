"""GET /api/{user_id}/tasks, contract v2: the filters `q`, `priority`, `tag`, `overdue`,
`due_before` and `due_after`, how they combine, the `due_at` and `priority` sorts, and the
totals of filtered lists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Uuid, bindparam, text

from models.common import UTCDateTime
from tests.support import Account

PAST = "2020-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"


def create_task(client: TestClient, account: Account, title: str = "Task", **fields: Any) -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title, **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def list_page(client: TestClient, account: Account, **params: Any) -> dict[str, Any]:
    response = client.get(account.tasks_url, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def listed_ids(client: TestClient, account: Account, **params: Any) -> list[str]:
    return [task["id"] for task in list_page(client, account, limit=100, **params)["items"]]


def listed_set(client: TestClient, account: Account, **params: Any) -> set[str]:
    return set(listed_ids(client, account, **params))


def list_status(client: TestClient, account: Account, **params: Any) -> int:
    return client.get(account.tasks_url, params=params, headers=account.headers).status_code


def ids(tasks: list[dict[str, Any]]) -> list[str]:
    return [task["id"] for task in tasks]


def set_created_at(engine: Engine, task_ids: list[str], at: datetime) -> None:
    """Give tasks one and the same `created_at` (the API never makes two equal)."""
    statement = text("UPDATE tasks SET created_at = :at WHERE id = :id").bindparams(
        bindparam("at", type_=UTCDateTime()), bindparam("id", type_=Uuid())
    )
    with engine.begin() as connection:
        for task_id in task_ids:
            connection.execute(statement, {"at": at, "id": uuid.UUID(task_id)})


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- q ---------------------------------------------------------------------------------------


def test_q_matches_text_in_the_title(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "Buy milk today")
    create_task(client, alice, "Buy bread")

    assert listed_ids(client, alice, q="milk") == [match["id"]]


def test_q_matches_text_in_the_description(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "Shopping", description="eggs, milk and flour")
    create_task(client, alice, "Shopping", description="eggs and flour")
    create_task(client, alice, "Cleaning")

    assert listed_ids(client, alice, q="milk") == [match["id"]]


def test_q_matches_a_task_once_when_title_and_description_both_contain_it(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "milk", description="more milk")

    page = list_page(client, alice, q="milk")

    assert ids(page["items"]) == [match["id"]]
    assert page["total"] == 1


def test_q_ignores_ascii_case_in_title_and_description(client: TestClient, alice: Account) -> None:
    in_title = create_task(client, alice, "Buy MILK")
    in_description = create_task(client, alice, "Shopping", description="Milk, two litres")
    create_task(client, alice, "Buy bread")

    assert listed_set(client, alice, q="mIlK") == {in_title["id"], in_description["id"]}


@pytest.mark.postgres_only
def test_q_ignores_non_ascii_case_on_postgresql(client: TestClient, alice: Account) -> None:
    in_title = create_task(client, alice, "äpfel kaufen")
    in_description = create_task(client, alice, "Einkaufen", description="Grüne Äpfel")
    create_task(client, alice, "apfel kaufen")

    assert listed_set(client, alice, q="ÄPFEL") == {in_title["id"], in_description["id"]}


def test_q_is_used_without_trimming(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "Buy milk")
    create_task(client, alice, "milkshake")

    assert listed_ids(client, alice, q=" milk") == [match["id"]]


def test_q_percent_sign_is_a_literal_character(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "Battery at 100% now")
    create_task(client, alice, "Battery at 100 now")
    create_task(client, alice, "Battery at 1000 now")

    assert listed_ids(client, alice, q="100%") == [match["id"]]


def test_q_of_a_lone_percent_sign_matches_only_tasks_containing_one(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "50% off")
    create_task(client, alice, "half off")

    assert listed_ids(client, alice, q="%") == [match["id"]]


def test_q_underscore_is_a_literal_character(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "rename my_file")
    create_task(client, alice, "rename myXfile")

    assert listed_ids(client, alice, q="my_file") == [match["id"]]


def test_q_backslash_is_a_literal_character(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "clean C:\\temp")
    create_task(client, alice, "clean C:temp")
    create_task(client, alice, "clean C:\\\\temp")  # two backslashes: contains one too

    assert listed_ids(client, alice, q=":\\t") == [match["id"]]


def test_q_of_a_lone_backslash_matches_only_tasks_containing_one(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "path a\\b")
    create_task(client, alice, "path a/b")

    assert listed_ids(client, alice, q="\\") == [match["id"]]


def test_q_backslash_before_a_wildcard_is_literal_too(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "escape \\% here")
    create_task(client, alice, "escape % here")

    assert listed_ids(client, alice, q="\\%") == [match["id"]]


@pytest.mark.parametrize("q", ["1/2", "/", "/%", "//", "/_"])
def test_q_slash_is_a_literal_character_alone_or_before_a_wildcard(client: TestClient, alice: Account, q: str) -> None:
    match = create_task(client, alice, f"x {q} y")
    create_task(client, alice, "x 12 % _ y")
    create_task(client, alice, "x / y" if q != "/" else "x 1 y")

    assert listed_ids(client, alice, q=q) == [match["id"]]


def test_q_of_200_characters_is_accepted(client: TestClient, alice: Account) -> None:
    long_title = "x" * 200
    match = create_task(client, alice, long_title)
    create_task(client, alice, "x" * 199)

    assert listed_ids(client, alice, q=long_title) == [match["id"]]


def test_q_of_200_non_ascii_characters_is_accepted(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "ä" * 200)

    assert listed_ids(client, alice, q="ä" * 200) == [match["id"]]


def test_q_does_not_match_across_title_and_description(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "buy", description="milk")
    create_task(client, alice, "milk", description="shake")

    assert listed_ids(client, alice, q="buy milk") == []
    assert listed_ids(client, alice, q="buymilk") == []
    assert listed_ids(client, alice, q="milkshake") == []


def test_q_follows_a_patched_title_and_a_replaced_description(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "Call the plumber", description="about the sink")
    patched = client.patch(f"{alice.tasks_url}/{task['id']}", json={"title": "Call the dentist"}, headers=alice.headers)
    assert patched.status_code == 200

    assert listed_ids(client, alice, q="dentist") == [task["id"]]
    assert listed_ids(client, alice, q="plumber") == []
    replaced = client.put(
        f"{alice.tasks_url}/{task['id']}",
        json={"title": "Call the dentist", "description": "about a filling", "completed": False},
        headers=alice.headers,
    )
    assert replaced.status_code == 200
    assert listed_ids(client, alice, q="filling") == [task["id"]]
    assert list_page(client, alice, q="sink")["total"] == 0


def test_q_does_not_find_a_deleted_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "Call the dentist")
    assert client.delete(f"{alice.tasks_url}/{task['id']}", headers=alice.headers).status_code == 204

    assert list_page(client, alice, q="dentist") == {
        "items": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    "q",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 201, id="201 characters"),
        pytest.param("milk\x00", id="NUL"),
    ],
)
def test_invalid_q_is_400(client: TestClient, alice: Account, q: str) -> None:
    assert list_status(client, alice, q=q) == 400


def test_q_of_only_spaces_is_used_as_given(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "two  spaces")
    create_task(client, alice, "one space")

    assert listed_ids(client, alice, q="  ") == [match["id"]]


# --- priority --------------------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["none", "low", "medium", "high"])
def test_priority_filter_lists_only_tasks_of_that_priority(client: TestClient, alice: Account, priority: str) -> None:
    tasks = {level: create_task(client, alice, level, priority=level) for level in ("none", "low", "medium", "high")}

    assert listed_ids(client, alice, priority=priority) == [tasks[priority]["id"]]


@pytest.mark.parametrize("priority", ["urgent", "HIGH", "", "3", "none,low"])
def test_unknown_priority_filter_is_400(client: TestClient, alice: Account, priority: str) -> None:
    assert list_status(client, alice, priority=priority) == 400


# --- tag -------------------------------------------------------------------------------------


def test_tag_filter_lists_tasks_having_that_tag(client: TestClient, alice: Account) -> None:
    work = create_task(client, alice, "report", tags=["work", "urgent"])
    also_work = create_task(client, alice, "meeting", tags=["work"])
    create_task(client, alice, "groceries", tags=["home"])
    create_task(client, alice, "untagged")

    assert listed_set(client, alice, tag="work") == {work["id"], also_work["id"]}


@pytest.mark.parametrize("tag", ["WORK", "Work", "work"])
def test_tag_filter_ignores_case(client: TestClient, alice: Account, tag: str) -> None:
    match = create_task(client, alice, "report", tags=["WoRk"])
    create_task(client, alice, "other", tags=["home"])

    assert listed_ids(client, alice, tag=tag) == [match["id"]]


def test_tag_filter_matches_whole_tags_only(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "report", tags=["work"])
    create_task(client, alice, "maths", tags=["homework"])
    create_task(client, alice, "desk", tags=["work-desk", "works", "wor"])

    assert listed_ids(client, alice, tag="work") == [match["id"]]


def test_tag_filter_is_trimmed(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "report", tags=["work"])

    assert listed_ids(client, alice, tag="  work \t") == [match["id"]]


def test_tag_filter_treats_wildcards_as_literal_characters(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["to_do"])
    create_task(client, alice, "b", tags=["toXdo"])
    create_task(client, alice, "c", tags=["to%do"])

    assert listed_ids(client, alice, tag="to_do") == [match["id"]]


def test_tag_filter_matches_tags_with_quotes_and_backslashes(client: TestClient, alice: Account) -> None:
    quoted = create_task(client, alice, "a", tags=['say "hi"'])
    slashed = create_task(client, alice, "b", tags=["a\\b"])
    create_task(client, alice, "c", tags=["say hi", "ab"])

    assert listed_ids(client, alice, tag='say "hi"') == [quoted["id"]]
    assert listed_ids(client, alice, tag="a\\b") == [slashed["id"]]


def test_tag_filter_matches_a_non_ascii_tag(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["café"])
    create_task(client, alice, "b", tags=["cafe"])

    assert listed_ids(client, alice, tag="café") == [match["id"]]


def test_tag_filter_ignores_non_ascii_case(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["École"])
    create_task(client, alice, "b", tags=["ecole"])

    assert listed_ids(client, alice, tag="éCOLE") == [match["id"]]


def test_tag_filter_counts_a_task_once_after_its_tag_changes_case(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "a", tags=["Work"])
    patched = client.patch(f"{alice.tasks_url}/{task['id']}", json={"tags": ["WORK"]}, headers=alice.headers)
    assert patched.status_code == 200

    page = list_page(client, alice, tag="work")

    assert (ids(page["items"]), page["total"]) == ([task["id"]], 1)


def test_tag_filter_total_counts_only_the_callers_tasks(client: TestClient, alice: Account, bob: Account) -> None:
    mine = create_task(client, alice, "a", tags=["work"])
    create_task(client, bob, "b", tags=["work"])
    create_task(client, bob, "c", tags=["Work"])

    page = list_page(client, alice, tag="work")

    assert (ids(page["items"]), page["total"]) == ([mine["id"]], 1)


@pytest.mark.parametrize("completed", ["true", "false"])
def test_tag_filter_with_completed_counts_both(client: TestClient, alice: Account, completed: str) -> None:
    done = create_task(client, alice, "a", tags=["work"], completed=True)
    open_ = create_task(client, alice, "b", tags=["work"])
    create_task(client, alice, "c", completed=True)

    page = list_page(client, alice, tag="work", completed=completed)

    expected = done if completed == "true" else open_
    assert (ids(page["items"]), page["total"]) == ([expected["id"]], 1)


def test_tag_filter_of_32_characters_is_accepted(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["t" * 32])

    assert listed_ids(client, alice, tag="t" * 32) == [match["id"]]


def test_tag_filter_keeps_inner_spaces(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["to do"])
    create_task(client, alice, "b", tags=["todo", "to", "do"])

    assert listed_ids(client, alice, tag=" to do ") == [match["id"]]


def test_tag_filter_follows_changed_tags(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "a", tags=["old", "kept"])

    patched = client.patch(f"{alice.tasks_url}/{task['id']}", json={"tags": ["new", "KEPT"]}, headers=alice.headers)

    assert patched.status_code == 200
    assert listed_ids(client, alice, tag="old") == []
    assert listed_ids(client, alice, tag="new") == [task["id"]]
    assert listed_ids(client, alice, tag="kept") == [task["id"]]


def test_tag_filter_forgets_tags_a_put_resets(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "a", tags=["old"])

    replaced = client.put(
        f"{alice.tasks_url}/{task['id']}",
        json={"title": "a", "description": None, "completed": False},
        headers=alice.headers,
    )

    assert replaced.status_code == 200
    assert list_page(client, alice, tag="old")["total"] == 0


def test_tag_filter_does_not_list_a_deleted_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "a", tags=["work"])
    kept = create_task(client, alice, "b", tags=["work"])

    assert client.delete(f"{alice.tasks_url}/{task['id']}", headers=alice.headers).status_code == 204

    page = list_page(client, alice, tag="work")
    assert (ids(page["items"]), page["total"]) == ([kept["id"]], 1)


def test_tag_filter_of_32_non_ascii_characters_is_accepted(client: TestClient, alice: Account) -> None:
    match = create_task(client, alice, "a", tags=["é" * 32])

    assert listed_ids(client, alice, tag="é" * 32) == [match["id"]]


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("t" * 33, id="33 characters"),
        pytest.param("work\x00", id="NUL"),
    ],
)
def test_invalid_tag_filter_is_400(client: TestClient, alice: Account, tag: str) -> None:
    assert list_status(client, alice, tag=tag) == 400


# --- overdue ---------------------------------------------------------------------------------


def overdue_cases(client: TestClient, account: Account) -> tuple[set[str], set[str]]:
    """Tasks that are overdue, and tasks that are not (completed, undated, or due later)."""
    now = datetime.now(UTC)
    overdue = {
        create_task(client, account, "long overdue", due_at=PAST)["id"],
        create_task(client, account, "just overdue", due_at=timestamp(now - timedelta(minutes=5)))["id"],
    }
    not_overdue = {
        create_task(client, account, "done late", due_at=PAST, completed=True)["id"],
        create_task(client, account, "undated")["id"],
        create_task(client, account, "undated, done", completed=True)["id"],
        create_task(client, account, "due soon", due_at=timestamp(now + timedelta(minutes=5)))["id"],
        create_task(client, account, "due later", due_at=FUTURE)["id"],
    }
    return overdue, not_overdue


@pytest.mark.parametrize("spelling", ["true", "1", "yes", "on", "True"])
def test_overdue_true_lists_open_tasks_due_before_now(client: TestClient, alice: Account, spelling: str) -> None:
    overdue, _ = overdue_cases(client, alice)

    assert listed_set(client, alice, overdue=spelling) == overdue


@pytest.mark.parametrize("spelling", ["false", "0", "no", "off", "FALSE"])
def test_overdue_false_lists_every_task_that_is_not_overdue(client: TestClient, alice: Account, spelling: str) -> None:
    _, not_overdue = overdue_cases(client, alice)

    assert listed_set(client, alice, overdue=spelling) == not_overdue


@pytest.mark.parametrize("overdue", ["true", "false"])
def test_overdue_total_counts_every_match_across_pages(client: TestClient, alice: Account, overdue: str) -> None:
    overdue_ids, not_overdue_ids = overdue_cases(client, alice)
    expected = overdue_ids if overdue == "true" else not_overdue_ids

    page = list_page(client, alice, overdue=overdue, limit=1)

    assert page["total"] == len(expected)
    assert page["next_cursor"] is not None


def test_a_task_becomes_overdue_when_reopened(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "late", due_at=PAST, completed=True)
    assert listed_ids(client, alice, overdue="true") == []

    reopened = client.patch(f"{alice.tasks_url}/{task['id']}", json={"completed": False}, headers=alice.headers)

    assert reopened.status_code == 200
    assert listed_ids(client, alice, overdue="true") == [task["id"]]


@pytest.mark.parametrize("value", ["maybe", "2", "yess", "null"])
def test_invalid_overdue_value_is_400(client: TestClient, alice: Account, value: str) -> None:
    assert list_status(client, alice, overdue=value) == 400


# --- due_before and due_after ----------------------------------------------------------------


def dated_tasks(client: TestClient, account: Account) -> dict[str, str]:
    return {
        "jan": create_task(client, account, "jan", due_at="2026-01-01T00:00:00Z")["id"],
        "jun": create_task(client, account, "jun", due_at="2026-06-01T00:00:00Z")["id"],
        "jun+1us": create_task(client, account, "jun+1us", due_at="2026-06-01T00:00:00.000001Z")["id"],
        "next year": create_task(client, account, "next year", due_at="2027-01-01T00:00:00Z")["id"],
        "undated": create_task(client, account, "undated")["id"],
    }


def test_due_before_lists_tasks_due_strictly_earlier(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    assert listed_set(client, alice, due_before="2026-06-01T00:00:00Z") == {tasks["jan"]}


def test_due_after_lists_tasks_due_at_or_after(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    assert listed_set(client, alice, due_after="2026-06-01T00:00:00Z") == {
        tasks["jun"],
        tasks["jun+1us"],
        tasks["next year"],
    }


def test_due_bounds_are_exact_to_the_microsecond(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    assert listed_set(client, alice, due_before="2026-06-01T00:00:00.000001Z") == {tasks["jan"], tasks["jun"]}
    assert listed_set(client, alice, due_after="2026-06-01T00:00:00.000001Z") == {tasks["jun+1us"], tasks["next year"]}


def test_due_after_and_due_before_together_select_a_range(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    in_range = listed_set(client, alice, due_after="2026-01-01T00:00:00Z", due_before="2027-01-01T00:00:00Z")

    assert in_range == {tasks["jan"], tasks["jun"], tasks["jun+1us"]}


def test_tasks_without_a_due_date_match_neither_bound(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    assert tasks["undated"] not in listed_set(client, alice, due_before="9999-01-01T00:00:00Z")
    assert tasks["undated"] not in listed_set(client, alice, due_after="1970-01-01T00:00:00Z")


def test_due_bounds_with_an_offset_are_compared_in_utc(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)
    # 02:00 at +02:00 is midnight UTC; the "+" must be sent encoded, as %2B.
    url = f"{alice.tasks_url}?limit=100&due_before=2026-06-01T02:00:00%2B02:00"

    before = client.get(url, headers=alice.headers)
    after = client.get(url.replace("due_before", "due_after"), headers=alice.headers)

    assert before.status_code == 200 and after.status_code == 200
    assert {task["id"] for task in before.json()["items"]} == {tasks["jan"]}
    assert {task["id"] for task in after.json()["items"]} == {tasks["jun"], tasks["jun+1us"], tasks["next year"]}


def test_due_bound_with_a_negative_offset_is_compared_in_utc(client: TestClient, alice: Account) -> None:
    tasks = dated_tasks(client, alice)

    # 2026-05-31T20:00-04:00 is 2026-06-01T00:00Z.
    assert listed_set(client, alice, due_before="2026-05-31T20:00:00-04:00") == {tasks["jan"]}


@pytest.mark.parametrize("bound", ["due_before", "due_after"])
@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-01-01T00:00:00", id="naive"),
        pytest.param("2026-01-01", id="date only"),
        pytest.param("garbage", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param("1764581400", id="seconds since 1970"),
        pytest.param("2026-13-01T00:00:00Z", id="month 13"),
        pytest.param("0001-01-01T00:00:00+01:00", id="before year 1 in UTC"),
    ],
)
def test_invalid_due_bound_is_400(client: TestClient, alice: Account, bound: str, value: str) -> None:
    assert list_status(client, alice, **{bound: value}) == 400


# --- filters together ------------------------------------------------------------------------


def test_filters_combine_with_and(client: TestClient, alice: Account) -> None:
    fields = {"priority": "high", "tags": ["work"], "due_at": PAST}
    match = create_task(client, alice, "Quarterly report", **fields)
    create_task(client, alice, "Quarterly report", **{**fields, "priority": "low"})
    create_task(client, alice, "Quarterly report", **{**fields, "tags": ["home"]})
    create_task(client, alice, "Quarterly report", **{**fields, "due_at": FUTURE})
    create_task(client, alice, "Quarterly report", **{**fields, "completed": True})
    create_task(client, alice, "Annual review", **fields)

    listed = listed_ids(
        client,
        alice,
        q="report",
        priority="high",
        tag="work",
        overdue="true",
        due_before="2021-01-01T00:00:00Z",
        due_after="2019-01-01T00:00:00Z",
        completed="false",
    )

    assert listed == [match["id"]]


def test_completed_true_and_overdue_true_match_nothing(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "done late", due_at=PAST, completed=True)
    create_task(client, alice, "late", due_at=PAST)

    page = list_page(client, alice, completed="true", overdue="true")

    assert (page["items"], page["total"]) == ([], 0)


def test_completed_true_and_overdue_false_lists_completed_tasks(client: TestClient, alice: Account) -> None:
    done_late = create_task(client, alice, "done late", due_at=PAST, completed=True)
    done = create_task(client, alice, "done", completed=True)
    create_task(client, alice, "late", due_at=PAST)
    create_task(client, alice, "open")

    assert listed_set(client, alice, completed="true", overdue="false") == {done_late["id"], done["id"]}


def test_filters_never_list_another_users_tasks(client: TestClient, alice: Account, bob: Account) -> None:
    fields = {"priority": "high", "tags": ["work"], "due_at": PAST}
    mine = create_task(client, alice, "report", **fields)
    create_task(client, bob, "report", **fields)

    page = list_page(client, alice, q="report", priority="high", tag="work", overdue="true")

    assert ids(page["items"]) == [mine["id"]]
    assert page["total"] == 1


# --- totals of filtered lists ----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"q": "match"}, id="q"),
        pytest.param({"priority": "high"}, id="priority"),
        pytest.param({"tag": "work"}, id="tag"),
        pytest.param({"overdue": "true"}, id="overdue"),
        pytest.param({"due_before": "2021-01-01T00:00:00Z"}, id="due_before"),
        pytest.param({"due_after": "2019-01-01T00:00:00Z", "due_before": "2021-01-01T00:00:00Z"}, id="due range"),
        pytest.param({"q": "match", "completed": "false"}, id="q and completed"),
    ],
)
def test_total_counts_every_matching_task_across_pages(
    client: TestClient, alice: Account, params: dict[str, str]
) -> None:
    matching = {
        create_task(client, alice, f"match {n}", priority="high", tags=["work"], due_at=PAST)["id"] for n in range(5)
    }
    for n in range(3):
        create_task(client, alice, f"other {n}", priority="low", tags=["home"], due_at=FUTURE)
    create_task(client, alice, "undated other")

    pages = [list_page(client, alice, limit=2, offset=offset, **params) for offset in (0, 2, 4)]

    assert [page["total"] for page in pages] == [5, 5, 5]
    assert {task["id"] for page in pages for task in page["items"]} == matching


def test_total_of_a_filtered_list_is_given_on_a_page_past_the_end(client: TestClient, alice: Account) -> None:
    for n in range(3):
        create_task(client, alice, f"match {n}", tags=["work"])
    create_task(client, alice, "other")

    page = list_page(client, alice, tag="work", offset=10)

    assert (page["items"], page["total"]) == ([], 3)


def test_filter_that_matches_nothing_gives_an_empty_page(client: TestClient, alice: Account) -> None:
    create_task(client, alice, "something")

    page = list_page(client, alice, q="nothing like it")

    assert page == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


def test_filtered_total_follows_edits(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, "a", priority="low")
    create_task(client, alice, "b", priority="high")

    edited = client.patch(f"{alice.tasks_url}/{task['id']}", json={"priority": "high"}, headers=alice.headers)

    assert edited.status_code == 200
    assert list_page(client, alice, priority="high")["total"] == 2
    assert list_page(client, alice, priority="low")["total"] == 0


# --- sort=due_at -----------------------------------------------------------------------------


def test_sort_by_due_at_ascending_puts_undated_tasks_last(client: TestClient, alice: Account) -> None:
    undated = create_task(client, alice, "undated")
    late = create_task(client, alice, "late", due_at="2027-01-01T00:00:00Z")
    early = create_task(client, alice, "early", due_at="2026-01-01T00:00:00Z")
    middle = create_task(client, alice, "middle", due_at="2026-06-01T00:00:00+02:00")

    listed = listed_ids(client, alice, sort="due_at", order="asc")

    assert listed == [early["id"], middle["id"], late["id"], undated["id"]]


def test_sort_by_due_at_descending_puts_undated_tasks_last_too(client: TestClient, alice: Account) -> None:
    undated = create_task(client, alice, "undated")
    late = create_task(client, alice, "late", due_at="2027-01-01T00:00:00Z")
    early = create_task(client, alice, "early", due_at="2026-01-01T00:00:00Z")
    middle = create_task(client, alice, "middle", due_at="2026-06-01T00:00:00+02:00")

    listed = listed_ids(client, alice, sort="due_at", order="desc")

    assert listed == [late["id"], middle["id"], early["id"], undated["id"]]


def test_sort_by_due_at_defaults_to_descending(client: TestClient, alice: Account) -> None:
    early = create_task(client, alice, "early", due_at="2026-01-01T00:00:00Z")
    undated = create_task(client, alice, "undated")
    late = create_task(client, alice, "late", due_at="2027-01-01T00:00:00Z")

    assert listed_ids(client, alice, sort="due_at") == [late["id"], early["id"], undated["id"]]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_equal_due_dates_and_undated_tasks_are_ordered_by_id_in_the_same_direction(
    client: TestClient, alice: Account, order: str
) -> None:
    same_due = [create_task(client, alice, f"due {n}", due_at="2026-03-01T12:00:00Z")["id"] for n in range(3)]
    undated = [create_task(client, alice, f"undated {n}")["id"] for n in range(3)]
    earlier = create_task(client, alice, "earlier", due_at="2026-02-01T00:00:00Z")["id"]
    reverse = order == "desc"

    listed = listed_ids(client, alice, sort="due_at", order=order)

    dated = [earlier, *sorted(same_due)] if order == "asc" else [*sorted(same_due, reverse=True), earlier]
    assert listed == [*dated, *sorted(undated, reverse=reverse)]


def test_sort_by_due_at_with_a_filter(client: TestClient, alice: Account) -> None:
    late = create_task(client, alice, "late", due_at="2027-01-01T00:00:00Z", tags=["x"])
    undated = create_task(client, alice, "undated", tags=["x"])
    early = create_task(client, alice, "early", due_at="2026-01-01T00:00:00Z", tags=["x"])
    create_task(client, alice, "other", due_at="2026-06-01T00:00:00Z")

    listed = listed_ids(client, alice, tag="x", sort="due_at", order="asc")

    assert listed == [early["id"], late["id"], undated["id"]]


# --- sort=priority ---------------------------------------------------------------------------


def test_sort_by_priority_ascending_is_none_low_medium_high_oldest_first(client: TestClient, alice: Account) -> None:
    tasks = [
        create_task(client, alice, title, priority=priority)
        for title, priority in [
            ("high 1", "high"),
            ("none 1", "none"),
            ("medium 1", "medium"),
            ("low 1", "low"),
            ("high 2", "high"),
            ("none 2", "none"),
        ]
    ]
    by_title = {task["title"]: task["id"] for task in tasks}

    listed = listed_ids(client, alice, sort="priority", order="asc")

    expected = ["none 1", "none 2", "low 1", "medium 1", "high 1", "high 2"]
    assert listed == [by_title[title] for title in expected]


def test_sort_by_priority_descending_is_high_first_newest_first(client: TestClient, alice: Account) -> None:
    tasks = [
        create_task(client, alice, title, priority=priority)
        for title, priority in [
            ("high 1", "high"),
            ("none 1", "none"),
            ("medium 1", "medium"),
            ("low 1", "low"),
            ("high 2", "high"),
            ("none 2", "none"),
        ]
    ]
    by_title = {task["title"]: task["id"] for task in tasks}

    listed = listed_ids(client, alice, sort="priority")

    expected = ["high 2", "high 1", "medium 1", "low 1", "none 2", "none 1"]
    assert listed == [by_title[title] for title in expected]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_equal_priority_and_created_at_are_ordered_by_id_in_the_same_direction(
    client: TestClient, engine: Engine, alice: Account, order: str
) -> None:
    tied = [create_task(client, alice, f"tied {n}", priority="medium")["id"] for n in range(4)]
    set_created_at(engine, tied, datetime(2026, 1, 1, tzinfo=UTC))
    high = create_task(client, alice, "high", priority="high")["id"]

    listed = listed_ids(client, alice, sort="priority", order=order)

    assert listed == ([*sorted(tied), high] if order == "asc" else [high, *sorted(tied, reverse=True)])


def test_sort_by_priority_follows_a_changed_priority(client: TestClient, alice: Account) -> None:
    first = create_task(client, alice, "first", priority="low")
    second = create_task(client, alice, "second", priority="medium")

    client.patch(f"{alice.tasks_url}/{first['id']}", json={"priority": "high"}, headers=alice.headers)

    assert listed_ids(client, alice, sort="priority") == [first["id"], second["id"]]


@pytest.mark.parametrize("sort", ["PRIORITY", "due", "dueAt", "tags"])
def test_unknown_sort_is_still_400(client: TestClient, alice: Account, sort: str) -> None:
    assert list_status(client, alice, sort=sort) == 400


def test_a_filter_400_is_a_list_of_issues(client: TestClient, alice: Account) -> None:
    response: httpx.Response = client.get(alice.tasks_url, params={"priority": "urgent"}, headers=alice.headers)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all(set(issue) == {"loc", "msg", "type"} for issue in detail)
