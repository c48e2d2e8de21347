"""Opening hours: whether a tenant is open at a moment, in its own time zone. Weekly periods (a day may
have several, e.g. 08:00–12:00 and 13:30–17:30) and holidays (whole dates, closed). Pure: the moment is
given, so a test can stand on either side of a boundary without sleeping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Period:
    day: str  # mon … sun
    opens: time
    closes: time  # after `opens`; a period never crosses midnight (split it in two)


@dataclass(frozen=True)
class OpeningHours:
    periods: tuple[Period, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    time_zone: str = DEFAULT_TIME_ZONE

    def is_open(self, moment: datetime) -> bool:
        """`moment` is aware (any offset): the tenant's local date and time decide."""
        local = moment.astimezone(ZoneInfo(self.time_zone))
        if local.date() in self.holidays:
            return False
        day, now = DAYS[local.weekday()], local.time().replace(tzinfo=None)
        return any(p.day == day and p.opens <= now < p.closes for p in self.periods)


def parse_hours(raw: dict, time_zone: str = DEFAULT_TIME_ZONE) -> OpeningHours:
    """`{"periods": [{"day": "mon", "opens": "08:00", "closes": "12:00"}, …], "holidays": ["2026-09-02", …]}`;
    raises ValueError on a malformed time or date."""
    periods = tuple(Period(str(p["day"]), time.fromisoformat(str(p["opens"])), time.fromisoformat(str(p["closes"])))
                    for p in raw.get("periods", ()))
    holidays = frozenset(date.fromisoformat(str(d)) for d in raw.get("holidays", ()))
    return OpeningHours(periods, holidays, time_zone)


def problems(hours: OpeningHours) -> list[str]:
    """What is wrong with a set of opening hours, in words (empty when nothing is)."""
    out = []
    try:
        ZoneInfo(hours.time_zone)
    except (KeyError, ValueError):
        out.append(f"{hours.time_zone!r} is not a time zone (e.g. Asia/Ho_Chi_Minh)")
    for p in hours.periods:
        if p.day not in DAYS:
            out.append(f"{p.day!r} is not a day ({', '.join(DAYS)})")
        if not p.opens < p.closes:
            out.append(f"{p.day} {p.opens:%H:%M}–{p.closes:%H:%M} closes before it opens")
    return out
