"""The switch with real processes on loopback: `tongdai serve` (sippy + rtpengine), SIPp as agents and
as the carrier behind the demo trunk."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest

from . import flows
from .harness import DOMAIN, Server, agent, agent_id, carrier, ok, rtp_packets_per_leg, sip_exchange, stop_cleanly

VIETTEL, VINA, MOBI, VIRTUAL = "+84981000001", "+84912000001", "+84901000001", "+842838259999"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("switch"))
    s.env["TONGDAI_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # the test's receivers are on loopback
    s.start()
    yield s
    stop_cleanly(s)  # the garbage test sends malformed datagrams: sippy's tracebacks are allowed


@pytest.fixture
def work(tmp_path):
    return tmp_path


def hotline_id(server: Server, number: str) -> str:
    return server.get("/hotlines", number=number)["items"][0]["id"]




def test_agent_registers_and_a_wrong_password_is_refused(server, work):
    ok(agent("register", server, work, final="200"))
    regs = server.get(f"/agents/{agent_id(server, 'an')}/registrations")["items"]
    assert regs and regs[0]["contact"].startswith("sip:an@127.0.0.1:") and regs[0]["expires_in"] > 60
    ok(agent("register", server, work, user="binh", password="wrong-password", final="403"))
    assert server.get(f"/agents/{agent_id(server, 'binh')}/registrations")["items"] == []


def test_outbound_call_carries_the_hotline_number_and_the_agent_hangs_up(server, work):
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, after_auth=flows.ANSWERED + flows.HANG_UP), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["ended_at"] and c["customer_number"] == "+84981234567"
                            and c["hung_up_by"] == "agent")
    assert call["direction"] == "outbound" and call["agent_id"] == agent_id(server, "an")
    assert call["hotline_number"] == VIETTEL and call["hotline_id"] == hotline_id(server, VIETTEL)
    assert call["sip_status"] == 200 and call["end_reason"] == "completed"
    assert call["ringing_at"] and call["answered_at"] and call["talk_seconds"] > 0
    assert any("viettel" in r for r in call["caller_id_reasons"]) and call["recorded"] is True
    # the Viettel hotline records its outbound calls: rtpengine's pcap became the call's recording
    assert call["recorded_by"] == "hotline" and call["recording_id"]
    deadline = time.monotonic() + 30
    while server.get(f"/recordings/{call['recording_id']}")["status"] != "ready":
        assert time.monotonic() < deadline, server.get(f"/recordings/{call['recording_id']}")
        time.sleep(0.2)
    # the log has one line for its start, its answer and its end, each naming the call, tenant and agent
    lines = [line for line in server.read_log().splitlines() if f"call={call['id']} " in line]
    assert [line.split(" tongdai.calls: call ")[1].split(":")[0] for line in lines] == [
        "started outbound", "answered outbound", "ended outbound"], lines
    tenant = server.keys["tenant_id"]
    assert all(f"tenant={tenant} agent={call['agent_id']}" in line for line in lines), lines
    assert "reason=completed by=agent status=200" in lines[-1]


def test_the_customer_hangs_up(server, work):
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_HANG_UP)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, after_auth=flows.ANSWERED + flows.WAIT_BYE), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["ended_at"] and c["hung_up_by"] == "customer")
    assert call["end_reason"] == "completed" and call["answered_at"]


def test_the_agent_chooses_the_hotline_with_a_header(server, work):
    side = carrier(server, work, flows.carrier_invite(MOBI) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, user="binh", keys={"caller": MOBI, "dest": "0912345678"},
             after_auth=flows.ANSWERED + flows.HANG_UP), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["ended_at"] and c["customer_number"] == "+84912345678")
    assert call["hotline_number"] == MOBI and call["agent_id"] == agent_id(server, "binh")
    assert call["recorded"] is False  # the MobiFone hotline does not record


def test_adaptive_number_to_a_viettel_customer_uses_the_viettel_hotline(server, work):
    adaptive = server.get("/adaptive-numbers")["items"][0]["id"]
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"caller": adaptive, "dest": "0971112233"},
             after_auth=flows.ANSWERED + flows.HANG_UP), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84971112233" and c["ended_at"])
    assert call["hotline_number"] == VIETTEL


def test_calling_abroad_is_refused_with_403_until_the_operator_opens_it(server, work):
    ok(agent("agent_call", server, work, keys={"dest": "+88213000000"},
             after_auth=flows.final(403, "destination_not_allowed")), "agent")
    call = server.wait_call(lambda c: c["customer_number"] == "+88213000000")
    assert (call["sip_status"], call["end_reason"]) == (403, "refused")
    assert "international calls are not open" in call["caller_id_reasons"][-1]


def test_a_virtual_number_is_refused_with_403(server, work):
    ok(agent("agent_call", server, work, keys={"caller": hotline_id(server, VIRTUAL), "dest": "0971000001"},
             after_auth=flows.final(403, "virtual_cannot_call_out")), "agent")
    call = server.wait_call(lambda c: c["customer_number"] == "+84971000001")
    assert (call["sip_status"], call["end_reason"], call["hotline_id"]) == (403, "refused", None)
    assert "virtual numbers cannot call out" in call["caller_id_reasons"][-1]


def test_an_agent_outside_the_permitted_groups_is_refused(server, work):
    ok(agent("agent_call", server, work, user="binh", keys={"caller": hotline_id(server, VIETTEL),
                                                           "dest": "0971000002"},
             after_auth=flows.final(403, "group_not_permitted")), "agent")
    call = server.wait_call(lambda c: c["customer_number"] == "+84971000002")
    assert call["end_reason"] == "refused" and call["agent_id"] == agent_id(server, "binh")


def test_an_invite_from_an_unknown_address_gets_403(server):
    invite = (f"INVITE sip:0981234567@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx{time.time_ns()}\r\n"
              "From: <sip:mallory@evil.example>;tag=m1\r\nTo: <sip:0981234567@evil.example>\r\n"
              f"Call-ID: evil{time.time_ns()}\r\nCSeq: 1 INVITE\r\nContact: <sip:mallory@127.0.0.1:9>\r\n"
              "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    assert sip_exchange(server.sip_port, invite).startswith("SIP/2.0 403")


def test_the_carriers_digest_challenge_is_answered(server, work):
    flow = (flows.carrier_invite(VIETTEL) + flows.CARRIER_CHALLENGE + flows.carrier_invite(VIETTEL, auth=True)
            + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    side = carrier(server, work, flow)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000777"}, after_auth=flows.ANSWERED + flows.HANG_UP))
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000777" and c["ended_at"])
    assert call["sip_status"] == 200 and call["end_reason"] == "completed"


def test_cancel_before_answer(server, work):
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_CANCELLED)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000888"}, after_auth=flows.CANCEL_AFTER_RING))
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000888" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"], call["answered_at"]) == ("cancelled", "agent", None)
    assert call["ringing_at"] and call["sip_status"] == 487


@pytest.mark.parametrize("status,reason", [("486 Busy Here", "busy"), ("480 Temporarily Unavailable", "no_answer"),
                                           ("603 Decline", "rejected")])
def test_busy_no_answer_and_rejection_are_relayed(server, work, status, reason):
    code = int(status.split()[0])
    dest = f"0981000{code}"
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.carrier_fail(status))
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": dest}, after_auth=flows.final(code)))
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84" + dest[1:] and c["ended_at"])
    assert (call["sip_status"], call["end_reason"]) == (code, reason)


def test_audio_flows_both_ways_through_rtpengine(server, work):
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.MEDIA
                   + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    caller = agent("agent_call", server, work, keys={"dest": "0981000999"},
                   after_auth=flows.ANSWERED + flows.MEDIA + flows.HANG_UP)
    seen = rtp_packets_per_leg(server.ng_port, caller.proc)
    ok(caller, "agent")
    ok(side, "carrier")
    # each leg received the packets its peer played (the pcap holds 10 RTP packets)
    assert len(seen) == 2 and all(n >= 8 for n in seen.values()), seen


def test_a_phone_holds_and_resumes_through_rtpengine(server, work):
    """The agent's phone holds and resumes an outbound call: each re-INVITE reaches the carrier with
    rtpengine's address (not the phone's) and its direction, and the carrier's answer reaches the phone
    the same way (both checked by the SIPp scenarios)."""
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER
                   + flows.reinvite_answered("sendonly", codecs="0 101")
                   + flows.reinvite_answered("sendrecv", codecs="0 101") + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000997"},
             after_auth=flows.ANSWERED + flows.agent_reinvites("sendonly", cseq=3)
             + flows.agent_reinvites("sendrecv", cseq=4) + flows.hang_up(5)), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000997" and c["ended_at"])
    assert (call["end_reason"], call["hung_up_by"]) == ("completed", "agent")


def test_options_unknown_methods_and_garbage(server):
    assert server.options_ok()
    foo = (f"FOO sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKf{time.time_ns()}\r\n"
           f"From: <sip:a@{DOMAIN}>;tag=f\r\nTo: <sip:{DOMAIN}>\r\nCall-ID: foo{time.time_ns()}\r\n"
           "CSeq: 1 FOO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
    assert sip_exchange(server.sip_port, foo).startswith("SIP/2.0 501")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for junk in (b"\x00" * 64, b"INVITE\r\n\r\n" + b"x" * 100, "Ř".encode() * 50, b"SIP/2.0 999 Nope\r\n" * 5):
            s.sendto(junk, ("127.0.0.1", server.sip_port))
    assert server.options_ok()


def test_the_event_stream_carries_the_call(server, work):
    events: list[str] = []
    states: list[tuple] = []

    def listen():
        with httpx.stream("GET", server.api + "/events", headers=server.admin, timeout=20) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    message = json.loads(line[6:])
                    if message["type"] == "agent.status_changed":
                        states.append((message["data"]["old"], message["data"]["new"]))
                    elif message["data"]["customer_number"] == "+84981000555":
                        events.append(message["type"])
                        if message["type"] == "call.ended":
                            return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000555"}, after_auth=flows.ANSWERED + flows.HANG_UP))
    ok(side, "carrier")
    listener.join(10)
    assert events == ["call.started", "call.ringing", "call.answered", "call.ended"]
    assert ("available", "on_call") in states or ("offline", "on_call") in states


def test_the_call_log_filters(server):
    an = agent_id(server, "an")
    outbound = server.calls(direction="outbound", agent_id=an, limit=100)
    assert outbound and all(c["direction"] == "outbound" and c["agent_id"] == an for c in outbound)
    busy = server.calls(status=486)
    assert busy and all(c["sip_status"] == 486 and c["end_reason"] == "busy" for c in busy)
    viettel = hotline_id(server, VIETTEL)
    assert all(c["hotline_id"] == viettel for c in server.calls(hotline_id=viettel))
    first = min(c["started_at"] for c in server.calls(limit=1000))
    assert server.calls(until=first) == []
    assert len(server.calls(since=first, limit=1000)) == server.get("/calls")["total"]
    r = httpx.get(server.api + "/calls", headers=server.operator)
    assert r.status_code == 403


def carrier_invite_to(server: Server, number: str) -> str:
    """An INVITE from the trunk's address; the final answer is ACKed, as a carrier would."""
    branch, call_id = f"z9hG4bKi{time.time_ns()}", f"in{time.time_ns()}"
    via = f"Via: SIP/2.0/UDP 127.0.0.1:{server.carrier_port};branch={branch}\r\n"
    head = (f"From: <sip:0912345678@carrier.example>;tag=i1\r\nCall-ID: {call_id}\r\nMax-Forwards: 70\r\n")
    invite = (f"INVITE sip:{number}@127.0.0.1:{server.sip_port} SIP/2.0\r\n{via}{head}"
              f"To: <sip:{number}@127.0.0.1>\r\nCSeq: 1 INVITE\r\n"
              f"Contact: <sip:0912345678@127.0.0.1:{server.carrier_port}>\r\nContent-Length: 0\r\n\r\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.bind(("127.0.0.1", server.carrier_port))
        s.sendto(invite.encode(), ("127.0.0.1", server.sip_port))
        reply = s.recv(65535).decode(errors="replace")
        while reply.startswith("SIP/2.0 1"):  # 100 Trying: the final answer follows
            reply = s.recv(65535).decode(errors="replace")
        to = next(line for line in reply.split("\r\n") if line.lower().startswith("to:"))
        ack = (f"ACK sip:{number}@127.0.0.1:{server.sip_port} SIP/2.0\r\n{via}{head}{to}\r\n"
               "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
        s.sendto(ack.encode(), ("127.0.0.1", server.sip_port))
        time.sleep(0.2)
    return reply


def test_an_inbound_call_to_a_number_that_is_no_hotline_gets_404(server):
    reply = carrier_invite_to(server, "+84987654000")
    assert reply.startswith("SIP/2.0 404") and 'text="no_hotline"' in reply


def test_an_invite_without_sdp_to_an_ivr_hotline_is_refused_488_and_logged(server):
    """The IVR answers with rtpengine's SDP, which needs the caller's offer (tests/sip/test_ivr.py has calls)."""
    toll_free = server.get("/hotlines", line_type="toll_free")["items"][0]
    assert toll_free["ivr_enabled"]
    reply = carrier_invite_to(server, toll_free["number"])
    assert reply.startswith("SIP/2.0 488") and 'text="sdp_required"' in reply
    call = server.wait_call(lambda c: c["hotline_id"] == toll_free["id"])
    assert (call["direction"], call["end_reason"], call["sip_status"]) == ("inbound", "refused", 488)


def test_a_softphone_set_up_with_the_servers_address_as_domain_is_refused_whatever_its_username(server, work):
    """D9/D15: the tenant is never guessed from a username (that let one tenant lock out another's agent
    and told a prober which usernames exist): a known and an unknown username get the same 403."""
    answers = []
    for user in ("binh", "nobody-here"):
        answers.append(sip_exchange(server.sip_port, (
            f"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKs{time.time_ns()}\r\n"
            f"From: <sip:{user}@127.0.0.1>;tag=s\r\nTo: <sip:{user}@127.0.0.1>\r\nCall-ID: s{time.time_ns()}\r\n"
            f"CSeq: 1 REGISTER\r\nContact: <sip:{user}@127.0.0.1:9>\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n")).split("\r\n", 1)[0])
    assert answers == ["SIP/2.0 403 Forbidden"] * 2
    ok(agent("register", server, work, user="binh", final="200"), "binh under the tenant's domain")


def test_webhooks_are_signed_retried_and_logged(server, work):
    import base64
    import hashlib
    import hmac
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[tuple[dict, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(500 if len(received) == 1 else 200)  # the first attempt fails
            self.end_headers()

        def log_message(self, *args):
            """Quiet: the test reads what was received, not the access log."""

    httpd = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    key = b"a 32-byte signing key, for tests"
    secret = "whsec_" + base64.b64encode(key).decode()  # as Standard Webhooks libraries hand them out
    r = httpx.post(server.api + "/webhooks", headers=server.admin, json={
        "url": f"http://127.0.0.1:{httpd.server_address[1]}/hook", "events": ["call.ended"], "secret": secret})
    assert r.status_code == 201
    hook = r.json()["id"]
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000666"}, after_auth=flows.ANSWERED + flows.HANG_UP))
    ok(side, "carrier")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(received) < 2:
        time.sleep(0.1)
    httpd.shutdown()
    log = []
    for _ in range(50):
        log = server.get(f"/webhooks/{hook}/deliveries")["items"]
        if log and log[0]["status"] == "delivered":
            break
        time.sleep(0.1)
    httpx.delete(f"{server.api}/webhooks/{hook}", headers=server.admin)
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("call.ended", "delivered", 2, 200)]
    assert len(received) == 2 and received[0][1] == received[1][1]  # the same delivery, retried
    headers, body = received[1]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    assert headers["webhook-signature"] == "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-id"] == received[0][0]["webhook-id"] == json.loads(body)["id"]
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60  # a receiver refuses old timestamps
    message = json.loads(body)
    assert message["type"] == "call.ended" and message["data"]["customer_number"] == "+84981000666"


def test_an_agents_transfer_is_refused_403_never_relayed_and_the_call_goes_on(server, work):
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000999"},
             after_auth=flows.ANSWERED + flows.TRANSFER_ABROAD + flows.hang_up(4)), "agent")  # 403, then its BYE
    ok(side, "carrier")  # the carrier saw the agent's BYE, not a REFER to +882…
    assert "REFER sip:" not in side.messages()
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000999" and c["ended_at"])
    assert call["end_reason"] == "completed" and call["hung_up_by"] == "agent"


