"""The SIP engine's liveness probe: it notices when nothing answers its OPTIONS any more, reports it,
and asks for a restart after the set number of probes in a row; /health turns 503."""

from __future__ import annotations

import socket
import threading
import time

from fastapi.testclient import TestClient

from tongdai.api.app import create_app
from tongdai.app.context import Context
from tongdai.app.health import Health
from tongdai.sip.probe import SipProbe
from tongdai.store.db import make_engine


class Responder:
    """A stand-in SIP engine on loopback that answers OPTIONS with 200 until it is told to stop."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.answering = True
        self.done = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.done.is_set():
            try:
                data, source = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            if self.answering:
                head = dict(line.split(": ", 1) for line in data.decode().split("\r\n")[1:] if ": " in line)
                self.sock.sendto((f"SIP/2.0 200 OK\r\nVia: {head['Via']}\r\nCall-ID: {head['Call-ID']}\r\n"
                                  "Content-Length: 0\r\n\r\n").encode(), source)


def test_the_probe_notices_an_engine_that_stops_answering_and_asks_for_a_restart():
    responder = Responder()
    dead = threading.Event()
    probe = SipProbe("127.0.0.1", responder.port, on_dead=dead.set, interval=0.05, timeout=0.2,
                     failures_before_dead=3)
    probe.start()
    try:
        deadline = time.monotonic() + 5
        while probe.answering is not True and time.monotonic() < deadline:
            time.sleep(0.05)
        assert probe.view()["answering"] is True and not dead.is_set()
        responder.answering = False
        assert dead.wait(5)
        assert probe.view()["answering"] is False and probe.view()["failed_probes"] >= 3
    finally:
        probe.stop()
        responder.done.set()


def test_health_is_503_when_the_sip_engine_or_the_database_does_not_answer(engine):
    state = {"answering": True}
    ok = TestClient(create_app(Context(engine, health=Health(engine, sip=lambda: dict(state)))))
    assert ok.get("/api/v1/health").json()["status"] == "ok"
    state["answering"] = False
    r = ok.get("/api/v1/health")
    assert r.status_code == 503 and r.json()["sip"]["answering"] is False
    with socket.socket() as s:  # a port nothing listens on: the database is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broken = make_engine(f"postgresql://postgres@127.0.0.1:{port}/tongdai")
    r = TestClient(create_app(Context(broken))).get("/api/v1/health")
    assert r.status_code == 503 and r.json()["database"] == "unreachable"
