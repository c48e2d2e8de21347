"""Every error leaves as RFC 9457 problem+json with `errors: [{field, code, message}]`; never a 500 body
with a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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


HtmlError = Callable[[Request, int, str], Response]


def install(app: FastAPI, html: HtmlError | None = None) -> None:
    """Problem+json for the API; for any other path (the portal's pages) `html(request, status, message)`
    renders the error as a page."""

    def page(request: Request, status: int, message: str) -> Response | None:
        if html is None or request.url.path.startswith("/api/"):
            return None
        return html(request, status, message)

    @app.exception_handler(RuleViolation)
    async def _rule(request: Request, exc: RuleViolation):
        if (shown := page(request, 422, "; ".join(v.message for v in exc.violations))) is not None:
            return shown
        errors = [{"field": v.field, "code": v.code, "message": v.message} for v in exc.violations]
        return problem(422, "Rule violation", errors, detail=errors[0]["message"] if errors else None)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        if (shown := page(request, 404, str(exc))) is not None:
            return shown
        return problem(404, "Not found", [{"field": "id", "code": "not_found", "message": str(exc)}], str(exc))

    @app.exception_handler(InUse)
    async def _in_use(request: Request, exc: InUse):
        if (shown := page(request, 409, str(exc))) is not None:
            return shown
        return problem(409, "In use", [{"field": "id", "code": "in_use", "message": str(exc)}], str(exc),
                       used_by=exc.used_by)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        if (shown := page(request, 403, str(exc))) is not None:
            return shown
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
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code != 303 and (shown := page(request, exc.status_code, str(exc.detail))) is not None:
            if exc.headers:
                shown.headers.update(exc.headers)
            return shown
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
        if (shown := page(request, 503, "database_unavailable")) is not None:
            shown.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return shown
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if (shown := page(request, 500, "internal_error")) is not None:
            return shown
        return problem(500, "Internal error", [{"field": "request", "code": "internal_error",
                                               "message": "unexpected error; it has been logged"}])
