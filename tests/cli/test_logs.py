"""Logs: one format for tongdai's lines and uvicorn's; JSON lines by a setting; a request id on every
HTTP request (the caller's, or a new one) in the response and in the lines logged meanwhile."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import time

import httpx

from tongdai.logs import JsonFormatter, TextFormatter, call_fields

from .test_settings import BIN


def free_tcp() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def when_up(server: subprocess.Popen, url: str, **kwargs) -> httpx.Response:
    """The first answer of a `tongdai serve` that is starting (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, **kwargs)
        except httpx.TransportError:  # not listening yet
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)


def record(message: str, **extra) -> logging.LogRecord:
    r = logging.LogRecord("tongdai.calls", logging.INFO, __file__, 1, message, (), None)
    r.__dict__.update(extra)
    return r


def test_a_calls_line_carries_its_ids_in_either_format():
    line = record("call started outbound: call=ca_1 tenant=tn_1 agent=ag_1", **call_fields("ca_1", "tn_1", "ag_1"))
    entry = json.loads(JsonFormatter().format(line))
    assert (entry["level"], entry["logger"], entry["call_id"], entry["tenant_id"], entry["agent_id"]) == (
        "info", "tongdai.calls", "ca_1", "tn_1", "ag_1")
    assert entry["ts"].endswith("Z") and "request_id" not in entry
    text = TextFormatter().format(record("GET /x", request_id="r-1"))
    assert " INFO tongdai.calls: GET /x request_id=r-1" in text


def test_serve_logs_json_lines_with_the_request_id_uvicorns_included(tmp_path):
    port = free_tcp()
    env = {"PATH": "/usr/bin:/bin", "TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_HTTP_ADDR": f"127.0.0.1:{port}",
           "TONGDAI_SIP": "off", "TONGDAI_LOG_FORMAT": "json", "TONGDAI_LOG_LEVEL": "info"}
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen([str(BIN), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        r = when_up(server, f"http://127.0.0.1:{port}/api/v1/health", headers={"X-Request-Id": "probe-42"})
        assert r.headers["x-request-id"] == "probe-42"
        fresh = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", headers={"X-Request-Id": "bad id\\x01"})
        assert len(fresh.headers["x-request-id"]) == 16 and fresh.headers["x-request-id"] != "bad id\\x01"
        time.sleep(0.5)
    finally:
        server.send_signal(2)
        server.wait(timeout=20)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines() if line.strip()]
    access = [e for e in lines if e["logger"] == "uvicorn.access"]
    assert any(e.get("request_id") == "probe-42" and "/api/v1/health" in e["message"] for e in access), access
    assert any(e["logger"].startswith("tongdai") for e in lines)  # tongdai's own lines, in the same format


def test_stopping_with_event_streams_open_ends_them_at_once_without_a_traceback(tmp_path):
    """A wallboard or a call widget keeps an event stream open; stopping the server (a deploy, a restart)
    ends the streams at once (the browser reconnects to the next server) instead of cancelling them after
    the grace period with an ERROR and a traceback in the log."""
    port = free_tcp()
    env = {"PATH": "/usr/bin:/bin", "TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_HTTP_ADDR": f"127.0.0.1:{port}",
           "TONGDAI_SIP": "off"}
    keys = json.loads(subprocess.run([str(BIN), "demo"], env=env, capture_output=True, text=True, check=True).stdout)
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen([str(BIN), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    streams = []
    try:
        when_up(server, f"http://127.0.0.1:{port}/api/v1/health")
        for key in (keys["admin_key"], keys["agent_key"]):  # a tenant-wide stream and an agent's own
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
            sock.settimeout(10)
            head = b""
            while b": connected" not in head:
                head += sock.recv(4096)
            streams.append(sock)
        started = time.monotonic()
        server.send_signal(15)
        assert server.wait(timeout=20) == 0
        stopped_in = time.monotonic() - started
        for sock in streams:  # each stream was ended by the server: the chunked body's last chunk
            rest = b""
            while chunk := sock.recv(4096):
                rest += chunk
            assert rest.endswith(b"0\r\n\r\n"), rest
    finally:
        for sock in streams:
            sock.close()
        if server.poll() is None:
            server.kill()
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in text and "ERROR" not in text, text
    assert stopped_in < 2.5  # sooner than the 3 s grace period after which uvicorn cancels what is left


def test_a_restart_asked_for_by_the_switch_exits_75_for_the_supervisor(tmp_path):
    """When the SIP probe finds the engine dead it calls `restart_process` (SIGTERM to itself): `tongdai
    serve` stops and exits with 75, which scripts/run.sh and the systemd unit restart on; dying of the
    signal instead would leave the switch down."""
    port = free_tcp()
    env = {"PATH": "/usr/bin:/bin", "TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_HTTP_ADDR": f"127.0.0.1:{port}",
           "TONGDAI_SIP": "off"}
    python = BIN.parent / "python"
    code = ("import threading, sys\n"
            "from tongdai import cli, serve\n"
            "threading.Timer(3.0, serve.restart_process).start()  # what the SIP probe calls\n"
            "sys.exit(cli.main(['serve']))\n")
    done = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 75, done.stdout + done.stderr
    assert "restarting tongdai" in done.stderr and "Traceback" not in done.stderr
