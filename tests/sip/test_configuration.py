"""A configuration change made by another process (here the CLI) reaches the running switch."""

from __future__ import annotations

import subprocess
import time

from .harness import BIN, Server, sip_exchange


def _register(domain: str, user: str) -> str:
    return (f"REGISTER sip:{domain} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{time.time_ns()}\r\n"
            f"From: <sip:{user}@{domain}>;tag=r1\r\nTo: <sip:{user}@{domain}>\r\nCall-ID: reg{time.time_ns()}\r\n"
            "CSeq: 1 REGISTER\r\nContact: <sip:chi@127.0.0.1:9>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


def test_a_tenant_created_with_the_cli_is_known_to_the_running_switch(tmp_path):
    server = Server(tmp_path / "data")
    server.env["TONGDAI_CONFIG_POLL_SECONDS"] = "0.2"
    server.start()
    try:
        assert sip_exchange(server.sip_port, _register("acme.test", "chi")).startswith("SIP/2.0 403")
        created = subprocess.run([str(BIN), "tenant", "create", "Acme", "--sip-domain", "acme.test"], env=server.env,
                                 capture_output=True, text=True)
        assert created.returncode == 0, created.stderr
        time.sleep(1.0)  # a few polls of the configuration version
        replies = []
        for _ in range(3):  # each unknown-domain REGISTER counts towards the throttle: stay well under it
            replies.append(sip_exchange(server.sip_port, _register("acme.test", "chi")))
            if replies[-1].startswith("SIP/2.0 401"):
                break
            time.sleep(1.0)
        assert replies[-1].startswith("SIP/2.0 401") and 'realm="acme.test"' in replies[-1], replies
    finally:
        server.stop()
