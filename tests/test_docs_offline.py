"""The documentation pages work with no internet access: /docs (Swagger UI) and /redoc load
every script, style sheet and icon from this app, which serves each with a type the browser
accepts under `X-Content-Type-Options: nosniff`."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

PAGES = ["/docs", "/redoc"]
JAVASCRIPT_TYPES = ("text/javascript", "application/javascript")


class _Assets(HTMLParser):
    """The URLs a page loads (`<script src>`, `<link href>`) and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[tuple[str, str]] = []  # (kind, url): kind is "script", "stylesheet" or "icon"
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.loaded.append(("script", attributes["src"] or ""))
            else:
                self._in_inline_script = True
                self.inline_scripts.append("")
        elif tag == "link" and attributes.get("href"):
            kind = "stylesheet" if attributes.get("rel") == "stylesheet" else "icon"
            self.loaded.append((kind, attributes["href"] or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts[-1] += data


def assets_of(client: TestClient, page: str) -> _Assets:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    return parser


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_page_names_no_other_origin(client: TestClient, page: str) -> None:
    response = client.get(page)

    assert response.status_code == 200
    # No CDN script, no web font, no absolute URL of any kind: the browser asks this server only.
    assert "://" not in response.text
    assert not re.search(r"""(src|href)=["']//""", response.text)


@pytest.mark.parametrize("page", PAGES)
def test_every_asset_of_the_docs_page_is_served_with_its_type(client: TestClient, page: str) -> None:
    assets = assets_of(client, page)
    expected = {"script": JAVASCRIPT_TYPES, "stylesheet": ("text/css",), "icon": ("image/",)}

    assert any(kind == "script" for kind, _url in assets.loaded)
    for kind, url in assets.loaded:
        assert url.startswith("/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(expected[kind]), (url, response.headers["content-type"])
        assert len(response.content) > 1000, url  # the real bundle, not a stub


def test_swagger_ui_loads_its_style_sheet_from_this_server(client: TestClient) -> None:
    kinds = {kind for kind, _url in assets_of(client, "/docs").loaded}

    assert {"script", "stylesheet"} <= kinds


def test_swagger_ui_keeps_the_pasted_token_across_reloads(client: TestClient) -> None:
    assert '"persistAuthorization": true' in client.get("/docs").text


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_page_reads_this_servers_openapi_document(client: TestClient, page: str) -> None:
    assert "/openapi.json" in client.get(page).text


def test_the_openapi_document_is_still_served_with_the_bearer_scheme_behind_authorize(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    # Swagger UI shows its "Authorize" button for the document's security schemes.
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert not {"/docs", "/redoc"} & set(document["paths"])


@pytest.mark.parametrize("page", PAGES)
def test_a_content_security_policy_on_the_docs_page_allows_its_own_scripts(client: TestClient, page: str) -> None:
    """Swagger UI starts from an inline script: a policy that forbids it would leave /docs blank."""
    response = client.get(page)
    policy = response.headers.get("content-security-policy")
    if policy is None:
        return  # no policy, nothing blocked (core/security_headers.py sends none today)
    directives = {name: rest for name, _, rest in (part.strip().partition(" ") for part in policy.split(";"))}
    scripts = directives.get("script-src", directives.get("default-src", "*")).split()
    parser = _Assets()
    parser.feed(response.text)
    for inline in parser.inline_scripts:
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert {"'unsafe-inline'", f"'sha256-{digest}'"} & set(scripts), policy
    if parser.loaded:
        assert {"'self'", "*"} & set(scripts), policy


def test_the_asset_folder_lists_nothing(client: TestClient) -> None:
    url = next(url for kind, url in assets_of(client, "/docs").loaded if kind == "script")
    folder = url.rsplit("/", 1)[0] + "/"

    assert client.get(folder).status_code == 404
