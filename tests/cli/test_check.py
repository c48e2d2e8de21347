"""`tongdai --version`, `tongdai check` (what to fix, by setting), and a port already in use stopping
`serve` with one line that names its setting."""

from __future__ import annotations

import socket
import subprocess

from tongdai import __version__

from .test_settings import BIN


def run(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **env},
                          capture_output=True, text=True, timeout=timeout)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version():
    out = run("--version", env={})
    assert out.returncode == 0 and out.stdout.strip() == f"tongdai {__version__}"


def test_check_passes_on_a_ready_machine_and_names_what_to_fix_otherwise(tmp_path):
    env = {"TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_HTTP_ADDR": f"127.0.0.1:{free_port(socket.SOCK_STREAM)}",
           "TONGDAI_SIP_ADDR": f"127.0.0.1:{free_port()}", "TONGDAI_RTPENGINE_NG": f"127.0.0.1:{free_port()}"}
    assert run("db", "upgrade", env=env).returncode == 0
    ready = run("check", env=env)
    assert ready.returncode == 0 and ready.stdout.strip().endswith("ready to serve"), ready.stdout
    assert {line.split()[1] for line in ready.stdout.splitlines() if line.startswith("ok")} >= {
        "settings:", "ports:", "rtpengine:", "espeak-ng:", "database:"}
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    held.bind(("127.0.0.1", 0))
    try:
        bad = run("check", env={**env, "TONGDAI_SIP_ADDR": f"127.0.0.1:{held.getsockname()[1]}",
                                "TONGDAI_DATABASE_URL": "postgresql+psycopg://nobody:secret@127.0.0.1:9/none"})
    finally:
        held.close()
    assert bad.returncode == 1
    failed = {line.split()[1]: line for line in bad.stdout.splitlines() if line.startswith("FAIL")}
    assert set(failed) == {"ports:", "database:"}, bad.stdout
    assert "TONGDAI_SIP_ADDR" in failed["ports:"] and "TONGDAI_DATABASE_URL" in failed["database:"]
    assert "secret" not in bad.stdout  # the password is not printed


def test_a_port_in_use_stops_serve_with_one_line_naming_the_setting(tmp_path):
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        out = run("serve", env={"TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_HTTP_ADDR": f"127.0.0.1:{port}",
                                "TONGDAI_SIP": "off"})
    finally:
        held.close()
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"tongdai: TONGDAI_HTTP_ADDR=127.0.0.1:{port}"), out.stderr
    assert "Traceback" not in out.stderr
