"""PostgreSQL goes down under a running service, then comes back.

The database is a throwaway cluster (tests/faults/cluster.py) that these tests stop and
start themselves; the shared server is never touched. Every test runs twice: against the
app served by uvicorn in a subprocess (pooled connections really die with the server),
and against the app in process through `TestClient`. Each test signs up while the database
is up, so the app holds pooled connections and a valid token when the database goes away.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.cluster import ThrowawayCluster
from tests.servers import AppServer
from tests.support import DEFAULT_PASSWORD, Account, Database, ResponseWatch, settings_for

pytestmark = pytest.mark.allow_unavailable  # 503 is the point; any other 5xx still fails

REQUEST_TIMEOUT_SECONDS = 15  # a request that takes longer is a hang
BACKENDS = ["uvicorn", "testclient"]


@pytest.fixture(scope="module")
def server(cluster: ThrowawayCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with AppServer(cluster.url, Path(tmp_path_factory.mktemp("faults-server"))) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def api(
    request: pytest.FixtureRequest,
    cluster: ThrowawayCluster,
    make_client: Callable[..., httpx.Client],
    response_watch: ResponseWatch,
) -> Iterator[httpx.Client]:
    """A client of one app for the whole test; every response it gets is watched."""
    if not cluster.running:
        cluster.start()
    if request.param == "testclient":
        yield make_client(settings_for(Database(url=cluster.url, is_postgres=True)))
        return
    server: AppServer = request.getfixturevalue("server")
    log_offset = len(server.log_text())
    with httpx.Client(
        base_url=server.base_url, timeout=REQUEST_TIMEOUT_SECONDS, event_hooks={"response": [response_watch]}
    ) as client:
        yield client
    assert server.is_running(), f"the server exited:\n{server.log_tail()}"
    assert server.unhandled_errors(since=log_offset) == [], server.log_tail()


def signup_body(username: str) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "password": DEFAULT_PASSWORD,
        "confirm_password": DEFAULT_PASSWORD,
    }


def sign_up(api: httpx.Client, username: str | None = None) -> Account:
    username = username or f"fault_{uuid.uuid4().hex[:12]}"
    response = api.post("/api/auth/signup", json=signup_body(username))
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], username, body["user"]["email"], DEFAULT_PASSWORD, body["access_token"])


@pytest.fixture
def account(api: httpx.Client) -> Account:
    """Made while the database is up: the app now holds pooled connections."""
    return sign_up(api)


@pytest.fixture
def outage(cluster: ThrowawayCluster, account: Account) -> Iterator[None]:
    """The database is down for the test (a fast shutdown, as an operator's restart does);
    it comes back afterwards for the next test."""
    cluster.stop("fast")
    yield
    if not cluster.running:
        cluster.start()


def assert_unavailable(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 503, f"{where}: {response.status_code} {response.text}"
    retry_after = response.headers.get("Retry-After", "")
    assert re.fullmatch(r"[0-9]+", retry_after) and int(retry_after) > 0, f"{where}: Retry-After {retry_after!r}"
    assert response.headers["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail, f"{where}: detail {detail!r}"


def login(api: httpx.Client, account: Account) -> httpx.Response:
    return api.post("/api/auth/login", json={"username_or_email": account.username, "password": account.password})


# --- while the database is down ---------------------------------------------------------------


@pytest.mark.usefixtures("outage")
def test_signup_is_503_while_the_database_is_down(api: httpx.Client) -> None:
    assert_unavailable(api.post("/api/auth/signup", json=signup_body(f"fault_{uuid.uuid4().hex[:12]}")))


@pytest.mark.usefixtures("outage")
def test_login_is_503_while_the_database_is_down(api: httpx.Client, account: Account) -> None:
    assert_unavailable(login(api, account))


@pytest.mark.usefixtures("outage")
def test_me_is_503_while_the_database_is_down(api: httpx.Client, account: Account) -> None:
    assert_unavailable(api.get("/api/auth/me", headers=account.headers))


@pytest.mark.usefixtures("outage")
def test_task_routes_with_a_valid_token_are_503_while_the_database_is_down(api: httpx.Client, account: Account) -> None:
    task_url = f"{account.tasks_url}/{uuid.uuid4()}"

    assert_unavailable(api.post(account.tasks_url, json={"title": "Buy milk"}, headers=account.headers))
    assert_unavailable(api.get(account.tasks_url, headers=account.headers))
    assert_unavailable(api.get(task_url, headers=account.headers))
    assert_unavailable(api.patch(f"{task_url}/complete", headers=account.headers))


@pytest.mark.usefixtures("outage")
def test_health_stays_200_while_the_database_is_down(api: httpx.Client) -> None:
    response = api.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.usefixtures("outage")
def test_ready_is_503_while_the_database_is_down(api: httpx.Client) -> None:
    assert_unavailable(api.get("/health/ready"))


# --- when it comes back --------------------------------------------------------------------------


def test_the_same_app_recovers_when_the_database_comes_back(
    request: pytest.FixtureRequest, api: httpx.Client, cluster: ThrowawayCluster, account: Account
) -> None:
    server: AppServer | None = request.getfixturevalue("server") if "uvicorn" in request.node.callspec.id else None
    pid = server.pid if server else None
    task = api.post(account.tasks_url, json={"title": "before"}, headers=account.headers)
    assert task.status_code == 201, task.text
    newcomer = f"fault_{uuid.uuid4().hex[:12]}"

    cluster.stop("fast")
    assert_unavailable(api.get("/health/ready"))
    assert_unavailable(api.post("/api/auth/signup", json=signup_body(newcomer)))
    assert_unavailable(api.get(account.tasks_url, headers=account.headers))
    cluster.start()

    # No retries: the very first request after the restart must succeed.
    assert api.get("/health/ready").status_code == 200
    assert login(api, account).status_code == 200
    me = api.get("/api/auth/me", headers=account.headers)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == account.id
    created = api.post(account.tasks_url, json={"title": "after"}, headers=account.headers)
    assert created.status_code == 201, created.text
    listed = api.get(account.tasks_url, headers=account.headers)
    assert listed.status_code == 200, listed.text
    assert [item["title"] for item in listed.json()["items"]] == ["after", "before"]
    # The signup refused during the outage left nothing behind: the name is still free.
    assert sign_up(api, newcomer).username == newcomer
    if server is not None:
        assert server.is_running() and server.pid == pid, "the server was restarted"
