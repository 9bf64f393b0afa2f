"""The contract's order of checks on a task route: 401 (token), then 403 (path user_id),
then 400 (validation), then 404 / 403 (the task itself)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Account

MALFORMED_JSON = b'{"title": '
JSON = {"Content-Type": "application/json"}


def create_task(client: TestClient, account: Account) -> str:
    response = client.post(account.tasks_url, json={"title": "Buy milk"}, headers=account.headers)
    assert response.status_code == 201, response.text
    task_id: str = response.json()["id"]
    return task_id


def assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert "detail" in response.json()


# 401 first: a request without a valid token learns nothing else


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        pytest.param("GET", "/api/{other}/tasks", None, id="foreign path"),
        pytest.param("GET", "/api/me/tasks", None, id="non-UUID path user id"),
        pytest.param("POST", "/api/{own}/tasks", MALFORMED_JSON, id="malformed JSON"),
        pytest.param("POST", "/api/{own}/tasks", b'{"title": ""}', id="invalid body"),
        pytest.param("GET", "/api/{own}/tasks/not-a-uuid", None, id="non-UUID task id"),
        pytest.param("GET", "/api/{own}/tasks/{random}", None, id="unknown task"),
        pytest.param("GET", "/api/{own}/tasks?limit=0", None, id="bad query"),
        pytest.param("DELETE", "/api/{own}/tasks", None, id="method not allowed"),
        pytest.param("GET", "/api/no/such/route", None, id="unknown route"),
    ],
)
def test_no_token_is_401_before_anything_else(
    client: TestClient, alice: Account, method: str, path: str, content: bytes | None
) -> None:
    url = path.format(own=alice.id, other=uuid.uuid4(), random=uuid.uuid4())

    response = client.request(method, url, content=content, headers=JSON)

    assert_status(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_invalid_token_is_401_before_a_foreign_path(client: TestClient, bob: Account) -> None:
    response = client.get(bob.tasks_url, headers={"Authorization": "Bearer not-a-token"})

    assert_status(response, 401)


# Then 403 for a path user_id that is not the caller's, UUID or not


FOREIGN_USER_IDS = ["bob", "random-uuid", "me", "123", "alice-id-plus-a-digit"]


def foreign_user_id(which: str, alice: Account, bob: Account) -> str:
    return {
        "bob": bob.id,
        "random-uuid": str(uuid.uuid4()),
        "alice-id-plus-a-digit": alice.id + "0",
    }.get(which, which)


def foreign_request(
    client: TestClient, alice: Account, path_user_id: str, case: str, existing_task_id: str
) -> httpx.Response:
    base = f"/api/{path_user_id}/tasks"
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "list": ("GET", base, {}),
        "create": ("POST", base, {"json": {"title": "Buy milk"}}),
        "malformed JSON": ("POST", base, {"content": MALFORMED_JSON, "headers": JSON}),
        "invalid body": ("POST", base, {"json": {"title": "", "completed": "yes"}}),
        "no body": ("POST", base, {}),
        "bad query": ("GET", f"{base}?limit=0&sort=nope", {}),
        "non-UUID task id": ("GET", f"{base}/not-a-uuid", {}),
        "unknown task": ("GET", f"{base}/{uuid.uuid4()}", {}),
        "own task": ("GET", f"{base}/{existing_task_id}", {}),
        "put invalid body": ("PUT", f"{base}/{uuid.uuid4()}", {"json": {"title": 5}}),
        "patch invalid body": ("PATCH", f"{base}/{uuid.uuid4()}/complete", {"json": {"completed": "no"}}),
        "delete non-UUID task id": ("DELETE", f"{base}/42", {}),
    }
    method, url, options = requests[case]
    headers = {**alice.headers, **options.pop("headers", {})}
    return client.request(method, url, headers=headers, **options)


FOREIGN_CASES = [
    "list",
    "create",
    "malformed JSON",
    "invalid body",
    "no body",
    "bad query",
    "non-UUID task id",
    "unknown task",
    "own task",
    "put invalid body",
    "patch invalid body",
    "delete non-UUID task id",
]


@pytest.mark.parametrize("case", FOREIGN_CASES)
@pytest.mark.parametrize("which", FOREIGN_USER_IDS)
def test_foreign_path_user_id_is_403_before_validation_and_lookup(
    client: TestClient, alice: Account, bob: Account, which: str, case: str
) -> None:
    own_task = create_task(client, alice)

    response = foreign_request(client, alice, foreign_user_id(which, alice, bob), case, own_task)

    assert_status(response, 403)
    assert isinstance(response.json()["detail"], str)


def test_foreign_path_creates_nothing_for_anyone(client: TestClient, alice: Account, bob: Account) -> None:
    client.post(bob.tasks_url, json={"title": "planted"}, headers=alice.headers)

    assert client.get(bob.tasks_url, headers=bob.headers).json()["total"] == 0
    assert client.get(alice.tasks_url, headers=alice.headers).json()["total"] == 0


# Then 400 (validation) before the task's own 404 / 403


@pytest.mark.parametrize(
    ("method", "suffix", "options"),
    [
        pytest.param("PUT", "", {"json": {"title": ""}}, id="PUT invalid body"),
        pytest.param("PUT", "", {"content": MALFORMED_JSON, "headers": JSON}, id="PUT malformed JSON"),
        pytest.param("PUT", "", {}, id="PUT no body"),
        pytest.param("PATCH", "/complete", {"json": {"completed": "no"}}, id="PATCH invalid body"),
        pytest.param("PATCH", "/complete", {"content": MALFORMED_JSON, "headers": JSON}, id="PATCH malformed JSON"),
    ],
)
@pytest.mark.parametrize("task", ["unknown", "bob's"])
def test_validation_400_comes_before_the_tasks_404_or_403(
    client: TestClient, alice: Account, bob: Account, task: str, method: str, suffix: str, options: dict[str, Any]
) -> None:
    task_id = str(uuid.uuid4()) if task == "unknown" else create_task(client, bob)
    headers = {**alice.headers, **options.pop("headers", {})}

    response = client.request(method, f"{alice.tasks_url}/{task_id}{suffix}", headers=headers, **options)

    assert_status(response, 400)
    assert isinstance(response.json()["detail"], list)


def test_own_path_in_upper_case_is_not_a_server_error(client: TestClient, alice: Account) -> None:
    task_id = create_task(client, alice)

    listed = client.get(f"/api/{alice.id.upper()}/tasks", headers=alice.headers)
    fetched = client.get(f"/api/{alice.id.upper()}/tasks/{task_id.upper()}", headers=alice.headers)

    assert listed.status_code in {200, 403}, listed.text
    assert fetched.status_code in {200, 403}, fetched.text


# Routes and methods that do not exist


@pytest.mark.parametrize("path", ["/api/nothing", "/api/no/such/route", "/api/{own}/tasks/{task}/nothing"])
def test_unknown_route_under_api_with_a_valid_token_is_404(client: TestClient, alice: Account, path: str) -> None:
    url = path.format(own=alice.id, task=uuid.uuid4())

    response = client.get(url, headers=alice.headers)

    assert_status(response, 404)
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("DELETE", ""), ("PUT", ""), ("PATCH", ""), ("POST", "/{task}"), ("GET", "/{task}/complete")],
)
def test_method_not_allowed_is_405_with_detail(client: TestClient, alice: Account, method: str, suffix: str) -> None:
    url = alice.tasks_url + suffix.format(task=uuid.uuid4())

    response = client.request(method, url, headers=alice.headers)

    assert_status(response, 405)
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "suffix", "allowed"),
    [
        ("DELETE", "", {"GET", "POST"}),
        ("POST", "/{task}", {"GET", "PUT", "DELETE"}),
        ("GET", "/{task}/complete", {"PATCH"}),
    ],
)
def test_a_405_names_every_method_the_path_takes(
    client: TestClient, alice: Account, method: str, suffix: str, allowed: set[str]
) -> None:
    url = alice.tasks_url + suffix.format(task=uuid.uuid4())

    response = client.request(method, url, headers=alice.headers)

    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= allowed


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("action", ["bulk", "clear-completed"])
def test_the_collections_action_paths_take_only_post_and_are_not_task_ids(
    client: TestClient, alice: Account, method: str, action: str
) -> None:
    response = client.request(method, f"{alice.tasks_url}/{action}", headers=alice.headers)

    assert response.status_code == 405  # not a 400 for a malformed task id
    assert response.headers["Allow"] == "POST"
