"""`/api/{user_id}/tasks`: the caller's own tasks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Request, Response, status
from pydantic import TypeAdapter, WithJsonSchema
from sqlmodel import Session
from starlette.routing import Match
from starlette.types import Scope

from core.conditional import (
    ENTITY_TAGS_PATTERN,
    MalformedConditionalHeader,
    parse_entity_tags,
    version_tag,
    weak_digest_tag,
)
from core.config import Settings
from core.db import Database, DatabaseDep
from core.deps import CurrentUser, CursorsDep, SettingsDep
from core.query_models import QueryModel
from core.routing import OwnerScopedRoute
from core.security import TokenClaims
from models.errors import ErrorResponse
from models.task import (
    ChangesParams,
    ClearCompletedResult,
    PageParams,
    TaskBulkRequest,
    TaskBulkResult,
    TaskChanges,
    TaskCompletion,
    TaskConflict,
    TaskCreate,
    TaskListParams,
    TaskPage,
    TaskPatch,
    TaskPublic,
    TaskReplace,
    TrashedTaskPublic,
    TrashPage,
)
from routers.responses import error_responses, json_response, row_fields, rows_fields
from services import changes, idempotency, task_list, tasks, trash
from services.changes import SyncPosition
from services.errors import InvalidCursor, InvalidSyncToken
from services.idempotency import StoredAnswer
from services.tasks import IfMatch, TaskRow

# The collection's own sub-paths: a `{task_id}` never names one of them.
COLLECTION_PATHS = frozenset({"bulk", "clear-completed", "changes", "trash"})


class TaskRoute(OwnerScopedRoute):
    """`PUT /tasks/bulk` is a method the path does not take (405, with `Allow: POST`), not a
    PUT of a task whose id is malformed (400): `/{task_id}` does not match `bulk` (nor the
    other sub-paths of the collection)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE and child_scope.get("path_params", {}).get("task_id") in COLLECTION_PATHS:
            return Match.NONE, {}
        return match, child_scope


router = APIRouter(prefix="/api/{user_id}/tasks", tags=["tasks"], route_class=TaskRoute)

# `user_id` is checked against the token before anything else (see OwnerScopedRoute);
# each route still declares it so the OpenAPI document shows it. Each route does all of its
# database work in one session in its worker thread (a read session for list and get); the
# task services prove along the way that the caller's account still exists (see
# services/tasks.py), and an error answered before that is verified by the middleware.
# The query strings of the list, delta sync and the trash, each read in one validation.
LIST_QUERY = QueryModel(TaskListParams)
CHANGES_QUERY = QueryModel(ChangesParams)
TRASH_QUERY = QueryModel(PageParams)

UserId = Annotated[
    str,
    Path(description="Your own user id (from signup, login or `/api/auth/me`); any other value is a 403"),
]
TaskId = Annotated[uuid.UUID, Path(description="The task's id; a value that is not a UUID is a 400")]


IfMatchHeader = Annotated[
    str | None,
    # Documented as what it must be (a header is a string or absent, never null); checked by
    # _write_condition, whose 400 says why.
    WithJsonSchema({"type": "string", "pattern": ENTITY_TAGS_PATTERN}),
    Header(
        alias="If-Match",
        description='The `ETag` of the task as you last read it (`"3"`), a list of them, or `*`: '
        "the write happens only if the task is still at that version, else 412 with the task as it is now",
    ),
]
IfNoneMatchHeader = Annotated[
    str | None,
    Header(alias="If-None-Match", description="An `ETag` you hold: 304 without a body if it is still current"),
]

_ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": 'The version as an entity tag: `"<version>"`', "schema": {"type": "string"}}
}
_LIST_ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": "A weak tag that changes whenever the page would", "schema": {"type": "string"}}
}
_NOT_MODIFIED: dict[str, Any] = {"description": "`If-None-Match` names the current `ETag`", "headers": _ETAG_HEADER}
_PRECONDITION_FAILED: dict[str, Any] = {
    "model": TaskConflict,
    "description": "`If-Match` names another version: the body is the task as it is now, with its `ETag`",
    "headers": _ETAG_HEADER,
}
_ONE_TASK: dict[str, Any] = {"description": "The task", "headers": _ETAG_HEADER}
# PUT, PATCH and complete: the task with its new ETag, or why not.
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _ONE_TASK,
    412: _PRECONDITION_FAILED,
    **error_responses(400, 401, 403, 404, 413, 428, 503),
}


