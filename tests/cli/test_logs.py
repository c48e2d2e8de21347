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
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", headers={"X-Request-Id": "probe-42"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
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
