"""The list's `total` comes from per-user counters kept with every task write: they must
always agree with the tasks themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.support import Account, migrate


def totals(client: TestClient, account: Account) -> dict[str, int]:
    def total(query: str) -> int:
        response = client.get(f"{account.tasks_url}?limit=1{query}", headers=account.headers)
        assert response.status_code == 200
        count: int = response.json()["total"]
        return count

    return {"all": total(""), "completed": total("&completed=true"), "open": total("&completed=false")}


def create(client: TestClient, account: Account, **fields: Any) -> str:
    response = client.post(account.tasks_url, json={"title": "t", **fields}, headers=account.headers)
    assert response.status_code == 201
    task_id: str = response.json()["id"]
    return task_id


def test_totals_follow_every_kind_of_write(client: TestClient, alice: Account) -> None:
    url, headers = alice.tasks_url, alice.headers
    first = create(client, alice)
    second = create(client, alice, completed=True)
    third = create(client, alice)
    assert totals(client, alice) == {"all": 3, "completed": 1, "open": 2}

    client.patch(f"{url}/{first}/complete", headers=headers)
    client.patch(f"{url}/{first}/complete", headers=headers)  # no change: counted once
    assert totals(client, alice) == {"all": 3, "completed": 2, "open": 1}

    client.patch(f"{url}/{second}/complete", json={"completed": False}, headers=headers)
    client.put(f"{url}/{third}", json={"title": "t", "description": None, "completed": True}, headers=headers)
    assert totals(client, alice) == {"all": 3, "completed": 2, "open": 1}

    client.delete(f"{url}/{first}", headers=headers)
    client.delete(f"{url}/{second}", headers=headers)
    assert totals(client, alice) == {"all": 1, "completed": 1, "open": 0}


def test_another_users_writes_do_not_move_my_totals(client: TestClient, alice: Account, bob: Account) -> None:
    create(client, alice)
    create(client, bob, completed=True)

    assert totals(client, alice) == {"all": 1, "completed": 0, "open": 1}


def test_a_user_without_tasks_has_zero_totals(client: TestClient, alice: Account) -> None:
    assert totals(client, alice) == {"all": 0, "completed": 0, "open": 0}


def test_the_migration_counts_the_tasks_that_already_exist(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
    migrate(url, "0002")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users VALUES ('00000000000000000000000000000001', 'u', 'u@example.com', 'x', '2026-01-01')"
            )
        )
        for n, completed in enumerate([True, False, True]):
            connection.execute(
                text(
                    "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at) "
                    "VALUES (:id, '00000000000000000000000000000001', 't', :completed, '2026-01-01', '2026-01-01')"
                ),
                {"id": f"{n:032d}", "completed": completed},
            )

    migrate(url, "0003")

    with engine.connect() as connection:
        assert connection.execute(text("SELECT total, completed FROM task_totals")).one() == (3, 2)
    engine.dispose()
