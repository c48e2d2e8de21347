"""The portal in tongdai's own FastAPI app: its pages at `/`, its static files (and Swagger UI's, so the
API's docs need no CDN) served by tongdai itself."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from .pages import account, agents, calls, hotlines, ivr, numbers, operator, queues, reports, users, wallboard, widget
from .web import SignInRequired, current, render, sign_in_redirect

log = logging.getLogger("tongdai.portal")
STATIC = Path(__file__).parent / "static"
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5 (MIT), vendored by fastapi-offline


def error_page(request: Request, status: int, message: str) -> Response:
    """Any error on a portal page, as a page in the user's language."""
    try:
        page = current(request)
    except Exception:  # the database itself may be the error: a page with no session still renders
        from .web import Page
        page = Page(request, request.app.state.ctx, None, "vi", "Asia/Ho_Chi_Minh")
    return render(page, "error.html", status=status, status_code=status, message=message)


FRAMEABLE = ("/widget", "/sign-in")  # the call widget, and the sign-in it starts from inside a frame


class FramingPolicy:
    """ASGI middleware: the portal's pages may be framed by its own pages only (no clickjacking of an
    admin's clicks); the call widget and its sign-in also by the origins the operator lists
    (`TONGDAI_WIDGET_EMBED_ORIGINS`)."""

    def __init__(self, app: Any, embed_origins: tuple[str, ...]):
        self.app = app
        ancestors = " ".join(("'self'", *embed_origins))
        self.widget = [(b"content-security-policy", f"frame-ancestors {ancestors}".encode())]
        self.portal = [(b"content-security-policy", b"frame-ancestors 'self'"), (b"x-frame-options", b"SAMEORIGIN")]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        extra = self.widget if scope["path"] in FRAMEABLE else self.portal

        async def framed(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)
        await self.app(scope, receive, framed)


def install(app: FastAPI, embed_origins: tuple[str, ...] = ()) -> None:
    app.add_middleware(FramingPolicy, embed_origins=embed_origins)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/api/v1/docs-assets", StaticFiles(directory=SWAGGER_ASSETS), name="swagger-assets")

    @app.get("/api/v1/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/api/v1/openapi.json", title="tongdai API",
                                   swagger_js_url="/api/v1/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/api/v1/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/api/v1/docs-assets/favicon.png")

    @app.exception_handler(SignInRequired)
    async def _sign_in(_request: Request, exc: SignInRequired) -> Response:
        return sign_in_redirect(exc)

    for module in (account, hotlines, numbers, agents, queues, ivr, users, calls, wallboard, reports, operator,
                   widget):
        app.include_router(module.router)
