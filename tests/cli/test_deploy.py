"""The systemd units in deploy/ pass `systemd-analyze verify` (with /opt/tongdai pointed at this checkout,
where `tongdai` exists), and the production example sets only settings tongdai knows, with valid values."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tongdai.settings import Settings, load

ROOT = Path(__file__).resolve().parents[2]


def test_the_units_verify(tmp_path):
    units = []
    for unit in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        target = tmp_path / unit.name
        target.write_text(unit.read_text().replace("/opt/tongdai", str(ROOT)))
        units.append(str(target))
    assert len(units) == 2
    out = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tongdai.service" not in out.stderr and "rtpengine-tongdai.service" not in out.stderr, out.stderr


def test_the_production_example_is_valid_settings(tmp_path):
    values = {}
    for line in (ROOT / "deploy" / "tongdai.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            assert name.startswith("TONGDAI_") and name[8:].lower() in Settings.model_fields, name
            values[name[8:].lower()] = value
    s = load(**values)
    assert s.database.startswith("postgresql") and not s.spawn_rtpengine and s.ng_address == ("127.0.0.1", 2223)
