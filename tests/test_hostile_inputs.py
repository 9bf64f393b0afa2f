"""Hostile inputs on every write and on the list query: each one a clear 4xx with a JSON
`detail`, never a 5xx (the `client` fixture fails any 5xx by itself), and nothing stored.

"Nothing stored" is checked on the rows themselves: the `users` and `tasks` tables read the
same before and after the request (a rejected replace or completion leaves its task as it was).
The task the task routes aim at is completed, so the valid bodies below would all change
something: a write that got through by mistake could not hide.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.support import DEFAULT_PASSWORD, Account

MAX_BODY_BYTES = 1024 * 1024  # the default limit, which the `client` fixture's app uses
DEPTH = 100_000


@dataclass(frozen=True)
class Write:
    """A write route, with a valid body for it and the fields of that body."""

    name: str
    method: str
    path: str  # {user_id} and {task_id} are filled in per test
    body: dict[str, Any]
    strings: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()
    nullable: tuple[str, ...] = ()
    body_optional: bool = False  # PATCH .../complete: no body (or `null`) completes the task
    # Statuses other than 400 that are still right for a NUL in a field: a login password
    # bcrypt cannot take is a wrong one (401), as the README says.
    unverifiable_status: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


SIGNUP = Write(
    "signup",
    "POST",
    "/api/auth/signup",
    {
        "username": "mallory",
        "email": "mallory@example.com",
        "password": "N3w-Passw0rd",
        "confirm_password": "N3w-Passw0rd",
    },
    strings=("username", "email", "password", "confirm_password"),
)
LOGIN = Write(
    "login",
    "POST",
    "/api/auth/login",
    {"username_or_email": "alice", "password": DEFAULT_PASSWORD},
    strings=("username_or_email", "password"),
    unverifiable_status={"password": 401},
)
CREATE = Write(
    "task create",
    "POST",
    "/api/{user_id}/tasks",
    {"title": "Buy oat milk", "description": "One litre", "completed": False},
    strings=("title", "description"),
    booleans=("completed",),
    nullable=("description",),
)
REPLACE = Write(
    "task replace",
    "PUT",
    "/api/{user_id}/tasks/{task_id}",
    {"title": "Buy oat milk", "description": "One litre", "completed": False},
    strings=("title", "description"),
    booleans=("completed",),
    nullable=("description",),
)
COMPLETE = Write(
    "task complete",
    "PATCH",
    "/api/{user_id}/tasks/{task_id}/complete",
    {"completed": False},
    booleans=("completed",),
    body_optional=True,
)
WRITES = [SIGNUP, LOGIN, CREATE, REPLACE, COMPLETE]
BODY_REQUIRED = [write for write in WRITES if not write.body_optional]
STRING_FIELDS = [pytest.param(write, name, id=f"{write}-{name}") for write in WRITES for name in write.strings]
BOOLEAN_FIELDS = [pytest.param(write, name, id=f"{write}-{name}") for write in WRITES for name in write.booleans]


@dataclass
class Target:
    """Sends requests to one write route as Alice (who owns a completed task) would."""

    client: TestClient
    alice: Account
    task_id: str

    def url(self, write: Write) -> str:
        return write.path.format(user_id=self.alice.id, task_id=self.task_id)

    def send(self, write: Write, content: Any, content_type: str | None = "application/json") -> httpx.Response:
        headers = dict(self.alice.headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.client.request(write.method, self.url(write), content=content, headers=headers)


@pytest.fixture
def target(client: TestClient, alice: Account) -> Target:
    response = client.post(
        alice.tasks_url,
        json={"title": "Buy milk", "description": "Two litres", "completed": True},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    return Target(client, alice, response.json()["id"])


@pytest.fixture
def unchanged(engine: Engine) -> Iterator[None]:
    """The users and tasks tables hold the same rows after the test as before it."""

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as connection:
            return {
                table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in ("users", "tasks")
            }

    before = rows()
    yield
    assert rows() == before, "a rejected request changed the database"


def assert_rejected(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail, "an empty detail explains nothing"
    assert isinstance(detail, str | list)


def with_field(write: Write, name: str, raw_value: bytes) -> bytes:
    """The write's valid body with one field's JSON value replaced by `raw_value`, as is."""
    mark = "@@hostile@@"
    template = json.dumps({**write.body, name: mark}).encode()
    return template.replace(json.dumps(mark).encode(), raw_value)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# Oversized bodies


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_declared_oversized_body_is_413(target: Target, write: Write, unchanged: None) -> None:
    filler = "x" * (MAX_BODY_BYTES + 1)
    response = target.send(write, json.dumps({**write.body, "filler": filler}).encode())

    assert_rejected(response, 413)


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_chunked_oversized_body_is_413(target: Target, write: Write, unchanged: None) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        yield b'{"filler": "'
        for _ in range(MAX_BODY_BYTES // 65_536 + 1):
            yield b"x" * 65_536
        yield b'"}'

    response = target.send(write, chunks())

    assert "content-length" not in response.request.headers
    assert_rejected(response, 413)


# Deeply nested JSON


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_json_nested_100k_deep_is_400(target: Target, write: Write, unchanged: None) -> None:
    assert_rejected(target.send(write, nested(DEPTH)))


@pytest.mark.parametrize(("write", "name"), STRING_FIELDS + BOOLEAN_FIELDS)
def test_json_nested_100k_deep_in_a_field_is_400(target: Target, write: Write, name: str, unchanged: None) -> None:
    assert_rejected(target.send(write, with_field(write, name, nested(DEPTH))))


# Bytes that are not UTF-8, and NUL


INVALID_UTF8 = {
    "lone continuation byte": b"\x80",
    "0xff": b"\xff\xfe",
    "overlong slash": b"\xc0\xaf",
    "overlong NUL": b"\xc0\x80",
    "encoded surrogate": b"\xed\xa0\x80",
    "truncated sequence": b"\xe2\x82",
    "beyond U+10FFFF": b"\xf4\x90\x80\x80",
}


@pytest.mark.parametrize("raw", INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
@pytest.mark.parametrize(("write", "name"), STRING_FIELDS)
def test_invalid_utf8_in_a_string_is_400(target: Target, write: Write, name: str, raw: bytes, unchanged: None) -> None:
    assert_rejected(target.send(write, with_field(write, name, b'"ab' + raw + b'cd"')))


@pytest.mark.parametrize(("write", "name"), STRING_FIELDS)
def test_raw_nul_byte_in_a_string_is_400(target: Target, write: Write, name: str, unchanged: None) -> None:
    # A control character inside a JSON string is not JSON: it must be escaped.
    assert_rejected(target.send(write, with_field(write, name, b'"ab\x00cd"')))


@pytest.mark.parametrize(("write", "name"), STRING_FIELDS)
def test_escaped_nul_in_a_string_is_refused(target: Target, write: Write, name: str, unchanged: None) -> None:
    response = target.send(write, with_field(write, name, b'"ab\\u0000cd"'))

    assert_rejected(response, write.unverifiable_status.get(name, 400))


@pytest.mark.parametrize(
    "escape",
    [b"\\ud800", b"\\udfff", b"ab\\ud83d", b"\\ude00ab", b"\\udc00\\ud800"],
    ids=["high", "low", "high at the end", "low at the start", "reversed pair"],
)
@pytest.mark.parametrize(("write", "name"), STRING_FIELDS)
def test_escaped_lone_surrogate_in_a_string_is_refused(
    target: Target, write: Write, name: str, escape: bytes, unchanged: None
) -> None:
    # Not text at all, so not even a login password: 400 (the JSON parser refuses it).
    assert_rejected(target.send(write, with_field(write, name, b'"' + escape + b'"')))


def test_escaped_surrogate_pair_is_a_character(target: Target) -> None:
    # The control case: a well-formed pair (U+1F600) is text like any other.
    response = target.send(CREATE, with_field(CREATE, "title", b'"milk \\ud83d\\ude00"'))

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "milk \U0001f600"


# Other JSON types where a string or a boolean belongs


NOT_STRINGS = {
    "integer": 123,
    "float": 1.5,
    "huge integer": 10**400,
    "true": True,
    "empty array": [],
    "array of strings": ["milk"],
    "empty object": {},
    "object": {"title": "milk"},
    "null": None,
}
NOT_BOOLEANS = {
    "string true": "true",
    "string false": "false",
    "one": 1,
    "zero": 0,
    "empty string": "",
    "array": [True],
    "object": {"completed": True},
    "null": None,
}


NON_STRING_CASES = [
    pytest.param(write, name, value, id=f"{write}-{name}-{label}")
    for write in WRITES
    for name in write.strings
    for label, value in NOT_STRINGS.items()
    if not (value is None and name in write.nullable)  # `description` may be null
]


@pytest.mark.parametrize(("write", "name", "value"), NON_STRING_CASES)
def test_non_string_where_a_string_belongs_is_400(
    target: Target, write: Write, name: str, value: Any, unchanged: None
) -> None:
    assert_rejected(target.send(write, with_field(write, name, json.dumps(value).encode())))


@pytest.mark.parametrize("value", NOT_BOOLEANS.values(), ids=NOT_BOOLEANS.keys())
@pytest.mark.parametrize(("write", "name"), BOOLEAN_FIELDS)
def test_non_boolean_where_a_boolean_belongs_is_400(
    target: Target, write: Write, name: str, value: Any, unchanged: None
) -> None:
    assert_rejected(target.send(write, with_field(write, name, json.dumps(value).encode())))


# Bodies that are not a JSON object, or not JSON


NOT_OBJECTS = {"array": b"[]", "array of an object": b'[{"title": "milk"}]', "string": b'"milk"', "number": b"1"}


@pytest.mark.parametrize("body", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
@pytest.mark.parametrize("write", WRITES, ids=str)
def test_top_level_non_object_body_is_400(target: Target, write: Write, body: bytes, unchanged: None) -> None:
    assert_rejected(target.send(write, body))


@pytest.mark.parametrize("write", BODY_REQUIRED, ids=str)
def test_top_level_null_body_is_400(target: Target, write: Write, unchanged: None) -> None:
    assert_rejected(target.send(write, b"null"))


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/xml"],
)
@pytest.mark.parametrize("write", WRITES, ids=str)
def test_json_under_a_wrong_content_type_is_400(
    target: Target, write: Write, content_type: str, unchanged: None
) -> None:
    assert_rejected(target.send(write, json.dumps(write.body).encode(), content_type=content_type))


@pytest.mark.parametrize("body", [b"", b" \r\n\t"], ids=["empty", "white space"])
@pytest.mark.parametrize("write", BODY_REQUIRED, ids=str)
def test_empty_body_where_one_is_required_is_400(target: Target, write: Write, body: bytes, unchanged: None) -> None:
    assert_rejected(target.send(write, body))


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_truncated_json_is_400(target: Target, write: Write, unchanged: None) -> None:
    assert_rejected(target.send(write, json.dumps(write.body).encode()[:-1]))


# The list query


HUGE_DIGITS = "1" + "0" * 5000  # 10**5000: more digits than Python's int() takes by default
LIST_QUERIES = {
    "limit 10**5000": {"limit": HUGE_DIGITS},
    "limit -10**5000": {"limit": "-" + HUGE_DIGITS},
    "limit 1e2": {"limit": "1e2"},
    "limit 2.5": {"limit": "2.5"},
    "limit 0x10": {"limit": "0x10"},
    "limit NaN": {"limit": "NaN"},
    "offset 10**5000": {"offset": HUGE_DIGITS},
    "offset 2**31": {"offset": str(2**31)},
    "offset 2**63": {"offset": str(2**63)},
    "offset 2**64": {"offset": str(2**64)},
    "offset -1": {"offset": "-1"},
    "sort with NUL": {"sort": "title\x00"},
    "completed NUL": {"completed": "\x00"},
    "sort SQL": {"sort": "title; DROP TABLE tasks"},
}
# Past httpx's 64 kB URL limit: these go to the app as a raw ASGI request (see `raw_get`).
HUGE_LIST_QUERIES = {
    "sort of 100 kB": b"sort=" + b"t" * 100_000,
    "order of 100 kB": b"order=" + b"a" * 100_000,
    "completed of 100 kB": b"completed=" + b"t" * 100_000,
    "a 1 MB query string": b"limit=5&sort=" + b"x" * (1024 * 1024),
    "invalid UTF-8 ff fe": b"sort=%ff%fe",
    "invalid UTF-8 overlong": b"sort=%c0%af",
    "invalid UTF-8 surrogate": b"order=%ed%a0%80",
    "invalid UTF-8 raw bytes": b"sort=\xff\xfe",
}


def raw_get(target: Target, raw_path: str, query: bytes = b"") -> httpx.Response:
    """A GET straight into the app, as uvicorn would pass it on (the path percent-decoded, bytes
    that are not UTF-8 replaced): no client-side URL limits on the way."""
    app = target.client.app
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {target.alice.token}".encode())],
        "client": ("127.0.0.1", 50_000),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    anyio.run(app, scope, receive, send)  # type: ignore[arg-type]
    start = next(message for message in messages if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    headers = [(name.decode(), value.decode()) for name, value in start["headers"]]
    response = httpx.Response(start["status"], headers=headers, content=body)
    assert response.status_code < 500, response.text
    return response


@pytest.mark.parametrize("params", LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_hostile_list_query_is_400(target: Target, params: dict[str, str], unchanged: None) -> None:
    response = target.client.get(target.alice.tasks_url, params=params, headers=target.alice.headers)

    assert_rejected(response)


@pytest.mark.parametrize("query", HUGE_LIST_QUERIES.values(), ids=HUGE_LIST_QUERIES.keys())
def test_huge_or_undecodable_list_query_is_400(target: Target, query: bytes, unchanged: None) -> None:
    assert_rejected(raw_get(target, target.alice.tasks_url, query))


@pytest.mark.parametrize(
    "task_id",
    ["x" * 100_000, "1" + "0" * 5000, "%00", "%ff%fe", "%c0%af"],
    ids=["100 kB", "10**5000", "NUL", "invalid UTF-8", "overlong UTF-8"],
)
def test_hostile_task_id_in_the_path_is_400(target: Target, task_id: str, unchanged: None) -> None:
    assert_rejected(raw_get(target, f"{target.alice.tasks_url}/{task_id}"))
