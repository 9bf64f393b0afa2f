"""Delta sync under concurrent writes: a client that keeps syncing while other requests
create, change, delete and restore tasks ends with exactly the server's tasks. This is what
the change counter's row lock is for: one owner's writes commit in the order of their stamps,
so a sync never reads past a write that commits later with a smaller stamp."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Account

WRITERS = 4
WRITES_EACH = 40


class SyncedCopy:
    """What an offline-first client holds: tasks by id, moved only by `/changes` answers."""

    def __init__(self, client: TestClient, account: Account) -> None:
        self.client, self.account = client, account
        self.tasks: dict[str, dict[str, Any]] = {}
        self.since: str | None = None

    def sync(self) -> None:
        while True:
            params = {} if self.since is None else {"since": self.since}
            response = self.client.get(f"{self.account.tasks_url}/changes", params=params, headers=self.account.headers)
            assert response.status_code == 200, response.text
            answer = response.json()
            for task in answer["changed"]:
                self.tasks[task["id"]] = task
            for task_id in answer["deleted"]:
                self.tasks.pop(task_id, None)
            self.since = answer["next_since"]
            if not answer["has_more"]:
                return


def write_at_random(client: TestClient, account: Account, seed: int, start: threading.Barrier) -> None:
    chance = random.Random(seed)
    mine: list[str] = []
    trashed: list[str] = []
    start.wait()
    for number in range(WRITES_EACH):
        url, headers = account.tasks_url, account.headers
        move = chance.choice(["create", "create", "patch", "complete", "delete", "restore"])
        if move == "create" or not mine:
            answer = client.post(url, json={"title": f"writer {seed} task {number}"}, headers=headers)
            assert answer.status_code == 201, answer.text
            mine.append(answer.json()["id"])
        elif move == "patch":
            answer = client.patch(f"{url}/{chance.choice(mine)}", json={"priority": "high"}, headers=headers)
            assert answer.status_code == 200, answer.text
        elif move == "complete":
            answer = client.patch(f"{url}/{chance.choice(mine)}/complete", headers=headers)
            assert answer.status_code == 200, answer.text
        elif move == "delete":
            task_id = mine.pop(chance.randrange(len(mine)))
            assert client.delete(f"{url}/{task_id}", headers=headers).status_code == 204
            trashed.append(task_id)
        elif trashed:
            task_id = trashed.pop()
            assert client.post(f"{url}/{task_id}/restore", headers=headers).status_code == 200
            mine.append(task_id)


def server_tasks(client: TestClient, account: Account) -> dict[str, int]:
    found: dict[str, int] = {}
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get(account.tasks_url, params=params, headers=account.headers).json()
        found.update({task["id"]: task["version"] for task in page["items"]})
        if page["next_cursor"] is None:
            return found
        params = {"limit": 100, "cursor": page["next_cursor"]}


@pytest.mark.postgres_only
def test_a_client_syncing_during_concurrent_writes_ends_with_exactly_the_servers_tasks(
    client: TestClient, alice: Account
) -> None:
    copy = SyncedCopy(client, alice)
    start = threading.Barrier(WRITERS + 1)
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        writes = [pool.submit(write_at_random, client, alice, seed, start) for seed in range(WRITERS)]
        start.wait()
        while not all(write.done() for write in writes):
            copy.sync()
        for write in writes:
            write.result()  # a writer's failed assertion fails the test

    copy.sync()

    assert {task_id: task["version"] for task_id, task in copy.tasks.items()} == server_tasks(client, alice)


def test_a_sync_right_after_a_full_sync_is_empty(client: TestClient, alice: Account) -> None:
    copy = SyncedCopy(client, alice)
    client.post(alice.tasks_url, json={"title": "kept"}, headers=alice.headers)
    gone = client.post(alice.tasks_url, json={"title": "gone"}, headers=alice.headers).json()
    client.delete(f"{alice.tasks_url}/{gone['id']}", headers=alice.headers)
    copy.sync()

    answer = client.get(f"{alice.tasks_url}/changes", params={"since": copy.since}, headers=alice.headers).json()

    assert (answer["changed"], answer["deleted"], answer["has_more"]) == ([], [], False)
