"""Every setting is read in one place, checked at start, and listed in docs/operations.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tongdai.settings import load, variables

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "tongdai"


def test_the_operations_doc_lists_every_setting_as_the_code_defines_it():
    doc = (ROOT / "docs" / "operations.md").read_text()
    table = doc.split("<!-- settings:begin -->", 1)[1].split("<!-- settings:end -->", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        name, default, meaning = (cell.strip() for cell in line.strip("|").split("|", 2))
        rows[name.strip("`")] = (default.strip("`").replace("—", ""), meaning)
    assert rows == variables()


def test_only_the_settings_module_reads_the_environment():
    readers = [str(p.relative_to(ROOT)) for p in (ROOT / "src" / "tongdai").rglob("*.py")
               if re.search(r"os\.environ(?!\[\"SIPLOG_BEND\"\]|\.setdefault\(\"SIPLOG_BEND\")|os\.getenv",
                            p.read_text())]
    assert readers == []


def test_a_bad_value_is_refused_at_start_naming_its_variable(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TONGDAI_DATA_DIR": str(tmp_path), "TONGDAI_SIP_ADDR": "127.0.0.1:99999",
           "TONGDAI_RTP_PORTS": "40000-30000"}
    out = subprocess.run([str(BIN), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "TONGDAI_SIP_ADDR" in out.stderr and "TONGDAI_RTP_PORTS" in out.stderr
    assert "Traceback" not in out.stderr


def test_defaults_and_derived_values(tmp_path):
    s = load(data_dir=tmp_path, rtpengine="10.0.0.5:2223")
    assert s.database == f"sqlite:///{tmp_path / 'tongdai.db'}"
    assert (s.http, s.sip_address, s.spawn_rtpengine, s.ng_address) == (
        ("127.0.0.1", 8080), ("127.0.0.1", 5060), False, ("10.0.0.5", 2223))
