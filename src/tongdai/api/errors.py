"""Every error leaves as RFC 9457 problem+json with `errors: [{field, code, message}]`; never a 500 body
with a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..domain.errors import Forbidden, InUse, NotFound, RuleViolation
from ..store.repositories import Unavailable

log = logging.getLogger("tongdai.api")

RETRY_AFTER_SECONDS = 5

PYDANTIC_CODES = {
    "missing": "required", "extra_forbidden": "unknown_field", "json_invalid": "invalid_json",
    "literal_error": "invalid_value", "enum": "invalid_value", "string_pattern_mismatch": "invalid_value",
    "string_too_long": "too_long", "string_too_short": "too_short", "too_long": "too_long",
    "greater_than_equal": "out_of_range", "less_than_equal": "out_of_range",
}


def problem(status: int, title: str, errors: list[dict] | None = None, detail: str | None = None,
            **extra) -> JSONResponse:
    body = {"type": f"https://tongdai.dev/problems/{title.lower().replace(' ', '-')}", "title": title,
            "status": status, "detail": detail or title, "errors": errors or [], **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "[key]")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def _rule(_: Request, exc: RuleViolation):
        errors = [{"field": v.field, "code": v.code, "message": v.message} for v in exc.violations]
        return problem(422, "Rule violation", errors, detail=errors[0]["message"] if errors else None)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound):
        return problem(404, "Not found", [{"field": "id", "code": "not_found", "message": str(exc)}], str(exc))

    @app.exception_handler(InUse)
    async def _in_use(_: Request, exc: InUse):
        return problem(409, "In use", [{"field": "id", "code": "in_use", "message": str(exc)}], str(exc),
                       used_by=exc.used_by)

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden):
        return problem(403, "Forbidden", [{"field": "authorization", "code": "forbidden", "message": str(exc)}])

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        errors = []
        for e in exc.errors():
            code = PYDANTIC_CODES.get(e["type"], e["type"].replace("_parsing", "").replace("_type", "") + "_invalid"
                                      if e["type"].endswith(("_parsing", "_type")) else e["type"])
            errors.append({"field": _field(tuple(e.get("loc", ()))), "code": code, "message": e["msg"]})
        return problem(422, "Invalid request", errors, detail=errors[0]["message"] if errors else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}.get(
            exc.status_code, "http_error")
        field = "authorization" if exc.status_code in (401, 403) else "request"
        response = problem(exc.status_code, str(exc.detail),
                           [{"field": field, "code": code, "message": str(exc.detail)}])
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = problem(503, "Database unavailable", [{
            "field": "request", "code": "database_unavailable",
            "message": "the database does not answer or refuses writes; nothing was changed, try again"}])
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", [{"field": "request", "code": "internal_error",
                                               "message": "unexpected error; it has been logged"}])
