"""Idempotency-Key (contract C and D): a create or bulk request repeated with the same key and
body gets the first answer again (`Idempotent-Replayed: true`) and does nothing more; another
body is a 422; a repeat while the first runs is a 409; only 2xx answers are kept, for 24 hours,
per caller and route, in the same transaction as the request's effect."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, Row, func, select, text, update

from models.idempotency import IdempotencyKey
from models.task import Task
from services.idempotency import KEY_LIFETIME
from tests.support import DEFAULT_PASSWORD, TEST_SECRET, Account, Database

KEY = "5b7e4c1a-9d2f-4e8b-a3c6-0f1e2d3c4b5a"
BUY_MILK = {"title": "Buy milk", "priority": "high", "tags": ["dairy", "shop"]}
RACERS = 10
ALLOWED_ORIGIN = "http://localhost:5173"

KEYS = IdempotencyKey.metadata.tables["idempotency_keys"]
TASKS = Task.metadata.tables["tasks"]

# 255 visible ASCII characters: every one from "!" to "~", over and over.
VISIBLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))
LONGEST_KEY = (VISIBLE_ASCII * 3)[:255]


def keyed(account: Account, key: str | None) -> dict[str, str]:
    headers = dict(account.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def create(client: TestClient, account: Account, key: str | None, body: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(account.tasks_url, json=BUY_MILK if body is None else body, headers=keyed(account, key))


def create_raw(client: TestClient, account: Account, key: str, content: bytes) -> httpx.Response:
    headers = {**keyed(account, key), "Content-Type": "application/json"}
    return client.post(account.tasks_url, content=content, headers=headers)


def bulk(client: TestClient, account: Account, key: str | None, action: str, task_ids: list[str]) -> httpx.Response:
    body = {"action": action, "ids": task_ids}
    return client.post(f"{account.tasks_url}/bulk", json=body, headers=keyed(account, key))


def new_task(client: TestClient, account: Account, title: str = "Buy milk") -> dict[str, Any]:
    response = client.post(account.tasks_url, json={"title": title}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def fetch(client: TestClient, account: Account, task_id: str) -> httpx.Response:
    return client.get(f"{account.tasks_url}/{task_id}", headers=account.headers)


def total(client: TestClient, account: Account) -> int:
    response = client.get(f"{account.tasks_url}?limit=1", headers=account.headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


def titles(engine: Engine, account: Account) -> list[str]:
    """The titles of the account's task rows, straight from the database."""
    with engine.connect() as connection:
        rows = connection.execute(select(TASKS.c.title).where(TASKS.c.user_id == uuid.UUID(account.id)))
        return sorted(row.title for row in rows)


def stored_keys(engine: Engine, account: Account) -> list[Row[Any]]:
    with engine.connect() as connection:
        return list(connection.execute(select(KEYS).where(KEYS.c.user_id == uuid.UUID(account.id))))


def age_keys(engine: Engine, account: Account, age: timedelta) -> None:
    """Make the account's stored keys look `age` old."""
    with engine.begin() as connection:
        connection.execute(
            update(KEYS).where(KEYS.c.user_id == uuid.UUID(account.id)).values(created_at=datetime.now(UTC) - age)
        )


def assert_replay_of(replay: httpx.Response, first: httpx.Response) -> None:
    assert replay.status_code == first.status_code, replay.text
    assert replay.content == first.content
    assert replay.headers.get("Location") == first.headers.get("Location")
    assert replay.headers.get("ETag") == first.headers.get("ETag")
    assert replay.headers["content-type"].startswith("application/json")
    assert replay.headers["Idempotent-Replayed"] == "true"


def assert_not_a_replay(response: httpx.Response) -> None:
    assert "Idempotent-Replayed" not in response.headers


# Without a key nothing changes


def test_a_repeated_create_without_a_key_creates_a_task_each_time(client: TestClient, alice: Account) -> None:
    first = create(client, alice, None)
    second = create(client, alice, None)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert_not_a_replay(second)
    assert total(client, alice) == 2


# A repeat with the same key and body


def test_the_first_answer_with_a_key_is_a_plain_201_without_idempotent_replayed(
    client: TestClient, alice: Account
) -> None:
    response = create(client, alice, KEY)

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Buy milk"
    assert response.headers["Location"] == f"{alice.tasks_url}/{response.json()['id']}"
    assert response.headers["ETag"] == '"1"'
    assert_not_a_replay(response)


