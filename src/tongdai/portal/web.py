"""What every portal page shares: the templates (one Jinja environment per language), the signed-in
user's session from its cookie, CSRF checks on every form, and the forms' field errors, translated."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..app.context import Context
from ..app.services import users
from ..domain.errors import Forbidden, RuleViolation, Violation
from ..domain.numbering_plan import CARRIER_NAMES
from . import i18n
from .errors import error_message

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "tongdai_session"
PRE_CSRF_COOKIE = "tongdai_csrf"  # the sign-in form's double-submit token (no session yet)
LANGUAGE_COOKIE = "tongdai_lang"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None,
               same_site: str = "lax", httponly: bool = True) -> None:
    """Set a portal cookie in answer to `request` (`max_age=0` deletes it). A page loaded inside a frame (the
    call widget in a CRM, which may be another site: docs/widget.md) would never get a `Lax` or `Strict`
    cookie back, so the cookies set there are `SameSite=None; Secure; Partitioned` (CHIPS: the browser keeps
    them for that embedding site only); elsewhere `same_site`, and `Secure` over https."""
    if request.headers.get("sec-fetch-dest") != "iframe":
        response.set_cookie(name, value, max_age=max_age, httponly=httponly, samesite=same_site,  # type: ignore[arg-type]
                            secure=request.url.scheme == "https")
        return
    # written out: Starlette's `partitioned` needs Python 3.14's http.cookies; values here are URL-safe tokens
    parts = [f"{name}={value}", "Path=/", "SameSite=None", "Secure", "Partitioned"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if httponly:
        parts.append("HttpOnly")
    response.headers.append("set-cookie", "; ".join(parts))


class SignInRequired(Exception):
    """No live session: the browser goes to the sign-in page, then back to `next`."""

    def __init__(self, next_path: str):
        self.next_path = next_path


@dataclass(frozen=True)
class Page:
    """The request as a page sees it: who is signed in, in which language and time zone."""

    request: Request
    ctx: Context
    session: users.Session | None
    language: str
    time_zone: str

    @property
    def user(self):
        assert self.session is not None
        return self.session.user

    @property
    def tenant(self) -> str:
        """The signed-in user's tenant: every query of a tenant page is scoped by it."""
        return users.require_tenant_user(self.user)

    def gettext(self, message: str) -> str:
        return i18n.gettext_for(self.language)(message)


@cache
def environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    translations = i18n.translations(language)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    env.filters["carrier"] = lambda code: CARRIER_NAMES.get(code or "", code or "")
    return env


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def current(request: Request) -> Page:
    """The page's context; the session when the cookie names a live one (None otherwise)."""
    c = ctx_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    session = None
    if token:
        with c.uow() as uow:
            session = users.session(uow, token=token, now=c.clock())
    language = session.user.language if session is not None else request.cookies.get(LANGUAGE_COOKIE, "")
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT
    time_zone = "Asia/Ho_Chi_Minh"
    if session is not None and session.user.tenant_id is not None:
        with c.uow() as uow:
            tenant = uow.tenants.get(session.user.tenant_id)
        time_zone = tenant.time_zone if tenant is not None else time_zone
    return Page(request, c, session, language, time_zone)


def signed_in(request: Request) -> Page:
    """A FastAPI dependency: the page of a signed-in user, or off to the sign-in page."""
    page = current(request)
    if page.session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return page


def require(page: Page, *roles: str) -> None:
    if page.user.role not in roles:
        raise Forbidden("your role cannot open this page")


def render(page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = environment(page.language)
    lang = page.language
    body = env.get_template(template).render(
        page=page, user=page.session.user if page.session else None,
        csrf=page.session.csrf if page.session else "", language=lang,
        when=lambda value, fmt="short": i18n.when(value, lang, page.time_zone, fmt),
        number=lambda value: i18n.number(value, lang), path=page.request.url.path,
        query_with=lambda **changes: _query_with(page.request, changes), **context)
    response = HTMLResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _query_with(request: Request, changes: dict[str, Any]) -> str:
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items()})
    return urlencode(params)


def redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303)


async def form(page: Page) -> dict[str, Any]:
    """The posted form, after its CSRF token is checked against the session's (403 otherwise)."""
    data = await page.request.form()
    fields: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        fields[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    sent = str(fields.pop("csrf", ""))
    expected = page.session.csrf if page.session is not None else ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "the form expired or came from another site: reload the page and try again")
    return fields


def field_errors(page: Page, exc: RuleViolation | Iterable[Violation]) -> dict[str, str]:
    """Each violated field's message in the user's language (by the violation's stable code)."""
    violations = exc.violations if isinstance(exc, RuleViolation) else list(exc)
    out: dict[str, str] = {}
    for v in violations:
        out.setdefault(v.field, error_message(page.gettext, v))
    return out


def sign_in_redirect(exc: SignInRequired) -> Response:
    return redirect("/sign-in?next=" + quote(exc.next_path, safe="/"))


def new_pre_csrf() -> str:
    return secrets.token_urlsafe(24)
