"""Groups and agents in Chromium: a group added, an agent created with its SIP credentials shown once
(and working: they are the digest tongdai checks), a taken extension refused beside its field."""

from __future__ import annotations

import hashlib

from tongdai.store.uow import UnitOfWork

from .conftest import sign_in


def test_a_group_and_an_agent_are_added_and_the_sip_password_is_shown_once(portal, page):
    sign_in(page, portal, next_path="/groups")
    page.wait_for_url(portal.url + "/groups")
    page.fill('input[name="name"]', "Khách hàng VIP")
    with page.expect_navigation():
        page.click("form[action='/groups'] button")
    assert "Khách hàng VIP" in page.locator("table.list").inner_text()
    page.fill('input[name="name"]', "Khách hàng VIP")  # the same name again
    page.click("form[action='/groups'] button")
    assert page.locator('[data-error-for="name"]').inner_text() == "Giá trị này đã được dùng."

    page.goto(portal.url + "/agents/new")
    page.fill('input[name="name"]', "Lê Văn Cường")
    page.fill('input[name="sip_username"]', "cuong")
    page.fill('input[name="extension"]', "101")  # An's
    page.check('label:has-text("Khách hàng VIP") input')
    page.click("button:has-text('Tạo điện thoại viên')")
    assert page.locator('[data-error-for="extension"]').inner_text() == "Giá trị này đã được dùng."
    assert page.locator('label:has-text("Khách hàng VIP") input').is_checked()  # what was chosen stays
    page.fill('input[name="extension"]', "103")
    page.click("button:has-text('Tạo điện thoại viên')")
    password = page.locator("[data-sip-password]").inner_text()
    assert len(password) >= 16 and page.locator("[data-sip-username]").inner_text() == "cuong@demo.tongdai.local"
    with UnitOfWork(portal.engine) as uow:
        agent = next(a for a in uow.agents.all(portal.keys["tenant_id"]) if a.sip_username == "cuong")
    assert agent.sip_ha1_md5 == hashlib.md5(f"cuong:demo.tongdai.local:{password}".encode()).hexdigest()
    page.goto(f"{portal.url}/agents/{agent.id}")
    assert page.locator("[data-sip-password]").count() == 0  # shown once, never again
    page.goto(portal.url + "/agents")
    row = page.locator(f'tr[data-agent="{agent.id}"]')
    assert "103" in row.inner_text() and "Khách hàng VIP" in row.inner_text()
    page.goto(portal.url + "/groups")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click('tr:has-text("Khách hàng VIP") button')
    assert page.locator("h1").inner_text() == "Vẫn đang được dùng"  # Cường is in it
