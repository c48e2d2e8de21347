"""The layers of docs/architecture.md, checked: SQL only in store/, the SIP and app layers never import
the switch, the app layer imports neither SIP nor media, the API's routes and the portal's pages never reach past the services into SIP or the store, and
the domain imports nothing of tongdai's outer layers."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tongdai"


def offenders(pattern: str, *folders: str, exclude: str | None = None) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((SRC / folder).rglob("*.py") if folder else SRC.rglob("*.py")):
            rel = str(path.relative_to(SRC))
            if exclude and rel.startswith(exclude):
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(pattern, line):
                    found.append(f"{rel}:{n}: {line.strip()}")
    return found


def test_sql_is_written_only_in_the_store():
    assert offenders(r"conn\.execute|from sqlalchemy", "", exclude="store/") == []


def test_sip_and_app_never_import_the_switch():
    assert offenders(r"from \.\.switch|from tongdai\.switch", "sip", "app") == []


def test_the_app_reaches_sip_and_media_only_through_what_serve_hands_it():
    """The services and app-level owners take audio conversion, prompts and recordings' converter as
    functions `serve.py` injects (`Context.audio_upload`, `prompt_audio`, the recordings' `Converter`)."""
    assert offenders(r"from \.\.\.?(sip|media|switch)\b|from tongdai\.(sip|media|switch)\b", "app") == []


def test_http_routes_and_pages_go_through_the_services():
    assert offenders(r"from \.\.\.(sip|store)\b", "api/routes", "portal/pages") == []


def test_the_domain_is_pure():
    assert offenders(r"from \.\.(app|store|sip|media|switch|api|portal)\b|^import (sqlalchemy|fastapi|sippy)",
                     "domain") == []
