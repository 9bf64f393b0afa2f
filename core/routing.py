"""A route class for `/api/{user_id}/...` routes: only the owner of the path gets in."""

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


class OwnerScopedRoute(APIRoute):
    """FastAPI parses the JSON body before it runs any dependency, so a dependency
    could only answer 403 after a malformed body had already become a 400. The
    contract orders 401, then 403, then 400: these checks run before the body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def owner_scoped_handler(request: Request) -> Response:
            # Usually the middleware's caller; decoded here for `/api/auth/...`, which the
            # middleware leaves alone but `{user_id}` = "auth" can match.
            caller = await get_current_user(request, None)
            if not _is_user(request.path_params["user_id"], caller.user_id):
                raise HTTPException(status_code=403, detail=FOREIGN_PATH)
            return await handler(request)

        return owner_scoped_handler
