"""The recordings worker over a real database and real files: a pending recording's pcap becomes a verified
MP3 (the pcap then goes), retention deletes on an injected clock but not what is on legal hold, and a
missing pcap, an unwritable directory or a full disk leave a `failed` row with the reason (and a log
line), never a lost one."""

from __future__ import annotations

import errno
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from tongdai.app.recordings import MISSING_SECONDS, Converter, RecordingOptions, Recordings
from tongdai.app.services.operator import create_tenant
from tongdai.media.recording_audio import convert_measured, mp3_duration_ms
from tongdai.store.files import LocalFiles
from tongdai.store.uow import UnitOfWork

from ..media.pcaps import Leg, tone, write_pcap

T = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tenant(engine) -> str:
    with UnitOfWork(engine) as uow:
        return create_tenant(uow, name="Shop", sip_domain="shop.example", now=T)[0].id


def pending(engine, tenant: str, n: int, rtpengine: Path | None, seconds: float = 3.0) -> dict:
    """A recorded call that ended at T + `seconds`, and (unless `rtpengine` is None) the pcap and closed
    metadata rtpengine wrote for it."""
    media_call_id = f"{n}-call@10.0.0.1"
    if rtpengine is not None:
        name = f"{quote(media_call_id, safe='')}-abcdef{n:04d}"
        (rtpengine / "pcaps").mkdir(parents=True, exist_ok=True)
        (rtpengine / "metadata").mkdir(parents=True, exist_ok=True)
        write_pcap(rtpengine / "pcaps" / f"{name}.pcap", [
            Leg(port=30000, audio=tone(1000, seconds), ssrc=1), Leg(port=30002, audio=tone(440, seconds), ssrc=2)],
            t0=T.timestamp())
        (rtpengine / "metadata" / f"rtpengine-meta-{name}.txt").write_text("call end time: now\n")
    row = {"id": f"re_unit{n:09d}", "tenant_id": tenant, "call_id": f"ca_unit{n:09d}", "agent_id": None,
           "hotline_id": None, "recorded_by": "queue", "media_call_id": media_call_id, "customer_ports": [30000],
           "started_at": T, "ended_at": T + timedelta(seconds=seconds)}
    with UnitOfWork(engine) as uow:
        uow.recordings.started([row])
    return row


def worker(engine, tmp_path, clock, files=None, **options) -> Recordings:
    return Recordings(engine, files or LocalFiles(tmp_path / "recordings"),
                      RecordingOptions(pcaps=tmp_path / "rtpengine", work=tmp_path / "work", **options),
                      Converter(convert_measured, mp3_duration_ms), clock=clock)


def status(engine, tenant: str, recording_id: str) -> dict:
    with UnitOfWork(engine) as uow:
        return uow.recordings.get(recording_id, tenant)


def test_a_pending_recording_becomes_a_file_and_retention_deletes_it_unless_held(engine, tenant, tmp_path):
    clock = Clock(T + timedelta(seconds=10))
    work = worker(engine, tmp_path, clock)
    first = pending(engine, tenant, 1, tmp_path / "rtpengine")
    held = pending(engine, tenant, 2, tmp_path / "rtpengine")
    try:
        assert work.convert_pending() == 2
    finally:
        work.stop()
    one = status(engine, tenant, first["id"])
    assert (one["status"], one["format"], one["channels"], one["duration_ms"]) == ("ready", "mp3", 2, 3000)
    assert one["expires_at"] == clock.now + timedelta(days=90)  # the server's default
    file = tmp_path / "recordings" / one["storage_key"]
    assert file.stat().st_size == one["size"] > 1000
    assert not list((tmp_path / "rtpengine" / "pcaps").iterdir())  # verified, so the pcaps went
    with UnitOfWork(engine) as uow:
        uow.recordings.hold(held["id"], tenant, True)
        uow.recordings.set_retention(tenant, 30, 90)  # the tenant keeps them 30 days: expiries follow
    assert status(engine, tenant, first["id"])["expires_at"] == clock.now + timedelta(days=30)
    clock.now += timedelta(days=29)
    assert work.sweep() == 0 and file.exists()
    clock.now += timedelta(days=2)
    assert work.sweep() == 1 and not file.exists()
    gone = status(engine, tenant, first["id"])
    assert (gone["status"], gone["reason"], gone["storage_key"]) == ("deleted", "retention", None)
    kept = status(engine, tenant, held["id"])
    assert kept["status"] == "ready" and (tmp_path / "recordings" / kept["storage_key"]).exists()


def test_a_pcap_still_written_waits_and_a_missing_one_fails_after_a_while(engine, tenant, tmp_path, caplog):
    clock = Clock(T + timedelta(seconds=5))
    work = worker(engine, tmp_path, clock)
    row = pending(engine, tenant, 3, None)
    assert work.convert_pending() == 0 and status(engine, tenant, row["id"])["status"] == "pending"
    clock.now += timedelta(seconds=MISSING_SECONDS)
    with caplog.at_level(logging.ERROR, logger="tongdai.recordings"):
        assert work.convert_pending() == 1
    failed = status(engine, tenant, row["id"])
    assert failed["status"] == "failed" and "no pcap" in failed["reason"]
    assert f"recording {row['id']} of call {row['call_id']} failed" in caplog.text


def test_an_unwritable_directory_and_a_full_disk_fail_with_their_reason(engine, tenant, tmp_path, caplog):
    clock = Clock(T + timedelta(seconds=10))
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the recordings directory should be")
    work = worker(engine, tmp_path, clock, files=LocalFiles(blocked))
    row = pending(engine, tenant, 4, tmp_path / "rtpengine")
    try:
        with caplog.at_level(logging.ERROR, logger="tongdai.recordings"):
            assert work.convert_pending() == 1
    finally:
        work.stop()
    failed = status(engine, tenant, row["id"])
    assert failed["status"] == "failed" and "not-a-directory" in failed["reason"], failed
    assert "failed" in caplog.text
    assert list((tmp_path / "rtpengine" / "pcaps").iterdir())  # the pcap is kept for another try

    class FullDisk(LocalFiles):  # a full disk cannot be made here without mounting one: its error is raised
        def put(self, source, key):
            raise OSError(errno.ENOSPC, "No space left on device")

    work = worker(engine, tmp_path, clock, files=FullDisk(tmp_path / "recordings"))
    row = pending(engine, tenant, 5, tmp_path / "rtpengine")
    try:
        assert work.convert_pending() == 1
    finally:
        work.stop()
    full = status(engine, tenant, row["id"])
    assert full["status"] == "failed" and full["reason"].startswith("the disk is full"), full
