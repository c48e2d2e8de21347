"""Screenshots of the portal's main pages in Vietnamese and English, taken in Debian's Chromium over the demo
tenant (plus a day of sample calls), into docs/screenshots/ (or the directory given).

Run: .venv/bin/python scripts/screenshots.py [OUT_DIR]   (tests/portal/test_screenshots.py reruns it)
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from tongdai.api.app import create_app
from tongdai.api.local import LocalServer
from tongdai.app.context import Context
from tongdai.demo import PORTAL_PASSWORD, load_demo
from tongdai.store.db import make_engine, upgrade
from tongdai.store.files import LocalFiles
from tongdai.store.uow import UnitOfWork

PAGES = {"sign-in": "/sign-in", "hotlines": "/hotlines", "hotline-new": "/hotlines/new", "calls": "/calls",
         "reports": "/reports", "queues": "/queues"}


def sample_calls(engine, tenant: str) -> None:
    """A day of calls of the demo tenant, so the call log and the reports have something to show."""
    rng = random.Random(3)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with UnitOfWork(engine) as uow:
        queues = [q.id for q in uow.queues.all(tenant)]
        agents = [a.id for a in uow.agents.all(tenant)]
        hotlines = [(h.id, h.number) for h in uow.hotlines.all(tenant) if h.number_type == "carrier"]
        rows = []
        for n in range(240):
            started = now - timedelta(minutes=rng.randint(0, 6 * 24 * 60))
            answered = rng.random() < 0.82
            hotline_id, number = hotlines[n % len(hotlines)]
            rows.append({"id": f"ca_shot{n:010d}", "tenant_id": tenant, "direction": "inbound",
                         "caller_id_reasons": [], "recorded": False, "agents_offered": [], "ivr_path": [],
                         "ivr_keys": [], "started_at": started,
                         "customer_number": f"+8498{rng.randint(1000000, 9999999)}",
                         "hotline_id": hotline_id, "hotline_number": number, "queue_id": queues[n % len(queues)],
                         "agent_id": agents[n % len(agents)] if answered else None,
                         "answered_at": started + timedelta(seconds=rng.randint(3, 40)) if answered else None,
                         "ended_at": started + timedelta(seconds=rng.randint(60, 400)),
                         "talk_seconds": float(rng.randint(30, 360)) if answered else None,
                         "queue_seconds": float(rng.randint(2, 70)), "wrap_up_seconds": 30.0 if answered else None,
                         "end_reason": "completed" if answered else "abandoned"})
        uow.calls.insert(rows)


def sample_recordings(engine, tenant: str, files: LocalFiles, work: Path) -> None:
    """Every third answered sample call recorded by its queue, with a real MP3 (two tones: customer, agent)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' pcap maker, when run as a script
    from tests.media.pcaps import Leg, tone, write_pcap

    from tongdai.media.recording_audio import convert
    pcap = write_pcap(work / "sample.pcap", [Leg(port=31000, audio=tone(700, 3.0), ssrc=1),
                                             Leg(port=31002, audio=tone(440, 3.0), ssrc=2)], t0=1.8e9)
    with UnitOfWork(engine) as uow:
        answered = [c for c in uow.calls.list(tenant, equals={}, since=None, until=None, limit=1000, offset=0)[0]
                    if c["answered_at"]][::3]
        for n, call in enumerate(answered):
            rec_id = f"re_shot{n:09d}"
            mp3 = work / f"{rec_id}.mp3"
            done = convert(pcap, mp3, customer_ports={31000}, start=1.8e9, end=1.8e9 + 3.0)
            key = f"{tenant}/{rec_id}.mp3"
            size = files.put(mp3, key)
            uow.recordings.started([{"id": rec_id, "tenant_id": tenant, "call_id": call["id"],
                                     "agent_id": call["agent_id"], "hotline_id": call["hotline_id"],
                                     "recorded_by": "queue", "media_call_id": f"shot-{n}", "customer_ports": [31000],
                                     "started_at": call["answered_at"], "ended_at": call["ended_at"]}])
            uow.recordings.ready(rec_id, storage_key=key, duration_ms=done.duration_ms, size=size, format="mp3",
                                 channels=2, created_at=call["ended_at"], expires_at=None)
            uow.calls.update([{**call, "_id": call["id"], "recorded": True, "recorded_by": "queue",
                               "recording_id": rec_id}])


def sign_in(page, url: str, email: str, language: str) -> None:
    """Sign in on the portal at `url` and make `language` the user's language."""
    page.goto(f"{url}/sign-in?lang={language}")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PORTAL_PASSWORD)
    page.click("form[action='/sign-in'] button")
    page.wait_for_url(url + "/")
    if page.locator('select[name="language"]').input_value() != language:
        with page.expect_navigation():
            page.select_option('select[name="language"]', language)


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{data / 'tongdai.db'}")
    upgrade(engine)
    keys = load_demo(engine, data / "demo-keys.json")
    sample_calls(engine, keys["tenant_id"])
    files = LocalFiles(data / "recordings")
    sample_recordings(engine, keys["tenant_id"], files, data)
    server = LocalServer(create_app(Context(engine, recording_files=files)))
    url = server.url
    taken = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                         headless=True, args=["--no-sandbox"])
            for language in ("vi", "en"):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{url}/sign-in?lang={language}")
                page.screenshot(path=str(out / f"sign-in-{language}.png"))
                taken.append(out / f"sign-in-{language}.png")
                sign_in(page, url, "admin@demo.tongdai.local", language)
                for name, path in PAGES.items():
                    if name == "sign-in":
                        continue
                    page.goto(url + path)
                    target = out / f"{name}-{language}.png"
                    page.screenshot(path=str(target), full_page=True)
                    taken.append(target)
                page.close()
            browser.close()
    finally:
        server.stop()
        engine.dispose()
        shutil.rmtree(data, ignore_errors=True)
    return taken


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    for path in take(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "docs" / "screenshots"):
        print(path)
