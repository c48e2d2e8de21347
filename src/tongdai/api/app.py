"""The FastAPI application: routers under /api/v1, problem+json errors, one Context."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from .. import __version__
from ..app.context import Context
from ..app.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ..logs import RequestIds
from . import contract, errors
from .limits import BodyLimit
from .routes import (
    adaptive_numbers,
    agents,
    calls,
    groups,
    hotlines,
    ivr,
    keys,
    numbers,
    operator,
    queues,
    recordings,
    reports,
    webhooks,
)

log = logging.getLogger("tongdai")


def create_app(ctx: Context, lifespan: Callable[[FastAPI], Any] | None = None) -> FastAPI:
    """The HTTP API over `ctx`; `lifespan` starts and stops what runs beside it (see tongdai.serve)."""
    from ..portal.app import error_page
    from ..portal.app import install as install_portal
    app = FastAPI(title="tongdai", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Cloud contact-center switchboard: hotlines, adaptive numbers, queues, IVR.")
    app.state.ctx = ctx
    errors.install(app, html=error_page)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestIds)
    install_portal(app, embed_origins=ctx.embed_origins)
    for module in (hotlines, adaptive_numbers, groups, agents, queues, ivr, operator, keys, numbers, calls,
                   recordings, reports, webhooks):
        app.include_router(module.router, prefix="/api/v1")
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    contract.install(app)

    @app.get("/api/v1/health", tags=["operations"],
             responses={503: {"description": "not ready: the database or the SIP engine does not answer"}})
    def health() -> JSONResponse:
        """Ready or not, with the database, the SIP engine's liveness probe and counters, and the
        writers' backlog; 503 when the database or the running switch's SIP engine does not answer."""
        assert ctx.health is not None
        ready, report = ctx.health.check()
        return JSONResponse({"status": "ok" if ready else "unavailable", "version": __version__, **report},
                            status_code=200 if ready else 503)

    return app


def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format. With TONGDAI_METRICS_TOKEN set, only `Authorization: Bearer <token>`;
    without it, only clients on this host (loopback)."""
    c = request.app.state.ctx
    if c.metrics is None:
        raise HTTPException(404, "no metrics in this process")
    if c.metrics_token:
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(),
                                   f"Bearer {c.metrics_token}".encode()):
            raise HTTPException(401, "/metrics needs the metrics token: Authorization: Bearer <TONGDAI_METRICS_TOKEN>",
                                headers={"WWW-Authenticate": "Bearer"})
    elif request.client is None or request.client.host not in ("127.0.0.1", "::1"):
        raise HTTPException(403, "/metrics answers this host only; set TONGDAI_METRICS_TOKEN to scrape from elsewhere")
    return Response(c.metrics.render(), media_type=METRICS_CONTENT_TYPE)
