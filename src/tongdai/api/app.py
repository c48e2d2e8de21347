"""The FastAPI application: routers under /api/v1, problem+json errors, one Context."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from .. import __version__
from . import errors
from .deps import Context
from .routes import numbers, operator, tenant


def create_app(engine: Engine, context: Context | None = None) -> FastAPI:
    app = FastAPI(title="tongdai", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None,
                  description="Cloud contact-center switchboard: hotlines, adaptive numbers, queues, IVR.")
    app.state.ctx = context or Context(engine=engine)
    errors.install(app)
    app.include_router(tenant.router, prefix="/api/v1")
    app.include_router(operator.router, prefix="/api/v1")
    app.include_router(numbers.router, prefix="/api/v1")

    @app.get("/api/v1/health", tags=["operations"])
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
