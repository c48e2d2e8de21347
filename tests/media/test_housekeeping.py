"""D21: recordings older than the retention are deleted, newer ones kept; rtpengine's log is rotated."""

import os
import time

from tongdai.media.housekeeping import Housekeeping, prune_recordings, rotate_log

DAY = 86400


def test_recordings_older_than_the_retention_are_deleted_and_the_folders_rtpengine_writes_into_kept(tmp_path):
    now = time.time()
    recordings = tmp_path / "recordings"
    old = recordings / "2026" / "old-call.pcap"
    new = recordings / "2026-11" / "new-call.pcap"
    for path, age in ((old, 100 * DAY), (new, 2 * DAY)):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"\xd4\xc3\xb2\xa1")
        os.utime(path, (now - age, now - age))
    assert prune_recordings(recordings, 90 * DAY, now=now) == 1
    assert not old.exists() and new.exists()
    assert old.parent.is_dir()  # rtpengine made its folders once, at start: removing one stops its recordings


def test_the_log_is_rotated_past_its_size_and_writing_goes_on(tmp_path):
    log = tmp_path / "rtpengine.log"
    writer = open(log, "ab")  # as rtpengine's stdout: opened once, for appending
    writer.write(b"x" * 2000)
    writer.flush()
    assert not rotate_log(log, 5000)
    assert rotate_log(log, 1000)
    writer.write(b"after\n")
    writer.flush()
    writer.close()
    assert (tmp_path / "rtpengine.log.1").stat().st_size == 2000 and log.read_bytes() == b"after\n"


def test_zero_days_keeps_recordings_forever(tmp_path):
    recording = tmp_path / "recordings" / "call.pcap"
    recording.parent.mkdir()
    recording.write_bytes(b"x")
    os.utime(recording, (0, 0))
    Housekeeping(tmp_path, retention_days=0).once()
    assert recording.exists()
