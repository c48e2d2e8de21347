"""The widget's screenshots in docs/ can be taken again: the script runs against a real switch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "widget_screenshots.py"


def test_the_widget_screenshots_script_takes_both_languages(tmp_path):
    spec = importlib.util.spec_from_file_location("widget_screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    taken = module.take(tmp_path)
    assert sorted(p.name for p in taken) == ["widget-en.png", "widget-vi.png"]
    assert all(p.stat().st_size > 10_000 for p in taken)
