"""A carrier that does not answer is reported as such: trunk health from periodic OPTIONS, calls through
a silent trunk refused at once as `carrier_unreachable`, and an INVITE nobody answers ends as
`carrier_unreachable`, never as the customer's `no_answer`."""

from __future__ import annotations

import time

import httpx
import pytest

from . import flows
from .harness import DOMAIN, PASSWORD, Server, Sipp, agent, free_port, ok


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    yield s
    s.stop()


def trunk_health(server: Server) -> dict:
    return server.get("/trunks", headers=server.operator)["items"][0]["health"]


def wait_health(server: Server, state: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while (health := trunk_health(server))["state"] != state:
        assert time.monotonic() < deadline, health
        time.sleep(0.2)
    return health


def test_a_silent_trunk_is_down_its_calls_are_refused_at_once_and_an_answer_brings_it_back(server, tmp_path):
    server.env["TONGDAI_TRUNK_CHECK_SECONDS"] = "1"
    server.start()  # nothing listens on the carrier's port
    wait_health(server, "down")
    started = time.monotonic()
    ok(agent("agent_call", server, tmp_path, keys={"dest": "0981000321"},
             after_auth=flows.final(503, "carrier_unreachable")), "agent")
    assert time.monotonic() - started < 5  # refused at once, not after half a minute of silence
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000321")
    assert (call["end_reason"], call["sip_status"], call["hung_up_by"]) == ("carrier_unreachable", 503, "system")
    answering = Sipp("answer_options", port=server.carrier_port, workdir=tmp_path, calls=3)
    health = wait_health(server, "up")
    assert health["last_status"] == 200 and health["last_answer"].endswith("Z")
    answering.proc.kill()


def test_an_invite_nobody_answers_ends_as_carrier_unreachable_not_no_answer(server, tmp_path):
    server.env["TONGDAI_TRUNK_CHECK_SECONDS"] = "0"  # no checks: the call itself finds the silence
    server.start()
    caller = Sipp("agent_call", port=free_port(), target=server.sip_port, workdir=tmp_path,
                  keys={"domain": DOMAIN, "user": "an", "caller": "", "dest": "0981000322"},
                  extra=["-au", "an", "-ap", PASSWORD, "-timeout", "60s"], after_auth=flows.final(408))
    assert caller.wait(timeout=60) == 0, caller.errors()[-2000:]  # sippy gives up after 32 s of silence
    call = server.wait_call(lambda c: c["customer_number"] == "+84981000322" and c["ended_at"], timeout=45)
    assert (call["end_reason"], call["sip_status"]) == ("carrier_unreachable", 408)
    assert trunk_health(server)["state"] == "down"
    r = httpx.get(server.api + "/health", timeout=5)
    assert r.status_code == 200  # a carrier's silence is not tongdai's
