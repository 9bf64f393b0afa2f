"""Who gets in and what a refusal looks like: 401, 403, 400, 404 and 413 over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support import Account

MAX_BODY_BYTES = 1024 * 1024  # the contract's default limit


def assert_bearer_challenge(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    assert isinstance(response.json()["detail"], str)


def test_task_route_without_token_is_401_with_bearer_challenge(api: httpx.Client, owner: Account) -> None:
    assert_bearer_challenge(api.get(owner.tasks_url))


def test_unknown_api_path_without_token_is_401_not_404(api: httpx.Client) -> None:
    # Without a token nothing is revealed, not even whether a route exists.
    assert_bearer_challenge(api.get(f"/api/{uuid.uuid4()}/no-such-route"))
    assert_bearer_challenge(api.post("/api/no-such-route", json={}))


@pytest.mark.parametrize("whose", ["another_user", "unknown_uuid", "not_a_uuid", "auth"])
def test_foreign_path_user_id_is_403_even_with_malformed_json(
    api: httpx.Client, owner: Account, stranger: Account, whose: str
) -> None:
    # "auth": /api/auth/tasks also matches /api/{user_id}/tasks, though /api/auth/* is public.
    path_user_id = {
        "another_user": stranger.id,
        "unknown_uuid": str(uuid.uuid4()),
        "not_a_uuid": "me",
        "auth": "auth",
    }[whose]
    response = api.post(
        f"/api/{path_user_id}/tasks",
        content=b'{"title": ',  # 403 comes before any look at the body
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 403, response.text
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"title": "mine now", "description": None, "completed": True}),
        ("PATCH", "/complete", None),
        ("DELETE", "", None),
    ],
    ids=["get", "put", "complete", "delete"],
)
def test_another_users_task_is_403_and_left_alone(
    api: httpx.Client,
    owner: Account,
    stranger: Account,
    make_task: Callable[..., dict[str, Any]],
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    task = make_task(owner, "Private")
    response = api.request(method, f"{stranger.tasks_url}/{task['id']}{suffix}", json=body, headers=stranger.headers)
    assert response.status_code == 403, response.text
    assert api.get(f"{owner.tasks_url}/{task['id']}", headers=owner.headers).json() == task


def test_non_uuid_task_id_is_400(api: httpx.Client, owner: Account) -> None:
    response = api.get(f"{owner.tasks_url}/not-a-uuid", headers=owner.headers)
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], list)


def test_unknown_task_is_404(api: httpx.Client, owner: Account) -> None:
    response = api.get(f"{owner.tasks_url}/{uuid.uuid4()}", headers=owner.headers)
    assert response.status_code == 404, response.text
    assert isinstance(response.json()["detail"], str)


def oversized_task_body() -> bytes:
    body = b'{"title": "big", "description": "' + b"x" * MAX_BODY_BYTES + b'"}'
    assert len(body) > MAX_BODY_BYTES
    return body


def test_body_over_one_mebibyte_is_413_with_json_detail(api: httpx.Client, owner: Account) -> None:
    response = api.post(
        owner.tasks_url, content=oversized_task_body(), headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


def test_chunked_body_over_one_mebibyte_is_413_with_json_detail(api: httpx.Client, owner: Account) -> None:
    body = oversized_task_body()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = api.post(
        owner.tasks_url, content=chunks(), headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413, response.text
    assert isinstance(response.json()["detail"], str)
