"""Route classes that check the caller before the body is read: `AuthenticatedRoute` for
routes that need a token, `OwnerScopedRoute` for `/api/{user_id}/...`, where only the owner
of the path gets in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from core.deps import get_current_user

FOREIGN_PATH = "You can only access your own resources"


def _is_user(path_user_id: str, user_id: uuid.UUID) -> bool:
    try:
        return uuid.UUID(path_user_id) == user_id
    except ValueError:
        return False


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AuthenticatedRoute(APIRoute):
    """FastAPI parses the JSON body before it runs any dependency, so a dependency could
    only answer 401 after a malformed body had already become a 400. The contract orders
    401, then 403, then 400: the token is decoded before the body is read (and once the
    caller is known, the middleware turns any early 4xx of a token that is no longer live
    into a 401)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def authenticated_handler(request: Request) -> Response:
            await get_current_user(request, None)  # usually the middleware's caller, decoded once
            return await handler(request)

        return authenticated_handler


class OwnerScopedRoute(APIRoute):
    """As AuthenticatedRoute, and a path `{user_id}` that is not the caller is a 403,
    also before the body is read."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def owner_scoped_handler(request: Request) -> Response:
            # Usually the middleware's caller; decoded here for `/api/auth/...`, which the
            # middleware leaves alone but `{user_id}` = "auth" can match.
            caller = await get_current_user(request, None)
            if not _is_user(request.path_params["user_id"], caller.user_id):
                raise HTTPException(status_code=403, detail=FOREIGN_PATH)
            return await handler(request)

        return owner_scoped_handler