def test_the_carriers_invite_carries_no_trace_of_the_agents_softphone(server, work):
    side = carrier(server, work, flows.carrier_invite(MOBI) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"caller": MOBI, "dest": "0912000777"},
             after_auth=flows.ANSWERED + flows.HANG_UP), "agent")
    ok(side, "carrier")
    invite = side.messages().split("INVITE sip:", 1)[1].split("\n\n\n", 1)[0]
    headers, sdp = invite.split("\n\n", 1)
    names = [line.split(":", 1)[0].lower() for line in headers.splitlines()[1:]]
    assert "user-agent" not in names and "expires" not in names, headers
    origin = next(line for line in sdp.splitlines() if line.startswith("o="))
    assert origin.split()[:2] != ["o=-", "53655765"] and "53655765" not in sdp, origin  # the phone's session id
    assert origin.startswith("o=- ") and "s=-" in sdp.splitlines()


def test_an_update_mid_call_is_answered(server, work):
    """D18: a session refresh (UPDATE without a body) gets 200; one with SDP gets 488 (use a re-INVITE)."""
    side = carrier(server, work, flows.carrier_invite(VIETTEL) + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
    time.sleep(0.3)
    ok(agent("agent_call", server, work, keys={"dest": "0981000998"},
             after_auth=flows.ANSWERED + flows.in_dialog("UPDATE", 3, 200) + flows.in_dialog("UPDATE", 4, 488, sdp=True)
             + flows.hang_up(5)), "agent")
    ok(side, "carrier")
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000998" and c["ended_at"])
    assert call["end_reason"] == "completed" and call["hung_up_by"] == "agent"
