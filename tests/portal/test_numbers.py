"""Adaptive numbers and webhooks in Chromium."""

from __future__ import annotations

from tongdai.store.uow import UnitOfWork

from .conftest import sign_in


def test_an_adaptive_number_is_added_with_members_and_a_fallback_and_a_virtual_number_is_never_offered(portal, page):
    sign_in(page, portal, next_path="/adaptive-numbers")
    page.wait_for_url(portal.url + "/adaptive-numbers")
    assert "+842838259999" not in page.locator("form.card").inner_text()  # the demo's virtual number cannot call out
    page.fill('input[name="name"]', "Gọi ra cùng mạng")
    page.check('label:has-text("Viettel sales line") input')
    page.check('label:has-text("Vinaphone line") input')
    page.select_option('select[name="fallback_hotline_id"]', label="Vinaphone line (+84912000001)")
    with page.expect_navigation():
        page.click("form.card button.primary")
    row = page.locator('tr:has-text("Gọi ra cùng mạng")')
    assert "Viettel sales line" in row.inner_text() and "Vinaphone line" in row.inner_text()
    page.fill('input[name="name"]', "   ")  # blank: the browser lets it through, the rule does not
    page.click("form.card button.primary")
    assert page.locator('[data-error-for="name"]').inner_text() == "Trường này là bắt buộc."


def test_a_webhook_is_added_with_a_secret_shown_once_and_a_private_address_is_refused(portal, page):
    sign_in(page, portal, next_path="/webhooks")
    page.wait_for_url(portal.url + "/webhooks")
    page.fill('input[name="url"]', "http://127.0.0.1:9/hook")  # loopback: not a place to deliver to
    page.click("form.card button.primary")
    assert page.locator('[data-error-for="url"]').is_visible()
    page.fill('input[name="url"]', "https://93.184.216.34/tongdai")
    page.uncheck('input[value="*"]')
    page.check('input[value="call.ended"]')
    page.click("form.card button.primary")
    secret = page.locator("[data-webhook-secret]").inner_text()
    assert secret.startswith("whsec_")
    with UnitOfWork(portal.engine) as uow:
        (hook,) = uow.webhooks.list(portal.keys["tenant_id"])
    assert hook["secret"] == secret and hook["events"] == ["call.ended"]
    page.goto(portal.url + "/webhooks")
    assert page.locator("[data-webhook-secret]").count() == 0 and "93.184.216.34" in page.content()
