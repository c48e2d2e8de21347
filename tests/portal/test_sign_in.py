"""Signing in and out in Chromium: good and wrong passwords, throttling, the cookie's attributes, CSRF,
and the language switch remembered per user."""

from __future__ import annotations

from tongdai.demo import PORTAL_PASSWORD

from .conftest import ADMIN, sign_in


def test_a_user_signs_in_lands_where_it_was_going_and_signs_out(portal, page):
    page.goto(portal.url + "/hotlines")
    assert page.url.startswith(portal.url + "/sign-in")  # not signed in: off to the sign-in page
    assert page.locator("h1").inner_text() == "Đăng nhập"  # Vietnamese by default
    sign_in(page, portal, next_path="/hotlines")
    page.wait_for_url(portal.url + "/hotlines")
    assert page.locator("h1").inner_text() == "Hotline"
    assert "Quản trị viên" in page.locator(".who").inner_text()
    cookie = next(c for c in page.context.cookies() if c["name"] == "tongdai_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain http on loopback
    page.click("text=Đăng xuất")
    page.wait_for_url(portal.url + "/sign-in")
    page.goto(portal.url + "/hotlines")
    assert page.url.startswith(portal.url + "/sign-in")  # the session is gone on the server too


def test_a_wrong_password_is_refused_and_five_failures_block_the_email_for_a_while(portal, page):
    for _ in range(5):
        sign_in(page, portal, password="not-the-password")
        assert page.locator(".alert").inner_text() == "Sai email hoặc mật khẩu."
    sign_in(page, portal)  # the right password, but the email is blocked now
    assert "Đăng nhập sai quá nhiều lần" in page.locator(".alert").inner_text()
    assert page.url.startswith(portal.url + "/sign-in")


def test_a_form_posted_without_its_csrf_token_is_refused(portal, page):
    sign_in(page, portal)
    page.wait_for_url(portal.url + "/")
    before = page.context.request.get(portal.url + "/hotlines").text().count("<tr>")
    r = page.context.request.post(portal.url + "/hotlines/new", form={
        "number_type": "virtual", "country": "VN", "line_type": "local", "number": "02838250888", "name": "x",
        "groups_mode": "all", "queue_id": ""})
    assert r.status == 403  # the session cookie alone does not make a change
    assert page.context.request.get(portal.url + "/hotlines").text().count("<tr>") == before


def test_the_language_switch_is_remembered_for_the_user(portal, page, browser):
    sign_in(page, portal)
    page.wait_for_url(portal.url + "/")
    with page.expect_navigation():
        page.select_option('select[name="language"]', "en")  # the form sends itself
    assert page.locator("button.link").inner_text() == "Sign out"
    page.goto(portal.url + "/hotlines")
    assert page.locator("h1").inner_text() == "Hotlines"
    other = browser.new_context()  # another browser: the choice is the user's, not the cookie's
    try:
        fresh = other.new_page()
        sign_in(fresh, portal, email=ADMIN, password=PORTAL_PASSWORD, next_path="/hotlines")
        fresh.wait_for_url(portal.url + "/hotlines")
        assert fresh.locator("h1").inner_text() == "Hotlines"
    finally:
        other.close()
