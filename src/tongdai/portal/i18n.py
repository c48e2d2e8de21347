"""The portal's languages: Vietnamese (the default) and English. Every string of the templates and of
this package goes through gettext; the catalogs are Babel `.po` files under `locale/`, read and compiled
in memory at start (no build step). Dates and numbers are formatted in the user's locale and time zone."""

from __future__ import annotations

import gettext
import io
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT = "vi"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of `language` (English is the source language: its catalog may be empty)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(language: str):
    return translations(language if language in LANGUAGES else DEFAULT).gettext


def ngettext_for(language: str):
    return translations(language if language in LANGUAGES else DEFAULT).ngettext


def lazy(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def when(value: datetime | None, language: str, time_zone: str, fmt: str = "short") -> str:
    """A moment in the user's time zone and locale ("27/11/2026 20:05" in Vietnamese)."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(ZoneInfo(time_zone)), fmt, locale=Locale.parse(language))


def number(value: float | int | None, language: str) -> str:
    """As Babel's `format_decimal` writes it (grouped, at most three decimals), without its cost per call:
    a report's page shows thousands of figures."""
    if value is None:
        return ""
    table = _separators(language)
    text = f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return text.translate(table)


@cache
def _separators(language: str) -> dict[int, str]:
    """English separators (`,` and `.`) to the locale's, for `str.translate`."""
    sample = format_decimal(1234.5, locale=Locale.parse(language))  # "1,234.5" or "1.234,5"
    return str.maketrans({",": sample[1], ".": sample[5]})