def test_a_repeat_with_the_same_key_and_body_gets_the_first_answer_again(client: TestClient, alice: Account) -> None:
    first = create(client, alice, KEY)

    replay = create(client, alice, KEY)

    assert_replay_of(replay, first)


def test_a_repeat_with_the_same_key_and_body_creates_nothing(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    first = create(client, alice, KEY)

    for _ in range(3):
        create(client, alice, KEY)

    assert total(client, alice) == 1
    assert titles(engine, alice) == ["Buy milk"]
    assert fetch(client, alice, first.json()["id"]).status_code == 200


def test_the_same_json_with_another_key_order_and_white_space_is_the_same_body(
    client: TestClient, alice: Account
) -> None:
    first = create_raw(client, alice, KEY, b'{"title":"Buy milk","priority":"high","tags":["dairy","shop"]}')

    replay = create_raw(
        client,
        alice,
        KEY,
        b'{\n  "tags" : [ "dairy", "shop" ],\n\t"priority": "high",  "title": "Buy m\\u0069lk"\n}',
    )

    assert first.status_code == 201, first.text
    assert_replay_of(replay, first)
    assert total(client, alice) == 1


def test_a_replay_after_the_task_was_deleted_still_answers_the_stored_201(client: TestClient, alice: Account) -> None:
    first = create(client, alice, KEY)
    assert client.delete(first.headers["Location"], headers=alice.headers).status_code == 204

    replay = create(client, alice, KEY)

    assert_replay_of(replay, first)
    assert total(client, alice) == 0
    assert fetch(client, alice, first.json()["id"]).status_code == 404


def test_a_replay_answers_the_first_version_even_after_the_task_changed(client: TestClient, alice: Account) -> None:
    first = create(client, alice, KEY)
    patched = client.patch(first.headers["Location"], json={"title": "Buy bread"}, headers=alice.headers)
    assert patched.status_code == 200, patched.text

    replay = create(client, alice, KEY)

    assert_replay_of(replay, first)
    assert replay.json()["version"] == 1
    assert fetch(client, alice, first.json()["id"]).json()["title"] == "Buy bread"


def test_a_key_of_255_visible_ascii_characters_is_accepted_and_replays(client: TestClient, alice: Account) -> None:
    assert len(LONGEST_KEY) == 255

    first = create(client, alice, LONGEST_KEY)
    replay = create(client, alice, LONGEST_KEY)

    assert first.status_code == 201, first.text
    assert_replay_of(replay, first)
    assert total(client, alice) == 1


# The same key with another body


@pytest.mark.parametrize(
    "other",
    [
        {"title": "Buy bread", "priority": "high", "tags": ["dairy", "shop"]},
        {"title": "Buy milk", "priority": "high", "tags": ["shop", "dairy"]},  # arrays keep their order
        {"title": "Buy milk", "priority": "high", "tags": ["dairy", "shop"], "completed": False},
    ],
    ids=["another title", "tags in another order", "one more field"],
)
def test_the_same_key_with_another_body_is_422_with_a_detail(
    client: TestClient, alice: Account, other: dict[str, Any]
) -> None:
    create(client, alice, KEY)

    response = create(client, alice, KEY, other)

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert_not_a_replay(response)


def test_the_same_key_with_another_body_does_nothing(client: TestClient, alice: Account, engine: Engine) -> None:
    first = create(client, alice, KEY)

    create(client, alice, KEY, {"title": "Buy bread"})

    assert titles(engine, alice) == ["Buy milk"]
    assert_replay_of(create(client, alice, KEY), first)  # the key still holds the first answer


def test_bulk_with_the_same_key_and_another_body_is_422_and_does_nothing(client: TestClient, alice: Account) -> None:
    task = new_task(client, alice)
    assert bulk(client, alice, KEY, "complete", [task["id"]]).status_code == 200

    response = bulk(client, alice, KEY, "delete", [task["id"]])

    assert response.status_code == 422, response.text
    assert fetch(client, alice, task["id"]).json()["completed"] is True


# Scope: the caller and the route


def test_another_user_may_use_the_same_key_and_gets_a_task_of_his_own(
    client: TestClient, alice: Account, bob: Account
) -> None:
    alices = create(client, alice, KEY)

    bobs = create(client, bob, KEY)

    assert bobs.status_code == 201, bobs.text
    assert_not_a_replay(bobs)
    assert bobs.json()["user_id"] == bob.id
    assert bobs.json()["id"] != alices.json()["id"]
    assert total(client, bob) == 1
    assert total(client, alice) == 1


def test_another_users_use_of_a_key_leaves_mine_replaying_my_answer(
    client: TestClient, alice: Account, bob: Account
) -> None:
    first = create(client, alice, KEY)
    create(client, bob, KEY, {"title": "Something else"})

    assert_replay_of(create(client, alice, KEY), first)


def test_the_same_key_on_create_and_on_bulk_are_independent(client: TestClient, alice: Account) -> None:
    created = create(client, alice, KEY)

    response = bulk(client, alice, KEY, "complete", [created.json()["id"]])

    assert response.status_code == 200, response.text
    assert response.json() == {"action": "complete", "count": 1}
    assert_not_a_replay(response)
    assert fetch(client, alice, created.json()["id"]).json()["completed"] is True


# Bulk


def test_a_bulk_repeat_replays_the_stored_count_and_changes_nothing(client: TestClient, alice: Account) -> None:
    task = new_task(client, alice)
    first = bulk(client, alice, KEY, "complete", [task["id"]])
    version = fetch(client, alice, task["id"]).json()["version"]

    replay = bulk(client, alice, KEY, "complete", [task["id"]])

    assert first.json() == {"action": "complete", "count": 1}
    assert_replay_of(replay, first)
    assert replay.json() == {"action": "complete", "count": 1}
    assert fetch(client, alice, task["id"]).json()["version"] == version
    # A real second run would have found nothing to complete.
    assert bulk(client, alice, "another-key", "complete", [task["id"]]).json()["count"] == 0


def test_a_bulk_delete_repeat_replays_its_200_instead_of_a_404(client: TestClient, alice: Account) -> None:
    task = new_task(client, alice)
    first = bulk(client, alice, KEY, "delete", [task["id"]])

    replay = bulk(client, alice, KEY, "delete", [task["id"]])

    assert first.json() == {"action": "delete", "count": 1}
    assert_replay_of(replay, first)


# Only 2xx answers are stored


def test_a_create_refused_with_400_leaves_the_key_free(client: TestClient, alice: Account) -> None:
    refused = create(client, alice, KEY, {"title": ""})

    response = create(client, alice, KEY)

    assert refused.status_code == 400, refused.text
    assert response.status_code == 201, response.text
    assert_not_a_replay(response)
    assert total(client, alice) == 1


def test_a_bulk_refused_with_404_leaves_the_key_free_for_another_body(client: TestClient, alice: Account) -> None:
    task = new_task(client, alice)
    refused = bulk(client, alice, KEY, "complete", [str(uuid.uuid4())])

    response = bulk(client, alice, KEY, "complete", [task["id"]])

    assert refused.status_code == 404, refused.text
    assert response.status_code == 200, response.text
    assert response.json() == {"action": "complete", "count": 1}
    assert_not_a_replay(response)


def test_a_bulk_refused_with_403_leaves_the_key_free_for_another_body(
    client: TestClient, alice: Account, bob: Account
) -> None:
    mine = new_task(client, alice)
    bobs = new_task(client, bob)
    refused = bulk(client, alice, KEY, "complete", [bobs["id"]])

    response = bulk(client, alice, KEY, "complete", [mine["id"]])

    assert refused.status_code == 403, refused.text
    assert response.status_code == 200, response.text
    assert_not_a_replay(response)


def test_a_refused_request_stores_no_key(client: TestClient, alice: Account, engine: Engine) -> None:
    create(client, alice, KEY, {"title": ""})
    bulk(client, alice, KEY, "complete", [str(uuid.uuid4())])

    assert stored_keys(engine, alice) == []


# Malformed keys and bodies


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "two words", "tab\there", "\x7f"],
    ids=["empty", "256 characters", "a space", "a tab", "DEL"],
)
def test_a_malformed_key_is_400_and_creates_nothing(client: TestClient, alice: Account, key: str) -> None:
    response = create(client, alice, key)

    assert response.status_code == 400, response.text
    assert response.json()["detail"]
    assert total(client, alice) == 0


