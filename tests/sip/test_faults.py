"""Faults of the database while calls go on: a full disk, a locked SQLite file, a stopped PostgreSQL.
Calls keep connecting, `/health` says the database does not write, the API answers 503 with
`Retry-After`, and every call made during the fault is in the call log afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from . import flows
from .harness import Server, agent, carrier, free_port, ok

NUMBERS = ["0981000701", "0981000702", "0981000703"]


def _calls_during_the_fault(server: Server, tmp_path: Path, numbers: list[str]) -> None:
    for number in numbers:
        side = carrier(server, tmp_path, flows.carrier_invite() + flows.CARRIER_RING_ANSWER + flows.CARRIER_WAIT_BYE)
        time.sleep(0.3)
        ok(agent("agent_call", server, tmp_path, keys={"dest": number}, after_auth=flows.ANSWERED + flows.HANG_UP),
           f"call to {number}")
        ok(side, "carrier")


def _health(server: Server) -> tuple[int, dict]:
    r = httpx.get(server.api + "/health", timeout=15)
    return r.status_code, r.json()


def _wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _all_in_the_call_log(server: Server, numbers: list[str]) -> None:
    def present() -> bool:
        rows = {c["customer_number"]: c for c in server.calls(limit=50)}
        return all(f"+84{n[1:]}" in rows and rows[f"+84{n[1:]}"]["end_reason"] == "completed" for n in numbers)
    _wait_until(present, what=f"every call in the log: {server.calls(limit=10)}")


@pytest.fixture
def tmpfs(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_calls_made_while_the_disk_is_full_reach_the_call_log_once_there_is_room(tmpfs, tmp_path):
    server = Server(tmpfs / "data")
    server.log_path = tmp_path / "serve.log"  # the log is not on the full disk: we want to read it
    try:
        server.start()
        filler = tmpfs / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)  # until ENOSPC
        _calls_during_the_fault(server, tmp_path, NUMBERS[:2])
        _wait_until(lambda: _health(server)[0] == 503, what="/health to report the refused writes")
        status, report = _health(server)
        assert report["database"] == "not_writing" and report["writers"]["call-log"]["backlog"] >= 2
        filler.unlink()
        _all_in_the_call_log(server, NUMBERS[:2])
        _wait_until(lambda: _health(server)[0] == 200, what="/health to be ready again")
        assert _health(server)[1]["writers"]["call-log"]["lost"] == 0
    finally:
        server.stop()
    assert "Traceback" not in server.read_log()


def test_calls_made_while_sqlite_is_locked_are_all_logged_and_the_api_answers_503(tmp_path):
    server = Server(tmp_path / "data")
    try:
        server.start()
        holder = sqlite3.connect(server.data_dir / "tongdai.db", timeout=0, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock (a stuck backup tool)
        try:
            _calls_during_the_fault(server, tmp_path, NUMBERS)
            r = httpx.post(server.api + "/groups", headers=server.admin, json={"name": "Night shift"}, timeout=30)
            assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
            assert r.json()["errors"][0]["code"] == "database_unavailable"
            with httpx.Client(timeout=30) as client:  # the keep-alive connection survives the 503
                assert client.post(server.api + "/groups", headers=server.admin,
                                   json={"name": "Night shift"}).status_code == 503
                assert client.get(server.api + "/health").status_code == 503
        finally:
            holder.rollback()
            holder.close()
        _all_in_the_call_log(server, NUMBERS)
    finally:
        server.stop()


def test_calls_made_while_postgresql_is_stopped_survive_a_restart_of_the_switch(tmp_path):
    """PostgreSQL stops; calls go on; the switch is stopped too (its spool keeps the rows on disk); both
    come back and the rows are written."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
    work = Path(tempfile.mkdtemp(prefix="tongdai-pg-", dir="/tmp"))
    os.chmod(work, 0o755)
    shutil.chown(work, "postgres")
    port = free_port(kind=socket.SOCK_STREAM)

    def pg(*args: str) -> None:
        subprocess.run(["su", "postgres", "-c", " ".join([str(pgbin / args[0]), *args[1:]])], check=True,
                       capture_output=True, timeout=60)

    pg("initdb", "-D", f"{work}/data", "-A", "trust", "-U", "postgres", "-E", "UTF8")
    start = ("pg_ctl", "-D", f"{work}/data", "-l", f"{work}/log", "-w", "-o",
             f"'-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off'", "start")
    pg(*start)
    server = Server(tmp_path / "data")
    try:
        server.env["TONGDAI_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        server.demo()
        server.start()
        pg("pg_ctl", "-D", f"{work}/data", "-m", "fast", "-w", "stop")
        _calls_during_the_fault(server, tmp_path, NUMBERS[:2])
        _wait_until(lambda: _health(server)[0] == 503, what="/health to report the database")
        assert _health(server)[1]["database"] == "unreachable"
        r = httpx.get(server.api + "/calls", headers=server.admin, timeout=30)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
        assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
        assert (server.data_dir / "spool" / "call-log.jsonl").exists()
        pg(*start)
        server.start()
        _all_in_the_call_log(server, NUMBERS[:2])
        assert not (server.data_dir / "spool" / "call-log.jsonl").exists()
    finally:
        server.stop()
        subprocess.run(["su", "postgres", "-c", f"{pgbin}/pg_ctl -D {work}/data -m immediate stop"],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
