"""Every string of the portal is in its catalogs: extracted from the templates and the Python now, each
has a Vietnamese translation with the same placeholders, and no translation is fuzzy or left over."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src" / "tongdai" / "portal" / "locale"


def extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "now.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_", "-k", "lazy", "--omit-header", "-o", str(pot), str(ROOT / "src/tongdai/portal")],
                   check=True, cwd=ROOT)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def catalog(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def test_every_string_has_a_vietnamese_translation_with_the_same_placeholders(tmp_path):
    now = extracted(tmp_path)
    assert len(now) > 100
    vi = catalog("vi")
    have = {m.id: m for m in vi if m.id}
    missing = sorted(now - set(have))
    assert not missing, f"run scripts/i18n.sh and translate: {missing[:10]}"
    def forms(value) -> tuple[str, ...]:
        return value if isinstance(value, tuple) else (value,)

    untranslated = sorted(str(i) for i in now if not all(forms(have[i].string)) or have[i].fuzzy)
    assert not untranslated, untranslated[:10]
    for message_id in now:
        placeholders = set(re.findall(r"%\(\w+\)\w", forms(message_id)[0]))
        for translated in forms(have[message_id].string):
            assert set(re.findall(r"%\(\w+\)\w", translated)) == placeholders, message_id
    assert not sorted(set(have) - now), "strings no longer used: run scripts/i18n.sh"
    assert {m.id for m in catalog("en") if m.id} == now  # English is the source language: its catalog lists them
