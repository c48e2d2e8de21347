"""Each sippy 2.5.0 workaround of tongdai.sip.compat, and the bridge between the SIP thread and asyncio."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tongdai.sip import compat


def test_upper_case_transport_is_lower_cased():
    compat.apply()
    from sippy.SipURL import SipURL
    url = SipURL("sip:agent@127.0.0.1:5070;transport=UDP")
    assert url.transport == "udp"


def test_one_udp_worker_keeps_responses_in_order():
    compat.apply()
    from sippy.Udp_server import Udp_server_opts
    assert Udp_server_opts.nworkers == 1


def test_a_second_engine_on_the_same_port_is_refused(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    first = compat.PortLock("127.0.0.1", port, lock_dir=str(tmp_path))
    first.acquire()
    try:
        with pytest.raises(compat.PortInUse):
            compat.PortLock("127.0.0.1", port, lock_dir=str(tmp_path)).acquire()
    finally:
        first.release()
    compat.PortLock("127.0.0.1", port, lock_dir=str(tmp_path)).acquire()  # free again


def test_a_port_held_by_another_program_is_refused(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        with pytest.raises(compat.PortInUse):
            compat.PortLock("127.0.0.1", other.getsockname()[1], lock_dir=str(tmp_path)).acquire()


def test_the_address_is_explicit():
    config = compat.configure_address("127.0.0.1", 5999)
    from sippy.SipConf import SipConf
    assert config == {"_sip_address": "127.0.0.1", "_sip_port": 5999}
    assert SipConf.my_address == "127.0.0.1" and SipConf.my_port == 5999


def test_messages_are_logged_only_on_demand():
    script = textwrap.dedent("""
        import os
        from tongdai.settings import load
        from tongdai.sip import compat
        compat.quiet_logging(load().sip_trace)
        print(os.environ["SIPLOG_BEND"])
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("SIPLOG_BEND", "TONGDAI_SIP_TRACE")}
    quiet = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True).stdout.strip()
    traced = subprocess.run([sys.executable, "-c", script], env={**env, "TONGDAI_SIP_TRACE": "1"},
                            capture_output=True, text=True).stdout.strip()
    assert (quiet, traced) == ("none", "stderr")


def test_the_bridge_carries_events_to_asyncio_and_commands_to_the_sip_thread(tmp_path):
    """A real engine in a subprocess (sippy's dispatcher is one per process): a command sent to the
    SIP thread runs there, and its answer comes back on the asyncio loop."""
    script = textwrap.dedent("""
        import asyncio, socket, threading
        from tongdai.sip.engine import Bridge, SipEngine

        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]; s.close()
        engine = SipEngine("127.0.0.1", port, global_config={}, on_request=lambda req, t: None)
        engine.start()

        async def main():
            loop = asyncio.get_running_loop()
            bridge = Bridge(loop)
            done = loop.create_future()
            def in_sip_thread():
                name = threading.current_thread().name
                bridge.to_async(done.set_result, name)
            bridge.to_sip(in_sip_thread)
            name = await asyncio.wait_for(done, 5)
            print(name, threading.current_thread().name)

        asyncio.run(main())
        engine.stop()
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "TMPDIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["sip-engine", "MainThread"]
