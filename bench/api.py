"""The few HTTP calls the harness makes itself (signups and checks), with the standard library."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 30


class ApiError(RuntimeError):
    """The app answered something other than what the harness needs."""


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    password: str
    token: str


def call(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    """One request; returns the status and the decoded JSON body (None when there is none)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status: int = response.status
            raw: bytes = response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def expect(status: int, wanted: int, what: str, payload: Any) -> None:
    if status != wanted:
        raise ApiError(f"{what}: expected {wanted}, got {status}: {payload}")


def signup(base_url: str, username: str, password: str) -> Account:
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": password,
        "confirm_password": password,
    }
    status, payload = call("POST", f"{base_url}/api/auth/signup", body)
    expect(status, 201, f"signup of {username}", payload)
    return Account(id=payload["user"]["id"], username=username, password=password, token=payload["access_token"])
