"""Portal users in Chromium: an admin adds a supervisor (field errors first), resets a password, and the
user's session ends; an agent user is linked to its agent."""

from __future__ import annotations

from .conftest import sign_in


def test_an_admin_adds_a_user_who_signs_in_and_a_password_reset_signs_them_out(portal, page, browser):
    sign_in(page, portal, next_path="/users/new")
    page.wait_for_url(portal.url + "/users/new")
    page.fill('input[name="email"]', "lan@demo.tongdai.local")
    page.fill('input[name="name"]', "Phạm Thị Lan")
    page.select_option('select[name="role"]', "agent")  # an agent user without its agent
    page.fill('input[name="password"]', "12345678")
    page.click("text=Tạo người dùng")
    assert page.locator('[data-error-for="agent_id"]').is_visible()
    assert "Quá dễ đoán" in page.locator('[data-error-for="password"]').inner_text()
    page.select_option('select[name="role"]', "supervisor")
    page.fill('input[name="password"]', "giam-sat-2026-moi")
    page.click("text=Tạo người dùng")
    page.wait_for_url("**/users/us_*?saved=1")
    user_url = page.url.split("?")[0]

    lan = browser.new_context()
    try:
        theirs = lan.new_page()
        sign_in(theirs, portal, email="lan@demo.tongdai.local", password="giam-sat-2026-moi")
        theirs.wait_for_url(portal.url + "/")
        assert "Giám sát viên" in theirs.locator(".who").inner_text()
        assert theirs.goto(portal.url + "/hotlines").status == 403  # a supervisor does not configure hotlines

        page.goto(user_url)
        page.fill('form[action$="/password"] input[name="password"]', "mat-khau-moi-2026")
        page.click("text=Đặt lại mật khẩu")
        assert "đã bị đăng xuất" in page.locator(".notice").inner_text()
        theirs.goto(portal.url + "/")
        assert theirs.url.startswith(portal.url + "/sign-in")  # the reset ended Lan's session
        sign_in(theirs, portal, email="lan@demo.tongdai.local", password="mat-khau-moi-2026")
        theirs.wait_for_url(portal.url + "/")
    finally:
        lan.close()
    page.goto(portal.url + "/users")
    assert page.locator("table.list tbody tr").count() == 5  # the demo's four, and Lan
