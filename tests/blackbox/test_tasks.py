"""A task's life over HTTP: create, read, list, replace, complete, reopen, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.support import TASK_KEYS, Account

MakeTask = Callable[..., dict[str, Any]]


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.utcoffset() is not None, f"{value} has no offset"
    return moment


def test_create_task_answers_201_with_location(api: httpx.Client, owner: Account) -> None:
    response = api.post(owner.tasks_url, json={"title": "  Buy milk  "}, headers=owner.headers)
    assert response.status_code == 201, response.text
    task = response.json()
    assert set(task) == TASK_KEYS
    assert uuid.UUID(task["id"])
    assert task["user_id"] == owner.id
    assert task["title"] == "Buy milk"  # surrounding whitespace is trimmed
    assert task["description"] is None
    assert task["completed"] is False
    assert task["completed_at"] is None
    assert parse_time(task["created_at"]) == parse_time(task["updated_at"])
    location = response.headers["Location"]
    assert httpx.URL(location).path == f"{owner.tasks_url}/{task['id']}"


def test_location_of_a_created_task_serves_it(api: httpx.Client, owner: Account) -> None:
    created = api.post(owner.tasks_url, json={"title": "Call mum", "description": "Sunday"}, headers=owner.headers)
    assert created.status_code == 201, created.text
    response = api.get(created.headers["Location"], headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json() == created.json()


def test_list_reports_the_total_across_pages(
    api: httpx.Client, make_account: Callable[..., Account], make_task: MakeTask
) -> None:
    account = make_account()  # its own: the counts must not see other tests' tasks
    created = {make_task(account, f"task {n}")["id"] for n in range(3)}
    first = api.get(account.tasks_url, params={"limit": 2}, headers=account.headers)
    assert first.status_code == 200, first.text
    envelope = {k: v for k, v in first.json().items() if k not in ("items", "next_cursor")}
    assert envelope == {"total": 3, "limit": 2, "offset": 0}
    assert isinstance(first.json()["next_cursor"], str)
    second = api.get(account.tasks_url, params={"limit": 2, "offset": 2}, headers=account.headers)
    assert second.status_code == 200, second.text
    assert second.json()["total"] == 3
    pages = first.json()["items"] + second.json()["items"]
    assert len(pages) == 3
    assert {task["id"] for task in pages} == created


def test_list_sorts_by_title_ignoring_case(
    api: httpx.Client, make_account: Callable[..., Account], make_task: MakeTask
) -> None:
    account = make_account()
    # A case-sensitive (byte) order would give Apple, Cherry, banana.
    for title in ("banana", "Cherry", "Apple"):
        make_task(account, title)
    response = api.get(account.tasks_url, params={"sort": "title", "order": "asc"}, headers=account.headers)
    assert response.status_code == 200, response.text
    assert [task["title"] for task in response.json()["items"]] == ["Apple", "banana", "Cherry"]


def test_list_filters_by_completed(
    api: httpx.Client, make_account: Callable[..., Account], make_task: MakeTask
) -> None:
    account = make_account()
    done = make_task(account, "done", completed=True)
    open_ids = {make_task(account, f"open {n}")["id"] for n in range(2)}
    completed = api.get(account.tasks_url, params={"completed": "true"}, headers=account.headers)
    assert completed.status_code == 200, completed.text
    assert completed.json()["total"] == 1
    assert [task["id"] for task in completed.json()["items"]] == [done["id"]]
    still_open = api.get(account.tasks_url, params={"completed": "false"}, headers=account.headers)
    assert still_open.status_code == 200, still_open.text
    assert still_open.json()["total"] == 2
    assert {task["id"] for task in still_open.json()["items"]} == open_ids


def test_put_replaces_every_field(api: httpx.Client, owner: Account, make_task: MakeTask) -> None:
    task = make_task(owner, "Draft", description="old notes")
    url = f"{owner.tasks_url}/{task['id']}"
    response = api.put(url, json={"title": "Final", "description": None, "completed": True}, headers=owner.headers)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["completed"]) == ("Final", None, True)
    assert replaced["completed_at"] is not None
    assert replaced["created_at"] == task["created_at"]
    assert parse_time(replaced["updated_at"]) > parse_time(task["updated_at"])
    assert api.get(url, headers=owner.headers).json() == replaced


def test_completing_twice_keeps_the_first_completed_at(api: httpx.Client, owner: Account, make_task: MakeTask) -> None:
    task = make_task(owner, "Water plants")
    url = f"{owner.tasks_url}/{task['id']}/complete"
    first = api.patch(url, headers=owner.headers)  # no body: complete
    assert first.status_code == 200, first.text
    assert first.json()["completed"] is True
    assert first.json()["completed_at"] is not None
    second = api.patch(url, headers=owner.headers)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()  # same completed_at, and updated_at did not move


def test_complete_with_false_reopens_the_task(api: httpx.Client, owner: Account, make_task: MakeTask) -> None:
    task = make_task(owner, "Pay rent", completed=True)
    assert task["completed_at"] is not None
    response = api.patch(f"{owner.tasks_url}/{task['id']}/complete", json={"completed": False}, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["completed"] is False
    assert response.json()["completed_at"] is None


def test_delete_answers_204_then_404(api: httpx.Client, owner: Account, make_task: MakeTask) -> None:
    task = make_task(owner, "Temporary")
    url = f"{owner.tasks_url}/{task['id']}"
    deleted = api.delete(url, headers=owner.headers)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert api.get(url, headers=owner.headers).status_code == 404
    again = api.delete(url, headers=owner.headers)
    assert again.status_code == 404, again.text
    assert isinstance(again.json()["detail"], str)
