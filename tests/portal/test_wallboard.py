"""The wallboard in Chromium against a running `tongdai serve`: a SIPp customer's call appears waiting in
its queue and then answered by the agent whose phone SIPp plays, with no page reload."""

from __future__ import annotations

import httpx
import pytest

from tests.sip import flows
from tests.sip.harness import Server, ok, register_phone
from tests.sip.test_inbound import customer
from tests.sip.test_ivr import answering

from .conftest import SUPERVISOR, sign_in


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


class Served:
    """What sign_in needs of a portal: its address."""

    def __init__(self, server: Server):
        self.url = server.api.removesuffix("/api/v1")


def test_the_wallboard_shows_a_call_waiting_then_answered_without_reloading(server, page, tmp_path):
    support = server.get("/queues", name="Support")["items"][0]["id"]
    portal = Served(server)
    sign_in(page, portal, email=SUPERVISOR, next_path="/wallboard")
    page.wait_for_url(portal.url + "/wallboard")
    board = page.locator(f'[data-queue="{support}"]')
    assert board.locator("[data-waiting-count]").get_attribute("data-waiting-count") == "0"
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    caller = customer(server, tmp_path, "0987400001", flows.customer_answered(
        '\n  <pause milliseconds="3000"/>\n'))
    board.locator('[data-waiting-count="1"]').wait_for()  # the event stream brought it
    clock = board.locator("ul.waiting li .clock").first
    first = clock.inner_text()
    page.wait_for_timeout(1500)
    assert clock.inner_text() != first  # the wait time ticks in the browser

    phone = answering(register_phone(server, tmp_path, "binh", state="ringing"), tmp_path)
    board.locator('[data-waiting-count="0"]').wait_for()
    binh = board.locator('li:has-text("Trần Thị Bình")')
    assert binh.get_attribute("data-state") == "on_call" and "Đang gọi" in binh.inner_text()
    ok(caller, "customer")
    ok(phone, "binh's phone")
    board.locator('li:has-text("Trần Thị Bình")[data-state="wrap_up"]').wait_for()  # the call ended: wrap-up
    assert page.evaluate("window.sameDocument") is True
    assert httpx.get(portal.url + "/wallboard/board").status_code == 303  # without a session: off to sign in