def test_a_non_ascii_key_is_400_and_creates_nothing(client: TestClient, alice: Account) -> None:
    headers = [(b"Authorization", f"Bearer {alice.token}".encode()), (b"Idempotency-Key", "cl\u00e9".encode())]

    response = client.post(alice.tasks_url, json=BUY_MILK, headers=headers)

    assert response.status_code == 400, response.text
    assert total(client, alice) == 0


def test_a_malformed_key_on_bulk_is_400_and_changes_nothing(client: TestClient, alice: Account) -> None:
    task = new_task(client, alice)

    response = bulk(client, alice, "", "complete", [task["id"]])

    assert response.status_code == 400, response.text
    assert fetch(client, alice, task["id"]).json()["completed"] is False


def test_json_under_another_content_type_with_a_key_is_400(client: TestClient, alice: Account) -> None:
    headers = {**keyed(alice, KEY), "Content-Type": "text/plain"}

    response = client.post(alice.tasks_url, content=json.dumps(BUY_MILK).encode(), headers=headers)

    assert response.status_code == 400, response.text
    assert total(client, alice) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"not json", "text/plain"), (b'{"title": "Buy milk"', "text/plain"), (b"\xff\xfe", "application/octet-stream")],
    ids=["not JSON", "truncated JSON", "not UTF-8"],
)
def test_a_body_that_is_not_json_with_a_key_is_400(
    client: TestClient, alice: Account, content: bytes, content_type: str
) -> None:
    headers = {**keyed(alice, KEY), "Content-Type": content_type}

    response = client.post(alice.tasks_url, content=content, headers=headers)

    assert response.status_code == 400, response.text
    assert total(client, alice) == 0


