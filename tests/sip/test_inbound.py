"""Inbound calls end to end: a customer (SIPp as the carrier) calls a hotline, the queue offers the call
to agents' phones (SIPp or baresip, registered through the switch), and the call log, the event
stream, the queue's live view and a webhook receiver say what happened."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from . import flows
from .harness import Server, Sipp, agent_id, free_port, ok, register_phone, rtp_packets_per_leg, wait_state
from .test_baresip import baresip_config

SUPPORT_HOTLINE = "0912000001"  # the demo's Vinaphone hotline: Support queue, 30 s wrap-up


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    s.env["TONGDAI_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # the test's receivers are on loopback
    s.start()
    yield s
    s.stop()


class Events:
    """The tenant's event stream, read in the background."""

    def __init__(self, server: Server):
        self.items: list[dict] = []
        self._thread = threading.Thread(target=self._listen, args=(server,), daemon=True)
        self._thread.start()
        time.sleep(0.5)

    def _listen(self, server: Server) -> None:
        try:
            with httpx.stream("GET", server.api + "/events", headers=server.admin, timeout=60) as stream:
                for line in stream.iter_lines():
                    if line.startswith("data: "):
                        self.items.append(json.loads(line[6:]))
        except httpx.HTTPError:
            return  # the server stopped at the end of the test: the stream ends with it

    def of(self, kind: str, call_id: str | None = None) -> list[dict]:
        return [e["data"] for e in self.items if e["type"] == kind
                and (call_id is None or e["data"].get("call_id", e["data"].get("id")) == call_id)]


def phone(port: int, tmp_path, flow: str | None = None) -> Sipp:
    """An agent's phone (SIPp on the port it registered from) that answers one call and waits for BYE."""
    return Sipp("carrier", port=port, workdir=tmp_path,
                flow=flow or flows.carrier_invite() + flows.reply_answer() + flows.CARRIER_WAIT_BYE)


def customer(server: Server, tmp_path, number: str, after_ring: str, hotline: str = SUPPORT_HOTLINE) -> Sipp:
    return Sipp("customer_call", port=server.carrier_port, target=server.sip_port, workdir=tmp_path,
                keys={"hotline": hotline, "customer": number}, after_ring=after_ring)


def call_of(server: Server, number: str, **wanted) -> dict:
    """The ended inbound call from this customer number, once its row has every `wanted` field set."""
    return server.wait_call(lambda c: c["customer_number"] == number and c["ended_at"]
                            and all(c[k] is not None for k in wanted))


def patch(server: Server, path: str, body: dict) -> dict:
    r = httpx.patch(server.api + path, headers=server.admin, json=body)
    assert r.status_code == 200, r.text
    time.sleep(0.4)  # the switch reloads its configuration
    return r.json()


def support_queue(server: Server) -> dict:
    return server.get("/queues", name="Support")["items"][0]


def agent_key(server: Server, agent: str) -> dict:
    key = httpx.post(f"{server.api}/agents/{agent}/api-keys", headers=server.admin).json()["key"]
    return {"Authorization": f"Bearer {key}"}


