"""The interactive documentation (Swagger UI at /docs, ReDoc at /redoc), with every script,
style sheet and icon served by the app itself, so that the pages work with no internet access.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc's fonts from Google). The
assets here are the ones pinned in `fastapi-offline` (requirements.txt), mounted under
`ASSETS_URL` and fed to FastAPI's own page builders."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"

# The package's `static` folder: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png.
_ASSETS_PACKAGE = ("fastapi_offline", "static")

SWAGGER_UI_PARAMETERS = {
    # The token pasted under "Authorize" survives a reload of the page.
    "persistAuthorization": True,
}


def install_docs(app: FastAPI) -> None:
    """Serve the documentation pages and their assets; the app is built with
    `docs_url=None, redoc_url=None` so that FastAPI's CDN-based pages are not."""
    app.mount(ASSETS_URL, StaticFiles(packages=[_ASSETS_PACKAGE]), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