# Lifetime: 24 hours


def test_a_key_younger_than_24_hours_still_replays(client: TestClient, alice: Account, engine: Engine) -> None:
    first = create(client, alice, KEY)
    age_keys(engine, alice, KEY_LIFETIME - timedelta(minutes=1))

    assert_replay_of(create(client, alice, KEY), first)
    assert total(client, alice) == 1


def test_a_key_older_than_24_hours_is_forgotten_and_creates_anew(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    first = create(client, alice, KEY)
    age_keys(engine, alice, KEY_LIFETIME + timedelta(minutes=1))

    second = create(client, alice, KEY)

    assert second.status_code == 201, second.text
    assert_not_a_replay(second)
    assert second.json()["id"] != first.json()["id"]
    assert titles(engine, alice) == ["Buy milk", "Buy milk"]


def test_an_expired_key_may_come_with_another_body(client: TestClient, alice: Account, engine: Engine) -> None:
    create(client, alice, KEY)
    age_keys(engine, alice, KEY_LIFETIME + timedelta(minutes=1))

    response = create(client, alice, KEY, {"title": "Buy bread"})

    assert response.status_code == 201, response.text
    assert titles(engine, alice) == ["Buy bread", "Buy milk"]
    assert_replay_of(create(client, alice, KEY, {"title": "Buy bread"}), response)


# What is stored, and when


def test_the_key_is_stored_once_with_the_first_answer(client: TestClient, alice: Account, engine: Engine) -> None:
    first = create(client, alice, KEY)
    create(client, alice, KEY)

    [row] = stored_keys(engine, alice)

    assert (row.route, row.key, row.status_code) == ("tasks_create", KEY, 201)
    assert json.loads(row.body) == first.json()


def test_the_stored_answer_holds_no_token_or_secret(client: TestClient, alice: Account, engine: Engine) -> None:
    task = create(client, alice, KEY).json()
    bulk(client, alice, KEY, "complete", [task["id"]])

    rows = stored_keys(engine, alice)
    stored = json.dumps([{**row._mapping, "created_at": None} for row in rows], default=str)

    assert len(rows) == 2
    for secret in (alice.token, DEFAULT_PASSWORD, TEST_SECRET, "Bearer", "$2b$"):
        assert secret not in stored
    for row in rows:
        assert {name.lower() for name in row.headers} <= {"location", "etag"}


@pytest.fixture
def unstorable_key(engine: Engine, database: Database) -> Iterator[str]:
    """A key the database refuses to store, so that the request fails after its effect ran."""
    key = "unstorable"
    if database.is_postgres:
        add = f"ALTER TABLE idempotency_keys ADD CONSTRAINT test_unstorable CHECK (key <> '{key}')"
        remove = "ALTER TABLE idempotency_keys DROP CONSTRAINT test_unstorable"
    else:
        add = (
            "CREATE TRIGGER test_unstorable BEFORE INSERT ON idempotency_keys "
            f"WHEN NEW.key = '{key}' BEGIN SELECT RAISE(ABORT, 'unstorable key'); END"
        )
        remove = "DROP TRIGGER test_unstorable"
    with engine.begin() as connection:
        connection.execute(text(add))
    try:
        yield key
    finally:
        with engine.begin() as connection:
            connection.execute(text(remove))


def test_a_create_whose_key_cannot_be_stored_creates_no_task(
    client: TestClient, alice: Account, engine: Engine, unstorable_key: str
) -> None:
    response = create(client, alice, unstorable_key)

    assert response.status_code != 201, response.text
    assert titles(engine, alice) == []
    assert stored_keys(engine, alice) == []
    assert create(client, alice, KEY).status_code == 201  # the service goes on


def test_a_bulk_whose_key_cannot_be_stored_changes_nothing(
    client: TestClient, alice: Account, unstorable_key: str
) -> None:
    task = new_task(client, alice)

    response = bulk(client, alice, unstorable_key, "complete", [task["id"]])

    assert response.status_code != 200, response.text
    assert fetch(client, alice, task["id"]).json()["completed"] is False


# Concurrency (PostgreSQL: SQLite runs one writer at a time)


@pytest.mark.postgres_only
def test_concurrent_requests_with_one_key_create_exactly_one_task(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    start = threading.Barrier(RACERS)

    def attempt(_: int) -> httpx.Response:
        start.wait()
        return create(client, alice, KEY)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        responses = list(pool.map(attempt, range(RACERS)))

    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    originals = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {originals[0].json()["id"]}
    assert titles(engine, alice) == ["Buy milk"]


def hold_key_lock(connection: Connection, account: Account, route: str, key: str) -> None:
    """Take the advisory lock the app takes for a key while its first request runs."""
    connection.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"{account.id}/{route}/{key}", 0))))