def _write_condition(if_match: str | None, settings: Settings) -> IfMatch | None:
    """The write's precondition from `If-Match`; 428 without one when the deployment
    requires it (`REQUIRE_IF_MATCH`)."""
    if if_match is None:
        if settings.require_if_match:
            raise HTTPException(428, "Send If-Match with the task's ETag: this server refuses blind overwrites")
        return None
    try:
        tags = parse_entity_tags(if_match)
    except MalformedConditionalHeader:
        raise HTTPException(400, 'If-Match must be * or a list of entity tags such as "3"') from None
    return IfMatch(versions=tags.strong_versions(), any_version=tags.any)


# A page's tasks validated in one call.
_TASKS = TypeAdapter(list[TaskPublic])
_TRASHED_TASKS = TypeAdapter(list[TrashedTaskPublic])


def _task_response(
    task: TaskRow, status_code: int = status.HTTP_200_OK, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        TaskPublic.model_validate(row_fields(task)), status_code, {**(headers or {}), "ETag": version_tag(task.version)}
    )


def _not_modified(if_none_match: str | None, etag: str, opaque: str) -> Response | None:
    """304 when `If-None-Match` names `etag` (whose quoted part is `opaque`), else None."""
    if if_none_match is None:
        return None
    try:
        matches = parse_entity_tags(if_none_match).weak_matches(opaque)
    except MalformedConditionalHeader:
        return None  # a header we cannot read is ignored: the full answer is always correct
    return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag}) if matches else None


# --- Idempotency-Key ---------------------------------------------------------------------

_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII; validated (400) and documented


@dataclass(frozen=True)
class Once:
    """An `Idempotency-Key` and the fingerprint of the body it came with."""

    key: str
    fingerprint: str


async def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=_KEY_PATTERN,
            description="1 to 255 visible ASCII characters, new for each request you mean (a UUID): a repeat "
            "with the same key and body within 24 hours gets the first answer again "
            "(with `Idempotent-Replayed: true`) and does nothing",
        ),
    ] = None,
) -> Once | None:
    if key is None:
        return None
    raw = await request.body()  # read already, for the model: this is the cached copy
    try:
        body = json.loads(raw) if raw else None
    except ValueError:  # not JSON (another content type): validation answers 400 in a moment
        body = raw.hex()
    return Once(key, idempotency.fingerprint(body))


IdempotencyDep = Annotated[Once | None, Depends(idempotency_key)]


def _run(
    db: Database,
    caller: TokenClaims,
    route: str,
    once: Once | None,
    effect: Callable[[Session], StoredAnswer],
    *,
    one_statement: bool = False,
) -> Response:
    """`effect` in one session; with an Idempotency-Key, at most once per key and body (in
    a transaction with the key). Without one, an effect that is `one_statement` on
    PostgreSQL (a create) runs in a session whose statements commit on their own."""
    replayed = False
    if once is None:
        with db.statement_session() if one_statement else db.session() as session:
            answer = effect(session)
    else:
        with db.session() as session:
            answer, replayed = idempotency.run_once(
                session, caller, route, once.key, once.fingerprint, lambda: effect(session)
            )
    headers = {**answer.headers, **({"Idempotent-Replayed": "true"} if replayed else {})}
    return Response(answer.body, answer.status_code, headers, media_type="application/json")


_REPLAYED_HEADER: dict[str, Any] = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_IDEMPOTENCY_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "A request with the same `Idempotency-Key` is still running: retry shortly",
    },
    422: {
        "model": ErrorResponse,
        "description": "This `Idempotency-Key` was used with a different body (the one 422 of the API)",
    },
}


