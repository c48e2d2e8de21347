"""The screenshot script runs: every main page in both languages, as PNG images of a real page."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py"


def test_the_screenshot_script_takes_every_main_page_in_both_languages(tmp_path):
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    taken = module.take(tmp_path)
    names = sorted(p.name for p in taken)
    assert names == sorted(f"{page}-{lang}.png" for page in module.PAGES for lang in ("vi", "en"))
    for path in taken:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, path
