"""One task: GET, PUT (full replacement), DELETE and PATCH .../complete, for its owner and for others."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Account


def create_task(client: TestClient, account: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "Buy milk", **fields}
    response = client.post(account.tasks_url, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def task_url(account: Account, task_id: str) -> str:
    return f"{account.tasks_url}/{task_id}"


def get(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.get(task_url(account, task_id), headers=account.headers)


def put(client: TestClient, account: Account, task_id: str, body: Any) -> httpx.Response:
    return client.put(task_url(account, task_id), json=body, headers=account.headers)


def complete(client: TestClient, account: Account, task_id: str, body: Any = None) -> httpx.Response:
    url = f"{task_url(account, task_id)}/complete"
    if body is None:
        return client.patch(url, headers=account.headers)
    return client.patch(url, json=body, headers=account.headers)


def delete(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.delete(task_url(account, task_id), headers=account.headers)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def replacement(**fields: Any) -> dict[str, Any]:
    return {"title": "Buy bread", "description": "Wholemeal", "completed": False, **fields}


# GET


def test_get_returns_the_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, description="Two litres")

    assert ok(get(client, alice, task["id"])) == task


# PUT


def test_put_replaces_every_field(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, description="Two litres")

    updated = ok(put(client, alice, task["id"], {"title": " Buy bread ", "description": "Rye", "completed": True}))

    assert updated["id"] == task["id"]
    assert updated["user_id"] == alice.id
    assert (updated["title"], updated["description"], updated["completed"]) == ("Buy bread", "Rye", True)
    assert updated["created_at"] == task["created_at"]
    assert ok(get(client, alice, task["id"])) == updated


def test_put_may_set_description_to_null(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, description="Two litres")

    updated = ok(put(client, alice, task["id"], replacement(description=None)))

    assert updated["description"] is None


@pytest.mark.parametrize("missing", ["title", "description", "completed"])
def test_put_without_one_of_the_three_fields_is_400(client: TestClient, alice: Account, missing: str) -> None:
    task = create_task(client, alice)
    body = replacement()
    del body[missing]

    response = put(client, alice, task["id"], body)

    assert response.status_code == 400, response.text
    assert ok(get(client, alice, task["id"])) == task


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(replacement(title=""), id="empty title"),
        pytest.param(
            replacement(title="   "),
            id="blank title",
        ),
        pytest.param(replacement(title="x" * 256), id="title of 256 characters"),
        pytest.param(replacement(description="d" * 10_001), id="description of 10001 characters"),
        pytest.param(replacement(completed="true"), id="completed 'true'"),
        pytest.param(replacement(completed=1), id="completed 1"),
        pytest.param([replacement()], id="JSON array"),
    ],
)
def test_put_with_an_invalid_body_is_400(client: TestClient, alice: Account, body: Any) -> None:
    task = create_task(client, alice)

    assert put(client, alice, task["id"], body).status_code == 400


def test_put_moves_updated_at_forward(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    updated = ok(put(client, alice, task["id"], replacement()))

    assert moment(updated["updated_at"]) > moment(task["updated_at"])


def test_put_that_changes_nothing_keeps_updated_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, description="Two litres")

    same = ok(put(client, alice, task["id"], {"title": "Buy milk", "description": "Two litres", "completed": False}))

    assert same == task


def test_put_completing_sets_completed_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    updated = ok(put(client, alice, task["id"], replacement(completed=True)))

    assert updated["completed"] is True
    assert moment(task["updated_at"]) <= moment(updated["completed_at"]) <= moment(updated["updated_at"])


def test_put_reopening_clears_completed_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, completed=True)

    updated = ok(put(client, alice, task["id"], replacement(completed=False)))

    assert updated["completed"] is False
    assert updated["completed_at"] is None


def test_put_on_a_completed_task_that_stays_completed_keeps_completed_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice, completed=True)

    updated = ok(put(client, alice, task["id"], replacement(completed=True)))

    assert updated["completed_at"] == task["completed_at"]
    assert moment(updated["updated_at"]) > moment(task["updated_at"])


def test_put_ignores_server_owned_fields(client: TestClient, alice: Account, bob: Account) -> None:
    task = create_task(client, alice)
    body = replacement(
        id=str(uuid.uuid4()),
        user_id=bob.id,
        created_at="2000-01-01T00:00:00Z",
        updated_at="2000-01-01T00:00:00Z",
        completed_at="2000-01-01T00:00:00Z",
    )

    updated = ok(put(client, alice, task["id"], body))

    assert (updated["id"], updated["user_id"], updated["created_at"]) == (task["id"], alice.id, task["created_at"])
    assert updated["completed_at"] is None
    assert moment(updated["updated_at"]) > moment(task["updated_at"])


# DELETE


def test_delete_is_204_with_an_empty_body(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    response = delete(client, alice, task["id"])

    assert response.status_code == 204
    assert response.content == b""


def test_second_delete_is_404(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    delete(client, alice, task["id"])

    assert delete(client, alice, task["id"]).status_code == 404


def test_get_after_delete_is_404(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    delete(client, alice, task["id"])

    assert get(client, alice, task["id"]).status_code == 404


def test_delete_removes_only_that_task(client: TestClient, alice: Account) -> None:
    doomed = create_task(client, alice, title="doomed")
    kept = create_task(client, alice, title="kept")

    delete(client, alice, doomed["id"])

    assert client.get(alice.tasks_url, headers=alice.headers).json()["items"] == [kept]


# PATCH .../complete


def test_complete_without_a_body_completes_the_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    done = ok(complete(client, alice, task["id"]))

    assert done["completed"] is True
    assert moment(task["updated_at"]) <= moment(done["completed_at"]) <= moment(done["updated_at"])
    assert moment(done["updated_at"]) > moment(task["updated_at"])


def test_complete_with_completed_true_completes_the_task(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    done = ok(complete(client, alice, task["id"], {"completed": True}))

    assert done["completed"] is True
    assert done["completed_at"] is not None


def test_completing_a_completed_task_keeps_completed_at_and_updated_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    first = ok(complete(client, alice, task["id"]))

    again = ok(complete(client, alice, task["id"]))

    assert again == first


def test_complete_with_completed_false_reopens_and_clears_completed_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    done = ok(complete(client, alice, task["id"]))

    reopened = ok(complete(client, alice, task["id"], {"completed": False}))

    assert reopened["completed"] is False
    assert reopened["completed_at"] is None
    assert moment(reopened["updated_at"]) > moment(done["updated_at"])


def test_reopening_an_open_task_keeps_updated_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)

    assert ok(complete(client, alice, task["id"], {"completed": False})) == task


def test_completing_again_after_reopening_stamps_a_new_completed_at(client: TestClient, alice: Account) -> None:
    task = create_task(client, alice)
    first = ok(complete(client, alice, task["id"]))
    complete(client, alice, task["id"], {"completed": False})

    second = ok(complete(client, alice, task["id"]))

    assert moment(second["completed_at"]) > moment(first["completed_at"])


@pytest.mark.parametrize("body", [{"completed": "no"}, {"completed": 0}, {"completed": None}, [True]])
def test_complete_with_an_invalid_body_is_400(client: TestClient, alice: Account, body: Any) -> None:
    task = create_task(client, alice)

    response = complete(client, alice, task["id"], body)

    assert response.status_code == 400, response.text
    assert ok(get(client, alice, task["id"])) == task


# Unknown and malformed task ids


def random_task_request(client: TestClient, alice: Account, method: str, task_id: str) -> httpx.Response:
    url = task_url(alice, task_id)
    if method == "PUT":
        return client.put(url, json=replacement(), headers=alice.headers)
    if method == "PATCH":
        return client.patch(f"{url}/complete", headers=alice.headers)
    return client.request(method, url, headers=alice.headers)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_unknown_task_id_is_404(client: TestClient, alice: Account, method: str) -> None:
    response = random_task_request(client, alice, method, str(uuid.uuid4()))

    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("task_id", ["not-a-uuid", "123", "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0"])
def test_non_uuid_task_id_is_400(client: TestClient, alice: Account, method: str, task_id: str) -> None:
    response = random_task_request(client, alice, method, task_id)

    assert response.status_code == 400, response.text
    assert isinstance(response.json()["detail"], list)


# Another user's task: bob's token, bob's own path, alice's task id


def bobs_attempt(client: TestClient, bob: Account, method: str, task_id: str) -> httpx.Response:
    url = f"{bob.tasks_url}/{task_id}"
    if method == "PUT":
        return client.put(url, json=replacement(completed=True), headers=bob.headers)
    if method == "PATCH":
        return client.patch(f"{url}/complete", headers=bob.headers)
    return client.request(method, url, headers=bob.headers)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_another_users_task_is_403(client: TestClient, alice: Account, bob: Account, method: str) -> None:
    task = create_task(client, alice)

    response = bobs_attempt(client, bob, method, task["id"])

    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_another_users_attempt_leaves_the_task_unchanged(
    client: TestClient, alice: Account, bob: Account, method: str
) -> None:
    task = create_task(client, alice)

    bobs_attempt(client, bob, method, task["id"])

    assert ok(get(client, alice, task["id"])) == task


def test_another_users_403_does_not_reveal_the_task(client: TestClient, alice: Account, bob: Account) -> None:
    task = create_task(client, alice, title="secret plans", description="very secret")

    response = bobs_attempt(client, bob, "GET", task["id"])

    assert "secret" not in response.text