def test_an_inbound_call_reaches_an_agent_of_the_queue_who_then_wraps_up(server, tmp_path):
    binh = agent_id(server, "binh")
    answering = phone(register_phone(server, tmp_path, "binh"), tmp_path,
                      flows.carrier_invite(caller_user="+84987111222") + flows.reply_answer() + flows.CARRIER_WAIT_BYE)
    time.sleep(0.5)
    ok(customer(server, tmp_path, "0987111222", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(answering, "agent phone")
    call = call_of(server, "+84987111222")
    assert (call["agent_id"], call["customer_number"], call["hotline_number"]) == (binh, "+84987111222",
                                                                                  "+84912000001")
    assert call["answered_at"] and call["end_reason"] == "completed" and call["hung_up_by"] == "customer"
    # the Vinaphone hotline's wrap-up (30 s in the demo): no call meanwhile, until binh says ready
    status = wait_state(server, binh, "wrap_up")
    assert status["wrap_up_until"]
    r = httpx.post(f"{server.api}/agents/{binh}/ready", headers=agent_key(server, binh))
    assert r.status_code == 200 and r.json()["state"] == "available"


def test_the_caller_hanging_up_while_an_agent_rings_cancels_the_leg(server, tmp_path):
    ringing = phone(register_phone(server, tmp_path, "binh"), tmp_path,
                    flows.carrier_invite() + flows.CARRIER_RING_CANCELLED)
    time.sleep(0.5)
    ok(customer(server, tmp_path, "0987111333",
                flows.CUSTOMER_HANGS_UP_WHILE_RINGING.replace("${wait_ms}", "1000")), "customer")
    ok(ringing, "agent phone")
    call = call_of(server, "+84987111333")
    assert (call["end_reason"], call["hung_up_by"], call["answered_at"]) == ("abandoned", "customer", None)
    wait_state(server, agent_id(server, "binh"), "available")


def test_an_away_agent_is_skipped_and_a_backup_agent_answers(server, tmp_path):
    binh = agent_id(server, "binh")
    register_phone(server, tmp_path, "binh")
    httpx.put(f"{server.api}/agents/{binh}/status", headers=server.admin, json={"status": "away", "reason": "break"})
    wait_state(server, binh, "away")
    answering = phone(register_phone(server, tmp_path, "an"), tmp_path)  # sales: the support queue's backup
    time.sleep(0.5)
    ok(customer(server, tmp_path, "0987111444", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(answering, "an's phone")
    assert call_of(server, "+84987111444")["agent_id"] == agent_id(server, "an")


def test_a_ring_timeout_moves_the_call_to_the_next_agent(server, tmp_path):
    patch(server, f"/queues/{support_queue(server)['id']}", {"ring_timeout_seconds": 5})
    silent = phone(register_phone(server, tmp_path, "binh"), tmp_path,  # support: rings first, never answers
                   flows.carrier_invite() + flows.CARRIER_RING_CANCELLED)
    answering = phone(register_phone(server, tmp_path, "an"), tmp_path)  # sales: the backup, answers
    time.sleep(0.5)
    ok(customer(server, tmp_path, "0987111666", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(silent, "binh's phone (rang out)")
    ok(answering, "an's phone")
    assert call_of(server, "+84987111666")["agent_id"] == agent_id(server, "an")
    wait_state(server, agent_id(server, "binh"), "available")


def test_answered_call_is_logged_with_queue_ring_and_wrap_up_times(server, tmp_path):
    events = Events(server)
    binh = agent_id(server, "binh")
    port = register_phone(server, tmp_path, "binh")
    answering = phone(port, tmp_path)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200001", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(answering, "binh's phone")
    call = call_of(server, "+84987200001")
    queue = support_queue(server)
    assert (call["agent_id"], call["queue_id"], call["agents_offered"], call["overflow"]) == (
        binh, queue["id"], [binh], None)
    assert 0 <= call["ring_seconds"] <= call["queue_seconds"] < 5 and call["talk_seconds"] > 0
    assert call["wrap_up_seconds"] is None  # still wrapping up
    live = server.get(f"/queues/{queue['id']}/live")
    assert {a["agent_id"]: a["state"] for a in live["agents"]}[binh] == "wrap_up" and live["waiting"] == []
    time.sleep(1.0)
    r = httpx.post(f"{server.api}/agents/{binh}/ready", headers=agent_key(server, binh))
    assert r.status_code == 200 and r.json()["state"] == "available"
    call = call_of(server, "+84987200001", wrap_up_seconds=True)
    assert 1.0 <= call["wrap_up_seconds"] < 10  # ended by ready, well before the hotline's 30 s
    queued, offered = events.of("call.queued", call["id"]), events.of("call.offered", call["id"])
    assert [q["queue_id"] for q in queued] == [queue["id"]] and [o["agent_id"] for o in offered] == [binh]
    assert events.of("call.answered", call["id"]) and events.of("call.ended", call["id"])
    assert not events.of("call.abandoned")


def test_a_call_during_wrap_up_goes_to_another_agent_or_waits_for_ready(server, tmp_path):
    binh, an = agent_id(server, "binh"), agent_id(server, "an")
    binh_port = register_phone(server, tmp_path, "binh")  # Support: the queue's primary group
    an_port = register_phone(server, tmp_path, "an")  # Sales: its backup group
    first = phone(binh_port, tmp_path)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200011", flows.CUSTOMER_ANSWERED_HANGS_UP), "first customer")
    ok(first, "binh's phone")
    wait_state(server, binh, "wrap_up")
    # binh wraps up: the second call goes to an, the backup, and binh's phone never rings
    second = phone(an_port, tmp_path)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200012", flows.CUSTOMER_ANSWERED_HANGS_UP), "second customer")
    ok(second, "an's phone")
    assert call_of(server, "+84987200012")["agents_offered"] == [an]
    wait_state(server, an, "wrap_up")
    # both wrap up: the third call waits in the queue (the live view shows it) until binh is ready
    third_phone = phone(binh_port, tmp_path)
    time.sleep(0.3)
    third = customer(server, tmp_path, "0987200013", flows.CUSTOMER_ANSWERED_HANGS_UP)
    time.sleep(1.5)
    live = server.get(f"/queues/{support_queue(server)['id']}/live")
    assert len(live["waiting"]) == 1 and live["waiting"][0]["waited_seconds"] >= 1
    assert live["waiting"][0]["ringing_agents"] == []
    assert {a["agent_id"]: a["state"] for a in live["agents"]} == {binh: "wrap_up", an: "wrap_up"}
    assert httpx.post(f"{server.api}/agents/{binh}/ready", headers=agent_key(server, binh)).status_code == 200
    ok(third, "third customer")
    ok(third_phone, "binh's phone, after ready")
    call = call_of(server, "+84987200013")
    assert call["agents_offered"] == [binh] and call["queue_seconds"] >= 1.5
    # nobody was ever offered a call outside `available`: binh's history has no ringing in wrap-up
    history = [(h["old"], h["new"]) for h in reversed(server.get(f"/agents/{binh}/status-history")["items"])]
    assert ("wrap_up", "ringing") not in history and history.count(("available", "ringing")) == 2


def test_max_wait_overflows_to_another_queue(server, tmp_path):
    events = Events(server)
    sales_group = server.get("/groups", name="Sales")["items"][0]
    support_group = server.get("/groups", name="Support")["items"][0]
    r = httpx.post(server.api + "/queues", headers=server.admin, json={
        "name": "Sales overflow", "groups": [{"group_id": sales_group["id"], "priority": 1}]})
    assert r.status_code == 201, r.text
    sales_queue = r.json()
    queue = support_queue(server)
    patch(server, f"/queues/{queue['id']}", {"groups": [{"group_id": support_group["id"], "priority": 1}],
                                              "max_wait_seconds": 2,
                                              "max_wait_action": {"type": "queue", "queue_id": sales_queue["id"]}})
    an = agent_id(server, "an")
    answering = phone(register_phone(server, tmp_path, "an"), tmp_path)  # only Sales is there
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200021", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(answering, "an's phone")
    call = call_of(server, "+84987200021")
    assert (call["agent_id"], call["queue_id"], call["overflow"]) == (an, sales_queue["id"],
                                                                      f"queue:{sales_queue['id']}")
    assert call["queue_seconds"] >= 2
    assert [q["queue_id"] for q in events.of("call.queued", call["id"])] == [queue["id"], sales_queue["id"]]


def test_max_wait_overflows_to_an_external_number_through_the_same_hotline(server, tmp_path):
    queue = support_queue(server)
    patch(server, f"/queues/{queue['id']}", {"max_wait_seconds": 2,
                                              "max_wait_action": {"type": "external", "number": "0987654321"}})
    # the carrier takes the forwarded call on the trunk's port (the customer calls from another)
    trunk = server.get("/trunks", headers=server.operator)["items"][0]
    forward_port = free_port()
    r = httpx.patch(f"{server.api}/trunks/{trunk['id']}", headers=server.operator, json={"port": forward_port})
    assert r.status_code == 200
    time.sleep(0.4)
    external = Sipp("carrier", port=forward_port, workdir=tmp_path,
                    flow=flows.carrier_invite("+84912000001") + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200031", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(external, "the external number (carrier)")
    assert "sip:+84987654321@" in external.messages()
    call = call_of(server, "+84987200031")
    assert (call["overflow"], call["end_reason"], call["agent_id"]) == ("external:+84987654321", "completed", None)
    assert call["answered_at"] and call["queue_seconds"] >= 2


def test_max_wait_hangs_up_with_the_queues_reason(server, tmp_path):
    queue = support_queue(server)
    patch(server, f"/queues/{queue['id']}", {"max_wait_seconds": 1,
                                              "max_wait_action": {"type": "hangup", "reason": "closed"}})
    refused = customer(server, tmp_path, "0987200041", flows.customer_refused(480))
    ok(refused, "customer")
    assert re.search(r"SIP/2.0 480 closed", refused.messages())
    assert 'Reason: SIP;cause=480;text="max_wait"' in refused.messages()
    call = call_of(server, "+84987200041")
    assert (call["overflow"], call["end_reason"], call["sip_status"]) == ("hangup", "overflow", 480)


class Receiver:
    """A webhook receiver on loopback that keeps what it is sent."""

    def __init__(self):
        self.deliveries: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                return None  # quiet: the test reads the deliveries, not a log

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


def test_the_answer_time_alert_fires_once_at_a_webhook_and_the_abandon_is_reported(server, tmp_path):
    receiver = Receiver()
    try:
        r = httpx.post(server.api + "/webhooks", headers=server.admin, json={
            "url": receiver.url, "secret": "s3cret-for-tests",
            "events": ["call.answer_time_exceeded", "call.abandoned", "call.queued"]})
        assert r.status_code == 201, r.text
        hotline = server.get("/hotlines", number="+84912000001")["items"][0]
        patch(server, f"/hotlines/{hotline['id']}", {"notify_answer_seconds": 1})
        events = Events(server)
        # nobody is registered: the call waits; the alert fires after 1 s; the caller leaves after 3 s
        waiting = customer(server, tmp_path, "0987200051",
                           flows.CUSTOMER_HANGS_UP_WHILE_RINGING.replace("${wait_ms}", "3000"))
        queue_id = support_queue(server)["id"]
        deadline = time.monotonic() + 5
        while not (live := server.get(f"/queues/{queue_id}/live"))["waiting"]:  # SIPp may be slow to start
            assert time.monotonic() < deadline, live
            time.sleep(0.05)
        assert [w["over_threshold"] for w in live["waiting"]] == [False] and live["over_threshold"] == 0
        time.sleep(1.3)
        live = server.get(f"/queues/{support_queue(server)['id']}/live")
        assert [w["over_threshold"] for w in live["waiting"]] == [True] and live["over_threshold"] == 1
        ok(waiting, "customer")
        call = call_of(server, "+84987200051")
        assert call["end_reason"] == "abandoned" and call["agents_offered"] == []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(receiver.deliveries) < 3:
            time.sleep(0.1)
        time.sleep(1.5)  # and nothing more arrives
        kinds = [json.loads(body)["type"] for _, body in receiver.deliveries]
        assert sorted(kinds) == ["call.abandoned", "call.answer_time_exceeded", "call.queued"], kinds
        for headers, body in receiver.deliveries:
            signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
            expected = "v1," + base64.b64encode(hmac.new(b"s3cret-for-tests", signed, hashlib.sha256).digest()).decode()
            assert headers["webhook-signature"] == expected
        alert = next(json.loads(b)["data"] for _, b in receiver.deliveries
                     if json.loads(b)["type"] == "call.answer_time_exceeded")
        assert (alert["call_id"], alert["hotline_id"], alert["queue_id"]) == (
            call["id"], hotline["id"], support_queue(server)["id"])
        assert 1 <= alert["waited_seconds"] < 3
        on_stream = events.of("call.answer_time_exceeded")
        assert len(on_stream) == 1 and on_stream[0]["hotline_id"] == hotline["id"]
        assert on_stream[0]["waited_seconds"] >= 1
        assert events.of("call.abandoned", call["id"])[0]["waited_seconds"] >= 2.5
    finally:
        receiver.http.shutdown()


def test_audio_flows_between_the_customer_and_the_agent(server, tmp_path):
    port = register_phone(server, tmp_path, "binh")
    answering = phone(port, tmp_path, flows.carrier_invite() + flows.reply_answer() + flows.MEDIA
                      + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = customer(server, tmp_path, "0987200061", flows.customer_answered(flows.MEDIA))
    seen = rtp_packets_per_leg(server.ng_port, caller.proc)
    ok(caller, "customer")
    ok(answering, "binh's phone")
    # each side received the packets the other played (the pcap holds 10 RTP packets)
    assert len(seen) == 2 and all(n >= 8 for n in seen.values()), seen


def test_a_baresip_agent_answers_an_inbound_call_and_hears_the_customer(server, tmp_path):
    home = tmp_path / "baresip"
    home.mkdir()
    baresip_config(home, server, user="binh", answer="auto")
    softphone = subprocess.Popen(["baresip", "-f", str(home), "-t", "14"], cwd=home, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        wait_state(server, agent_id(server, "binh"), "available", timeout=10)
        # the customer plays its RTP and hangs up after 2.5 s, before baresip's 4 s tone runs out
        caller = customer(server, tmp_path, "0987200071", flows.customer_answered(flows.MEDIA))
        code = caller.wait()
        output, _ = softphone.communicate(timeout=30)
        assert code == 0, f"customer: {caller.errors()[-1000:]}\nbaresip: {output[-3000:]}"
    finally:
        if softphone.poll() is None:
            softphone.kill()
    assert "Call established" in output, output[-3000:]
    sent, received = map(int, re.search(r"packets:\s+(\d+)\s+(\d+)", output).groups())
    assert sent > 100 and received >= 8, output[-1500:]  # its tone out; the customer's RTP in
    call = call_of(server, "+84987200071")
    assert call["agent_id"] == agent_id(server, "binh") and call["hung_up_by"] == "customer"


def test_a_customer_who_leaves_while_the_external_overflow_number_rings_is_an_abandon(server, tmp_path):
    events = Events(server)
    queue = support_queue(server)
    patch(server, f"/queues/{queue['id']}", {"max_wait_seconds": 1,
                                              "max_wait_action": {"type": "external", "number": "0987654322"}})
    trunk = server.get("/trunks", headers=server.operator)["items"][0]
    forward_port = free_port()
    assert httpx.patch(f"{server.api}/trunks/{trunk['id']}", headers=server.operator,
                       json={"port": forward_port}).status_code == 200
    time.sleep(0.4)
    external = Sipp("carrier", port=forward_port, workdir=tmp_path,
                    flow=flows.carrier_invite("+84912000001") + flows.CARRIER_RING_CANCELLED)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200081",
                flows.CUSTOMER_HANGS_UP_WHILE_RINGING.replace("${wait_ms}", "3000")), "customer")
    ok(external, "the external number, cancelled")
    call = call_of(server, "+84987200081")
    assert (call["overflow"], call["end_reason"], call["answered_at"]) == ("external:+84987654322", "abandoned", None)
    abandoned = events.of("call.abandoned", call["id"])
    assert len(abandoned) == 1 and abandoned[0]["waited_seconds"] >= 2.5


def test_an_offer_rings_every_phone_of_the_agent_and_the_first_to_answer_takes_it(server, tmp_path):
    binh = agent_id(server, "binh")
    desk = register_phone(server, tmp_path, "binh")
    softphone = register_phone(server, tmp_path, "binh")
    assert len(server.get(f"/agents/{binh}/registrations")["items"]) == 2
    rings_on = phone(desk, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_CANCELLED)
    answers = phone(softphone, tmp_path)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200091", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(answers, "binh's softphone")
    ok(rings_on, "binh's desk phone (stops ringing when the softphone answers)")
    call = call_of(server, "+84987200091")
    assert (call["agent_id"], call["agents_offered"], call["end_reason"]) == (binh, [binh], "completed")


def test_one_phone_refusing_does_not_decline_the_offer_while_another_rings(server, tmp_path):
    binh = agent_id(server, "binh")
    busy_phone = register_phone(server, tmp_path, "binh")
    softphone = register_phone(server, tmp_path, "binh")
    refuses = phone(busy_phone, tmp_path, flows.carrier_invite() + flows.carrier_fail("486 Busy Here"))
    answers = phone(softphone, tmp_path, flows.carrier_invite() + '<pause milliseconds="1000"/>'
                    + flows.reply_answer() + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(customer(server, tmp_path, "0987200092", flows.CUSTOMER_ANSWERED_HANGS_UP), "customer")
    ok(refuses, "binh's busy phone")
    ok(answers, "binh's softphone, answering a second later")
    call = call_of(server, "+84987200092")
    assert (call["agent_id"], call["agents_offered"]) == (binh, [binh])


def test_an_answered_inbound_call_whose_carrier_forgot_it_is_ended_by_the_session_timer(tmp_path):
    """RFC 4028 on the carrier's leg of an inbound call: tongdai's UPDATE gets 481, the agent's phone a BYE."""
    server = Server(tmp_path / "data")
    server.env["TONGDAI_SESSION_EXPIRES_SECONDS"] = "4"
    server.start()
    try:
        port = register_phone(server, tmp_path, "binh")
        answering = phone(port, tmp_path)
        time.sleep(0.3)
        forgets = flows.customer_answered(talk=flows.carrier_forgets_the_call()).split(
            '  <send retrans="500"><![CDATA[\nBYE')[0] + '  <Reference variables="sdp"/>\n'
        ok(customer(server, tmp_path, "0987200061", forgets), "customer")
        ok(answering, "binh's phone")  # it got tongdai's BYE
        call = call_of(server, "+84987200061")
        assert (call["end_reason"], call["hung_up_by"]) == ("session_expired", "system") and call["answered_at"]
    finally:
        server.stop()
