"""Screenshots of the call widget in Vietnamese and English: a real `tongdai serve` (SIP over WebSocket,
rtpengine) with the demo tenant, the agent An signed in and registered, in Debian's Chromium with a fake
microphone; into docs/screenshots/ (or the directory given).

Run: .venv/bin/python scripts/widget_screenshots.py [OUT_DIR]   (tests/widget/test_screenshots.py reruns it)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from screenshots import sign_in  # noqa: E402
from tests.sip.harness import Server  # noqa: E402
from tests.widget.conftest import MEDIA_ARGS  # noqa: E402


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp())
    server = Server(data / "data").start()
    base = f"http://127.0.0.1:{server.http_port}"
    taken = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                         headless=True, args=MEDIA_ARGS)
            for language in ("vi", "en"):
                context = browser.new_context(viewport={"width": 420, "height": 900})
                page = context.new_page()
                sign_in(page, base, "an@demo.tongdai.local", language)
                page.goto(base + "/widget")
                page.wait_for_selector('[data-registration="registered"]')
                page.wait_for_selector('[data-state="available"]')
                page.fill("input[name=number]", "0981234567")
                target = out / f"widget-{language}.png"
                page.screenshot(path=str(target), full_page=True)
                taken.append(target)
                context.close()
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    return taken


if __name__ == "__main__":
    for path in take(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"):
        print(path)
