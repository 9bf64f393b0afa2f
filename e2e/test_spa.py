"""What a user of the browser app sees. Each test clicks and types into the test page's own
controls (e2e/spa/) and reads the outcome from its DOM; the page talks to a real server from
another origin, so every answer it reads has passed the browser's CORS checks."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import ALLOWED_ORIGIN, FOREIGN_ORIGIN, spa_url
from tests.support import signup_account

PASSWORD = "correct horse battery"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def unique_username() -> str:
    return f"e2e_{uuid.uuid4().hex[:12]}"


def sign_up(page: Page, username: str) -> None:
    form = page.locator("#signup")
    form.get_by_label("Username").fill(username)
    form.get_by_label("E-mail").fill(f"{username}@example.com")
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()


def add_task(page: Page, title: str) -> None:
    page.locator("#new-task").get_by_label("Title").fill(title)
    page.get_by_role("button", name="Add task").click()
    expect(task_item(page, title)).to_be_visible()


def task_item(page: Page, title: str) -> Locator:
    return page.locator("#tasks > li").filter(has=page.locator(".title", has_text=title))


# The page's log of the requests it made, with the answers' status codes.
ADDED_A_TASK = ["create task: 201", "list tasks: 200"]
SIGNED_UP_WITH_TWO_TASKS = ["sign up: 201", *ADDED_A_TASK, *ADDED_A_TASK]


@pytest.fixture
def app_page(page: Page, api_url: str, spa_servers: None) -> Page:
    """The test page from the allowed origin, signed up as a new user."""
    page.goto(spa_url(ALLOWED_ORIGIN, api_url))
    username = unique_username()
    sign_up(page, username)
    expect(page.locator("#who")).to_have_text(username)
    return page


@pytest.fixture
def two_tasks(app_page: Page) -> Page:
    add_task(app_page, "Buy milk")
    add_task(app_page, "Water the plants")
    return app_page


def test_the_page_reads_the_location_header_of_a_created_task(app_page: Page) -> None:
    add_task(app_page, "Buy milk")

    task_id = task_item(app_page, "Buy milk").get_attribute("data-id")
    expect(app_page.locator("#location")).to_have_text(re.compile(rf"^/api/{UUID}/tasks/{task_id}$"))
    expect(app_page.locator("#error")).to_be_empty()


def test_created_tasks_are_listed_in_creation_order(two_tasks: Page) -> None:
    two_tasks.get_by_role("button", name="Reload tasks").click()

    expect(two_tasks.locator("#tasks > li .title")).to_have_text(["Buy milk", "Water the plants"])
    expect(two_tasks.locator("#tasks > li .status")).to_have_text(["open", "open"])
    expect(two_tasks.locator("#total")).to_have_text("2")


def test_completing_a_task_sends_the_etag_read_from_its_creation_as_if_match(two_tasks: Page) -> None:
    expect(task_item(two_tasks, "Buy milk").locator(".etag")).to_have_text('ETag "1"')

    task_item(two_tasks, "Buy milk").get_by_role("button", name="Complete").click()

    expect(task_item(two_tasks, "Buy milk").locator(".status")).to_have_text("done")
    expect(task_item(two_tasks, "Buy milk").locator(".etag")).to_have_text('ETag "2"')
    expect(task_item(two_tasks, "Water the plants").locator(".status")).to_have_text("open")
    expect(two_tasks.locator("#log > li")).to_have_text(
        [*SIGNED_UP_WITH_TWO_TASKS, 'complete with If-Match "1": 200', "list tasks: 200"]
    )
    expect(two_tasks.locator("#error")).to_be_empty()


def test_undo_brings_back_a_deleted_task(two_tasks: Page) -> None:
    task_item(two_tasks, "Water the plants").get_by_role("button", name="Delete").click()
    expect(task_item(two_tasks, "Water the plants")).to_have_count(0)
    expect(two_tasks.locator("#total")).to_have_text("1")

    two_tasks.get_by_role("button", name="Undo").click()

    expect(two_tasks.locator("#tasks > li .title")).to_have_text(["Buy milk", "Water the plants"])
    expect(two_tasks.locator("#total")).to_have_text("2")
    expect(two_tasks.get_by_role("button", name="Undo")).to_be_hidden()
    expect(two_tasks.locator("#log > li")).to_have_text(
        [*SIGNED_UP_WITH_TWO_TASKS, "delete task: 204", "list tasks: 200", "restore task: 200", "list tasks: 200"]
    )
    expect(two_tasks.locator("#error")).to_be_empty()


def test_a_refreshed_session_lists_tasks_with_its_new_access_token(app_page: Page) -> None:
    add_task(app_page, "Buy milk")

    app_page.get_by_role("button", name="Refresh session").click()

    expect(app_page.locator("#log > li")).to_have_text(
        ["sign up: 201", *ADDED_A_TASK, "refresh session: 200", "list tasks: 200"]
    )
    expect(app_page.locator("#tasks > li .title")).to_have_text(["Buy milk"])
    expect(app_page.locator("#error")).to_be_empty()


def test_the_page_can_read_the_401_of_a_request_without_a_token(app_page: Page) -> None:
    app_page.get_by_role("button", name="List tasks without a token").click()

    expect(app_page.locator("#anonymous-status")).to_have_text("401")
    expect(app_page.locator("#error")).to_be_empty()


def test_a_page_from_an_origin_the_api_does_not_allow_gets_no_answer(
    page: Page, api_url: str, spa_servers: None
) -> None:
    page.goto(spa_url(FOREIGN_ORIGIN, api_url))
    username = unique_username()

    sign_up(page, username)

    # The browser's preflight was refused, so fetch rejected and the signup was never sent.
    expect(page.locator("#error")).to_have_text("TypeError: Failed to fetch")
    expect(page.locator("#who")).to_have_text("nobody")
    login = httpx.post(f"{api_url}/api/auth/login", json={"username_or_email": username, "password": PASSWORD})
    assert login.status_code == 401


def test_swagger_ui_authorizes_with_a_token_and_lists_tasks(page: Page, api_url: str) -> None:
    with httpx.Client(base_url=api_url) as client:
        account = signup_account(client, unique_username())
    page.goto(f"{api_url}/docs")

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.get_by_role("textbox").fill(account.token)
    dialog.get_by_role("button", name="Apply credentials").click()
    dialog.get_by_role("button", name="Close", exact=True).click()
    operation = page.locator("#operations-tasks-tasks_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator('input[placeholder="user_id"]').fill(account.id)
    operation.get_by_role("button", name="Execute").click()

    # The server's answer, under "Responses"; without the token it would be a 401.
    expect(operation.locator(".live-responses-table td.response-col_status:not(.col_header)")).to_have_text("200")