_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The task was created",
        "headers": {
            "Location": {
                "description": "The new task's URL: `/api/{user_id}/tasks/{task_id}`",
                "required": True,
                "schema": {"type": "string", "format": "uri-reference"},
            },
            **_ETAG_HEADER,
            **_REPLAYED_HEADER,
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskPublic,
    operation_id="tasks_create",
    summary="Create a task",
    description="Only `title` is required. The answer carries the new task's URL in `Location` and "
    "its version in `ETag`. Send an `Idempotency-Key` to make a retry safe: a repeat gets the first "
    "answer again instead of a second task.",
    responses={**_CREATED, **_IDEMPOTENCY_ERRORS, **error_responses(400, 401, 403, 413, 503)},
)
def create_task(
    user_id: UserId, body: TaskCreate, current_user: CurrentUser, db: DatabaseDep, once: IdempotencyDep
) -> Response:
    caller = current_user.claims

    def create(session: Session) -> StoredAnswer:
        task = tasks.create_task(session, caller, body, commit=once is None)
        headers = {"Location": f"/api/{current_user.user_id}/tasks/{task.id}", "ETag": version_tag(task.version)}
        created = TaskPublic.model_validate(row_fields(task)).model_dump_json()
        return StoredAnswer(status.HTTP_201_CREATED, created, headers)

    return _run(db, caller, "tasks_create", once, create, one_statement=True)