@pytest.mark.postgres_only
def test_a_create_while_the_first_with_its_key_is_running_is_409(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    with engine.connect() as connection:
        hold_key_lock(connection, alice, "tasks_create", KEY)
        response = create(client, alice, KEY)
        connection.rollback()

    assert response.status_code == 409, response.text
    assert isinstance(response.json()["detail"], str)
    assert titles(engine, alice) == []
    assert stored_keys(engine, alice) == []


@pytest.mark.postgres_only
def test_after_a_409_the_key_creates_once_the_first_request_is_over(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    with engine.connect() as connection:
        hold_key_lock(connection, alice, "tasks_create", KEY)
        create(client, alice, KEY)
        connection.rollback()

    response = create(client, alice, KEY)

    assert response.status_code == 201, response.text
    assert_not_a_replay(response)
    assert titles(engine, alice) == ["Buy milk"]


@pytest.mark.postgres_only
def test_a_bulk_while_the_first_with_its_key_is_running_is_409_and_changes_nothing(
    client: TestClient, alice: Account, engine: Engine
) -> None:
    task = new_task(client, alice)
    with engine.connect() as connection:
        hold_key_lock(connection, alice, "tasks_bulk", KEY)
        response = bulk(client, alice, KEY, "complete", [task["id"]])
        connection.rollback()

    assert response.status_code == 409, response.text
    assert fetch(client, alice, task["id"]).json()["completed"] is False


@pytest.mark.postgres_only
def test_another_key_is_not_held_up_by_a_running_one(client: TestClient, alice: Account, engine: Engine) -> None:
    with engine.connect() as connection:
        hold_key_lock(connection, alice, "tasks_create", KEY)
        response = create(client, alice, "another-key")
        connection.rollback()

    assert response.status_code == 201, response.text


# CORS


def test_a_preflight_allows_the_idempotency_key_header(client: TestClient) -> None:
    response = client.options(
        f"/api/{uuid.uuid4()}/tasks",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )

    assert response.status_code == 200
    allowed = {part.strip().lower() for part in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert "idempotency-key" in allowed


def test_idempotent_replayed_is_exposed_to_the_browser(client: TestClient, alice: Account) -> None:
    headers = {**keyed(alice, KEY), "Origin": ALLOWED_ORIGIN}
    client.post(alice.tasks_url, json=BUY_MILK, headers=headers)

    replay = client.post(alice.tasks_url, json=BUY_MILK, headers=headers)

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = {part.strip().lower() for part in replay.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"idempotent-replayed", "location", "etag"} <= exposed
