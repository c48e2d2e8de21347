"""An agent lives in the widget: signs in, registers over WebSocket, calls out with the hotline it picks,
takes a queue call showing the hotline and queue, and its state follows."""

from __future__ import annotations

import time

from tests.sip import flows
from tests.sip.harness import Server, agent_id, carrier, ok

# the carrier answers with PCMA too and plays SIPp's 7 s of PCMA speech (its dtmf pcaps hold only events)
CARRIER_ANSWERS_PCMA = flows.CARRIER_RING_ANSWER.replace("RTP/AVP 0 101", "RTP/AVP 8 0 101").replace(
    "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000\na=rtpmap:0 PCMU/8000")
CARRIER_PLAYS_AUDIO = '''
  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action></nop>
'''
AGENT_USER = "an@demo.tongdai.local"
PASSWORD = "demo-portal-1"


def open_widget(browser, server: Server, email: str = AGENT_USER):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = f"http://127.0.0.1:{server.http_port}"
    page.goto(f"{base}/sign-in?next=/widget")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.click("form[action='/sign-in'] button")
    page.wait_for_url(f"{base}/widget")
    page.wait_for_selector('[data-registration="registered"]')
    return context, page


def test_the_widget_registers_over_websocket_and_closing_it_removes_the_binding(server, browser):
    context, page = open_widget(browser, server)
    an = agent_id(server, "an")
    regs = server.get(f"/agents/{an}/registrations")["items"]
    assert any(r["contact"].endswith(".invalid;transport=ws") or ".invalid" in r["contact"] for r in regs), regs
    context.close()
    deadline = time.monotonic() + 5
    while server.get(f"/agents/{an}/registrations")["items"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.get(f"/agents/{an}/registrations")["items"] == []


def test_the_agent_calls_out_with_the_hotline_it_picks(server, browser, work):
    side = carrier(server, work, flows.carrier_invite("+84912000001") + CARRIER_ANSWERS_PCMA
                   + CARRIER_PLAYS_AUDIO + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    context, page = open_widget(browser, server)
    try:
        options = page.locator("select[name=caller] option")
        labels = options.all_inner_texts()
        assert any("+84912000001" in label for label in labels), labels
        page.select_option("select[name=caller]", label=next(lb for lb in labels if "+84912000001" in lb))
        page.fill("input[name=number]", "0981000123")
        page.click("[data-call-button]")
        page.wait_for_function("document.querySelector('[data-call-state]').textContent === 'Đang đàm thoại'")
        page.wait_for_timeout(2500)
        inbound = page.evaluate("""async () => {
            const stats = await window.tongdaiSession.connection.getStats();
            let packets = 0;
            stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived; });
            return packets;
        }""")
        assert inbound >= 8, inbound  # the carrier's pcap: 10 RTP packets
        page.click("[data-hangup]")
        page.wait_for_selector("[data-dial]:not([hidden])")
    finally:
        context.close()
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000123" and c["ended_at"])
    assert call["hotline_number"] == "+84912000001" and call["talk_seconds"] > 0, call
