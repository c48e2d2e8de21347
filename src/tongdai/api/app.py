"""The FastAPI application: routers under /api/v1, problem+json errors, one Context."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy import Engine

from .. import __version__
from . import errors
from .deps import Context
from .routes import calls, numbers, operator, presence, tenant, webhooks

log = logging.getLogger("tongdai")


def create_app(engine: Engine, context: Context | None = None, switch_settings=None) -> FastAPI:
    """The HTTP API; with `switch_settings`, the SIP switch and rtpengine start and stop with it."""
    ctx = context or Context(engine=engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        from ..app.webhooks import WebhookDispatcher
        ctx.webhooks = WebhookDispatcher(engine, ctx.bus)
        await ctx.webhooks.start()
        runtime = None
        try:
            if switch_settings is not None:
                from ..app.runtime import Runtime
                runtime = Runtime(engine, switch_settings, ctx.bus, ctx.usage)
                await runtime.start()
                ctx.runtime = runtime
            yield
        finally:
            ctx.runtime = None
            if runtime is not None:
                await runtime.stop()
                log.info("switch stopped")
            await ctx.webhooks.stop()

    app = FastAPI(title="tongdai", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None, lifespan=lifespan,
                  description="Cloud contact-center switchboard: hotlines, adaptive numbers, queues, IVR.")
    app.state.ctx = ctx
    errors.install(app)

    @app.middleware("http")
    async def config_changes(request: Request, call_next):
        """A successful change of configuration tells the running switch to reload it."""
        response = await call_next(request)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and response.status_code < 400:
            if ctx.runtime is not None:
                ctx.runtime.config_changed()
            if ctx.webhooks is not None and request.url.path.startswith("/api/v1/webhooks"):
                await ctx.webhooks.refresh()
        return response

    app.include_router(tenant.router, prefix="/api/v1")
    app.include_router(operator.router, prefix="/api/v1")
    app.include_router(numbers.router, prefix="/api/v1")
    app.include_router(calls.router, prefix="/api/v1")
    app.include_router(webhooks.router, prefix="/api/v1")
    app.include_router(presence.router, prefix="/api/v1")

    @app.get("/api/v1/health", tags=["operations"])
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
