"""Signing in and out, the language switch, and the home page."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ...app.services import users
from ...domain.errors import Forbidden
from .. import i18n
from ..web import (
    LANGUAGE_COOKIE,
    PRE_CSRF_COOKIE,
    SESSION_COOKIE,
    Page,
    current,
    form,
    new_pre_csrf,
    redirect,
    render,
    set_cookie,
    signed_in,
)

router = APIRouter(include_in_schema=False)
Signed = Annotated[Page, Depends(signed_in)]


def _safe_next(target: str) -> str:
    """Only a path of this site (no `//host`, no scheme): never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", lang: str = "") -> Response:
    page = current(request)
    if lang in i18n.LANGUAGES:
        page = Page(request, page.ctx, None, lang, page.time_zone)
    if page.session is not None:
        return redirect(_safe_next(next))
    token = request.cookies.get(PRE_CSRF_COOKIE) or new_pre_csrf()
    response = render(page, "sign_in.html", next=_safe_next(next), sign_in_csrf=token, error="", email="")
    set_cookie(response, request, PRE_CSRF_COOKIE, token, same_site="strict")
    if lang in i18n.LANGUAGES:
        set_cookie(response, request, LANGUAGE_COOKIE, lang, max_age=365 * 86400, httponly=False)
    return response


@router.post("/sign-in")
def sign_in(request: Request, email: Annotated[str, Form(max_length=320)] = "",
            password: Annotated[str, Form(max_length=400)] = "", csrf: Annotated[str, Form(max_length=100)] = "",
            next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    page = current(request)
    c = page.ctx
    _ = page.gettext
    token = request.cookies.get(PRE_CSRF_COOKIE, "")
    address = request.client.host if request.client else "?"

    def again(message: str, status: int) -> Response:
        fresh = new_pre_csrf()
        response = render(page, "sign_in.html", status=status, next=_safe_next(next), sign_in_csrf=fresh,
                          error=message, email=email)
        set_cookie(response, request, PRE_CSRF_COOKIE, fresh, same_site="strict")
        return response

    if not token or not hmac.compare_digest(token, csrf):
        return again(_("The form expired. Please sign in again."), 403)
    keys = (f"ip:{address}", f"email:{email.strip().lower()}")
    wait = max(c.sign_in_failures.retry_after(k) for k in keys)
    if wait:
        response = again(_("Too many failed sign-ins. Try again in %(minutes)d minute(s).")
                         % {"minutes": (wait + 59) // 60}, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        with c.uow() as uow:
            session_token, session = users.sign_in(uow, email=email, password=password, now=c.clock())
    except Forbidden:
        for k in keys:
            c.sign_in_failures.failed(k)
        return again(_("Wrong email or password."), 401)
    response = redirect(_safe_next(next))
    set_cookie(response, request, SESSION_COOKIE, session_token, max_age=users.SESSION_HOURS * 3600)
    set_cookie(response, request, LANGUAGE_COOKIE, session.user.language, max_age=365 * 86400, httponly=False)
    set_cookie(response, request, PRE_CSRF_COOKIE, "", max_age=0, same_site="strict")
    return response


@router.post("/sign-out")
async def sign_out(page: Signed) -> Response:
    await form(page)
    token = page.request.cookies.get(SESSION_COOKIE, "")
    with page.ctx.uow() as uow:
        users.sign_out(uow, token=token)
    widget, live = page.ctx.widget, page.ctx.live
    if widget is not None:  # the call widget's SIP credentials of this session stop working now
        for credential_id, expires_at in widget.ended(users.session_key(token)):
            if live is not None:
                live.revoke_browser_credential(credential_id, expires_at)
    response = redirect("/sign-in")
    set_cookie(response, page.request, SESSION_COOKIE, "", max_age=0)
    return response


@router.post("/language")
async def set_language(page: Signed) -> Response:
    fields = await form(page)
    language = str(fields.get("language", ""))
    if language in i18n.LANGUAGES:
        with page.ctx.uow() as uow:
            users.set_language(uow, user_id=page.user.id, language=language)
    response = redirect(_safe_next(str(fields.get("back", "/"))))
    if language in i18n.LANGUAGES:
        set_cookie(response, page.request, LANGUAGE_COOKIE, language, max_age=365 * 86400, httponly=False)
    return response


@router.get("/")
def home(page: Signed) -> Response:
    user = page.user
    counts = {}
    if user.tenant_id is not None:
        with page.ctx.uow() as uow:
            counts = {"hotlines": uow.hotlines.count(user.tenant_id), "agents": uow.agents.count(user.tenant_id),
                      "queues": uow.queues.count(user.tenant_id), "groups": uow.groups.count(user.tenant_id)}
            tenant = uow.tenants.get(user.tenant_id)
    else:
        tenant = None
    return render(page, "home.html", counts=counts, tenant=tenant)
