"""/metrics against a running `tongdai serve`: the counters move with real calls and match them, the gauges
read live state (registrations, agents, a waiting call's queue, rtpengine), and only this host (or the
metrics token) may scrape."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from . import flows
from .harness import Server, Sipp, agent, agent_id, carrier, ok, register_phone


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def scrape(server: Server, **headers) -> dict[str, float]:
    r = httpx.get(f"http://127.0.0.1:{server.http_port}/metrics", headers=headers, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    values = {}
    for line in r.text.splitlines():
        found = re.match(r"^(tongdai_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if found:
            values[found.group(1)] = float(found.group(2))
    return values


def test_counters_follow_real_calls_and_gauges_read_live_state(server, tmp_path):
    before = scrape(server)
    for n in range(3):  # three outbound calls, answered, the agent hangs up
        side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
        time.sleep(0.3)
        ok(agent("agent_call", server, tmp_path, keys={"dest": f"098100070{n}"},
                 after_auth=flows.ANSWERED + flows.HANG_UP), "agent")
        ok(side, "carrier")
    time.sleep(0.5)
    after = scrape(server)

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)
    assert delta('tongdai_calls_started_total{direction="outbound"}') == 3
    assert delta('tongdai_calls_ended_total{direction="outbound",outcome="completed"}') == 3
    assert after['tongdai_calls_active{direction="outbound"}'] == 0
    assert delta('tongdai_call_setup_seconds_count{direction="outbound"}') == 3
    assert delta('tongdai_sip_requests_received_total{method="INVITE"}') == 6  # each challenged once
    assert delta('tongdai_sip_messages_sent_total{message="INVITE"}') == 3  # to the carrier
    assert delta('tongdai_sip_messages_sent_total{message="407"}') == 3  # the challenges
    assert delta("tongdai_sip_datagrams") >= 6 + 3 * 3  # the INVITEs, and ACK, BYE and its answer per call
    assert after["tongdai_rtpengine_up"] == 1 and after["tongdai_recordings_pending"] >= 0
    # live state: a registered phone, its agent available; then a customer waiting in Support
    port = register_phone(server, tmp_path, "binh", state="available")
    assert scrape(server)["tongdai_registrations"] == 1
    assert scrape(server)['tongdai_registration_changes_total{change="added"}'] == 1
    set_away = httpx.put(f"{server.api}/agents/{agent_id(server, 'binh')}/status", headers=server.admin,
                         json={"status": "away", "reason": "break"})
    assert set_away.status_code == 200, set_away.text
    queue = server.get("/queues", name="Support")["items"][0]["id"]
    customer = Sipp("customer_call", port=server.carrier_port, target=server.sip_port, workdir=tmp_path,
                    keys={"hotline": "0912000001", "customer": "0987300701"},
                    after_ring=flows.CUSTOMER_HANGS_UP_WHILE_RINGING.replace("${wait_ms}", "2500"))
    time.sleep(1.8)
    waiting = scrape(server)
    ok(customer, "customer")
    assert waiting[f'tongdai_queue_waiting_calls{{queue="{queue}"}}'] == 1, waiting
    assert 1.0 <= waiting[f'tongdai_queue_longest_wait_seconds{{queue="{queue}"}}'] < 5.0
    assert waiting['tongdai_agents{state="away"}'] >= 1 and waiting['tongdai_calls_active{direction="inbound"}'] == 1
    del port


def test_only_this_host_or_the_token_may_scrape(tmp_path):
    s = Server(tmp_path / "data")
    s.env["TONGDAI_METRICS_TOKEN"] = "scrape-secret-1"
    s.start()
    try:
        url = f"http://127.0.0.1:{s.http_port}/metrics"
        refused = httpx.get(url)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "tongdai_calls_started" in httpx.get(url, headers={"Authorization": "Bearer scrape-secret-1"}).text
    finally:
        s.stop()