@router.get(
    "",
    response_model=TaskPage,
    operation_id="tasks_list",
    openapi_extra=LIST_QUERY.openapi_extra,
    summary="List tasks, a page at a time",
    description="Filters combine with AND. Page with `offset`, or with `cursor` (the previous "
    "page's `next_cursor`), which never skips or repeats a task while the list changes; a cursor "
    "belongs to the sort, order and filters it came from (another one is a 400), `limit` may change.",
    responses={
        200: {"description": "A page of tasks", "headers": _LIST_ETAG_HEADER},
        304: {"description": "`If-None-Match` names the current `ETag`", "headers": _LIST_ETAG_HEADER},
        **error_responses(400, 401, 403, 503),
    },
)
def list_tasks(
    user_id: UserId,
    params: Annotated[TaskListParams, Depends(LIST_QUERY)],
    current_user: CurrentUser,
    db: DatabaseDep,
    cursors: CursorsDep,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    caller = current_user.claims
    query = task_list.query_key(caller.subject, params)
    position = None if params.cursor is None else cursors.open(query, params.cursor)
    with db.read_session() as session:
        page = task_list.list_tasks(session, caller, params, position)
    tasks = rows_fields(page.rows)
    # The page depends on the query and on the owner's tasks, which cannot change without
    # moving the change counter; the total and the ids cover what time alone changes
    # (`overdue`). No task is read twice for it.
    etag = weak_digest_tag(
        query, params.limit, params.offset, params.cursor, page.changes, page.total, ids=(task["id"] for task in tasks)
    )
    if (unchanged := _not_modified(if_none_match, etag, etag[3:-1])) is not None:
        return unchanged
    answer = TaskPage(
        items=_TASKS.validate_python(tasks),
        total=page.total,
        limit=params.limit,
        offset=0 if position is not None else params.offset,
        next_cursor=None if page.next_position is None else cursors.seal(query, page.next_position),
    )
    return json_response(answer, headers={"ETag": etag})


@router.post(
    "/bulk",
    response_model=TaskBulkResult,
    operation_id="tasks_bulk",
    summary="Complete, reopen or delete several tasks at once",
    description="All or nothing: if any id is another user's task the answer is 403, else if any "
    "is unknown (or in the trash) 404, and nothing changes. `count` is how many tasks changed. "
    "`delete` moves the tasks to the trash, as `DELETE` does.",
    responses={
        200: {"description": "What was done", "headers": _REPLAYED_HEADER},
        **_IDEMPOTENCY_ERRORS,
        **error_responses(400, 401, 403, 404, 413, 503),
    },
)
def bulk_tasks(
    user_id: UserId,
    body: TaskBulkRequest,
    current_user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    once: IdempotencyDep,
) -> Response:
    caller = current_user.claims

    def apply(session: Session) -> StoredAnswer:
        count = tasks.bulk(session, caller, body.action, body.ids, settings.trash_retention, commit=once is None)
        return StoredAnswer(status.HTTP_200_OK, TaskBulkResult(action=body.action, count=count).model_dump_json())

    return _run(db, caller, "tasks_bulk", once, apply)


@router.post(
    "/clear-completed",
    response_model=ClearCompletedResult,
    operation_id="tasks_clear_completed",
    summary="Delete every completed task",
    description="Moves every completed task to the trash, as `DELETE` does; `count` is how many.",
    responses=error_responses(400, 401, 403, 503),
)
def clear_completed(user_id: UserId, current_user: CurrentUser, db: DatabaseDep, settings: SettingsDep) -> Response:
    with db.session() as session:
        count = tasks.clear_completed(session, current_user.claims, settings.trash_retention)
    return json_response(ClearCompletedResult(count=count))


_GONE: dict[int | str, dict[str, Any]] = {
    410: {
        "model": ErrorResponse,
        "description": "The token is older than the trash retention: sync from scratch (leave `since` out)",
    }
}


@router.get(
    "/changes",
    response_model=TaskChanges,
    operation_id="tasks_changes",
    openapi_extra=CHANGES_QUERY.openapi_extra,
    summary="What changed since your last sync (delta sync)",
    description="Without `since`: every task (`deleted` is empty). With the `next_since` of an "
    "earlier answer: the tasks created or changed since, as they are now, and the ids of the tasks "
    "deleted since (a task created and deleted in between may appear in `deleted` only). At most "
    "500 entries per answer, both lists together: while `has_more`, call again with `next_since`. "
    "Keep the last `next_since` for next time.",
    responses={**_GONE, **error_responses(400, 401, 403, 503)},
)
def task_changes(
    user_id: UserId,
    params: Annotated[ChangesParams, Depends(CHANGES_QUERY)],
    current_user: CurrentUser,
    db: DatabaseDep,
    cursors: CursorsDep,
    settings: SettingsDep,
) -> Response:
    caller = current_user.claims
    query = changes.query_key(caller.subject)
    since = None
    if params.since is not None:
        try:
            since = SyncPosition.from_json(cursors.open(query, params.since))
        except InvalidCursor:
            raise InvalidSyncToken from None
    with db.read_session() as session:
        found = changes.read_changes(session, caller, since, settings.trash_retention)
    answer = TaskChanges(
        changed=_TASKS.validate_python(rows_fields(found.changed)),
        deleted=list(found.deleted),
        next_since=cursors.seal(query, found.next_position.to_json()),
        has_more=found.has_more,
    )
    return json_response(answer)


@router.get(
    "/trash",
    response_model=TrashPage,
    operation_id="tasks_trash",
    openapi_extra=TRASH_QUERY.openapi_extra,
    summary="List deleted tasks (the trash), a page at a time",
    description="Your deleted tasks that can still be restored, newest deletion first, each with "
    "its `deleted_at`. Pages as the list does (`limit`, and `offset` or `cursor`).",
    responses=error_responses(400, 401, 403, 503),
)
def list_trash(
    user_id: UserId,
    params: Annotated[PageParams, Depends(TRASH_QUERY)],
    current_user: CurrentUser,
    db: DatabaseDep,
    cursors: CursorsDep,
    settings: SettingsDep,
) -> Response:
    caller = current_user.claims
    query = trash.query_key(caller.subject)
    position = None if params.cursor is None else cursors.open(query, params.cursor)
    with db.read_session() as session:
        page = trash.list_trash(session, caller, params, position, settings.trash_retention)
    answer = TrashPage(
        items=_TRASHED_TASKS.validate_python(rows_fields(page.rows)),
        total=page.total,
        limit=params.limit,
        offset=0 if position is not None else params.offset,
        next_cursor=None if page.next_position is None else cursors.seal(query, page.next_position),
    )
    return json_response(answer)


@router.post(
    "/{task_id}/restore",
    response_model=TaskPublic,
    operation_id="tasks_restore",
    summary="Restore a deleted task from the trash (undo)",
    description="The task comes back as it was deleted, one `version` up. 404 if it is not in your "
    "trash (never deleted, restored already, or deleted longer ago than the retention).",
    responses={200: _ONE_TASK, **error_responses(400, 401, 403, 404, 503)},
)
def restore_task(
    user_id: UserId, task_id: TaskId, current_user: CurrentUser, db: DatabaseDep, settings: SettingsDep
) -> Response:
    with db.session() as session:
        task = tasks.restore_task(session, current_user.claims, task_id, settings.trash_retention)
    return _task_response(task)


@router.get(
    "/{task_id}",
    response_model=TaskPublic,
    operation_id="tasks_get",
    summary="Get one task",
    description="With `If-None-Match` naming the task's current `ETag`: 304 without a body. "
    "A task in the trash is a 404 here.",
    responses={200: _ONE_TASK, 304: _NOT_MODIFIED, **error_responses(400, 401, 403, 404, 503)},
)
def get_task(
    user_id: UserId,
    task_id: TaskId,
    current_user: CurrentUser,
    db: DatabaseDep,
    if_none_match: IfNoneMatchHeader = None,
) -> Response:
    with db.read_session() as session:
        task = tasks.get_task(session, current_user.claims, task_id)
    if (unchanged := _not_modified(if_none_match, version_tag(task.version), str(task.version))) is not None:
        return unchanged
    return _task_response(task)


@router.put(
    "/{task_id}",
    response_model=TaskPublic,
    operation_id="tasks_replace",
    summary="Replace a task (all fields)",
    description="`title`, `description` and `completed` are required; `due_at`, `priority` and `tags` "
    "go back to their defaults when left out. With `If-Match`, only if the task is still at that version "
    "(else 412 with the task as it is now).",
    responses=_WRITE_RESPONSES,
)
def replace_task(
    user_id: UserId,
    task_id: TaskId,
    body: TaskReplace,
    current_user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    if_match: IfMatchHeader = None,
) -> Response:
    condition = _write_condition(if_match, settings)
    with db.statement_session() as session:
        task = tasks.replace_task(session, current_user.claims, task_id, body, condition)
    return _task_response(task)


@router.patch(
    "/{task_id}",
    response_model=TaskPublic,
    operation_id="tasks_update",
    summary="Change some fields of a task",
    description="Fields left out stay as they are; `null` clears `description` or `due_at`. An empty object is a 400.",
    responses=_WRITE_RESPONSES,
)
def update_task(
    user_id: UserId,
    task_id: TaskId,
    body: TaskPatch,
    current_user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    if_match: IfMatchHeader = None,
) -> Response:
    condition = _write_condition(if_match, settings)
    with db.statement_session() as session:
        task = tasks.patch_task(session, current_user.claims, task_id, body, condition)
    return _task_response(task)


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="tasks_delete",
    summary="Delete a task",
    description="The task goes to the trash, where `POST .../restore` brings it back for "
    "`TRASH_RETENTION_DAYS` (30 days by default); to every other route it is gone at once (404).",
    responses={412: _PRECONDITION_FAILED, **error_responses(400, 401, 403, 404, 428, 503)},
)
def delete_task(
    user_id: UserId,
    task_id: TaskId,
    current_user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    if_match: IfMatchHeader = None,
) -> Response:
    condition = _write_condition(if_match, settings)
    with db.session() as session:
        tasks.delete_task(session, current_user.claims, task_id, settings.trash_retention, condition)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/{task_id}/complete",
    response_model=TaskPublic,
    operation_id="tasks_complete",
    summary='Mark a task completed (or reopen it with {"completed": false})',
    description="Sets `completed_at` when the task becomes completed and clears it when reopened; "
    "completing a completed task changes nothing (same `version`). Takes `If-Match` like `PUT`.",
    responses=_WRITE_RESPONSES,
)
def complete_task(
    user_id: UserId,
    task_id: TaskId,
    current_user: CurrentUser,
    db: DatabaseDep,
    settings: SettingsDep,
    if_match: IfMatchHeader = None,
    body: Annotated[
        TaskCompletion | None,
        Body(description='Optional: none, or `{"completed": true}`, completes; `{"completed": false}` reopens'),
    ] = None,
) -> Response:
    completed = True if body is None else body.completed
    condition = _write_condition(if_match, settings)
    with db.statement_session() as session:
        task = tasks.set_completion(session, current_user.claims, task_id, completed, condition)
    return _task_response(task)
