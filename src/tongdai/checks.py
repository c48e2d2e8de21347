"""`tongdai check`: is this machine ready to `tongdai serve` with these settings? Each check says what it
looked at and, when it fails, what to fix. `serve` runs the port checks itself, so a port already in use
is one line naming its setting, not a traceback."""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what to fix


def port_free(kind: int, host: str, port: int) -> str | None:
    """None if `host:port` can be bound (TCP or UDP), else why not."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((host, port))
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        probe.close()


def ports_in_use(s: Settings) -> list[str]:
    """One line per port `serve` needs that something else holds, naming the setting to change."""
    wanted = [("TONGDAI_HTTP_ADDR", socket.SOCK_STREAM, *s.http, "TCP")]
    if s.sip == "on":
        wanted.append(("TONGDAI_SIP_ADDR", socket.SOCK_DGRAM, *s.sip_address, "UDP"))
        if s.spawn_rtpengine:
            wanted.append(("TONGDAI_RTPENGINE_NG", socket.SOCK_DGRAM, *s.ng_address, "UDP"))
    lines = []
    for setting, kind, host, port, proto in wanted:
        why = port_free(kind, host, port)
        if why is not None:
            lines.append(f"{setting}={host}:{port}: {proto} port already in use ({why}); stop what holds it "
                         f"or set {setting} to another port")
    return lines


def _writable(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".tongdai-check"
        probe.write_bytes(b"")
        probe.unlink()
        return None
    except OSError as exc:
        return exc.strerror or str(exc)


def run(s: Settings) -> list[Check]:
    checks = [Check("settings", True, "every TONGDAI_* variable is valid")]
    busy = ports_in_use(s)
    checks.append(Check("ports", not busy, "; ".join(busy) if busy else "HTTP" + (", SIP and rtpengine's ng port"
                                                                                  if s.sip == "on" else "") +
                        " are free"))
    for name, directory in (("data directory", s.data_dir),
                            ("recordings directory", s.recordings_dir or s.data_dir / "recordings")):
        why = _writable(directory)
        checks.append(Check(name, why is None, f"{directory} is writable" if why is None else
                            f"{directory}: {why}; make it writable by this user or set "
                            f"{'TONGDAI_DATA_DIR' if name == 'data directory' else 'TONGDAI_RECORDINGS_DIR'}"))
    if s.sip == "on" and s.spawn_rtpengine:
        binary = shutil.which("rtpengine")
        checks.append(Check("rtpengine", binary is not None, binary or
                            "not found: apt-get install rtpengine-daemon, or set TONGDAI_RTPENGINE=host:port for "
                            "an rtpengine that runs as its own service"))
    espeak = shutil.which("espeak-ng")
    checks.append(Check("espeak-ng", espeak is not None, espeak or
                        "not found: apt-get install espeak-ng (IVR prompts and announcements are spoken with it)"))
    checks.append(_database(s))
    return checks


def _database(s: Settings) -> Check:
    from alembic.script import ScriptDirectory

    from .store.db import alembic_config, current_revision, make_engine
    try:
        engine = make_engine(s.database)
        try:
            current = current_revision(engine)
            head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any driver's error means the same: not reachable
        return Check("database", False, f"{_safe(s.database)} is not reachable: {str(exc).splitlines()[0]}; "
                                        "check TONGDAI_DATABASE_URL")
    if current != head:
        return Check("database", False, f"{_safe(s.database)} is at revision {current or 'none'}, the code needs "
                                        f"{head}: run `tongdai db upgrade` (serve also upgrades at start)")
    return Check("database", True, f"{_safe(s.database)} reachable, at revision {head}")


def _safe(url: str) -> str:
    """A database URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return url
