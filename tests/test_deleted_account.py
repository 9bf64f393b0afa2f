"""A deleted account's token gets no 2xx from any task route. The routes prove the account
exists through what they read anyway (a task found or inserted under its id; an empty page
asks), and the middleware asks before any 4xx: every path ends in a 401."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support import Account
from tests.test_tokens import delete_user

TASK = {"title": "t", "description": None, "completed": False}

ROUTES: dict[str, tuple[str, str, Any]] = {
    "create": ("POST", "", TASK),
    "list": ("GET", "", None),
    "list past the end": ("GET", "?offset=40", None),
    "list completed": ("GET", "?completed=true", None),
    "get": ("GET", "/{task}", None),
    "replace": ("PUT", "/{task}", TASK),
    "complete": ("PATCH", "/{task}/complete", None),
    "reopen": ("PATCH", "/{task}/complete", {"completed": False}),
    "delete": ("DELETE", "/{task}", None),
}


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES.values(), ids=ROUTES.keys())
def test_every_task_route_refuses_a_deleted_accounts_token(
    client: TestClient, engine: Engine, alice: Account, method: str, suffix: str, body: Any
) -> None:
    task = client.post(alice.tasks_url, json={"title": "mine"}, headers=alice.headers).json()["id"]
    delete_user(engine, alice)  # and, by the foreign key, her tasks

    response = client.request(method, alice.tasks_url + suffix.format(task=task), json=body, headers=alice.headers)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
