"""Opening hours in the tenant's time zone, on both sides of every boundary (time given, not slept)."""

from datetime import UTC, date, datetime, time

from tongdai.domain.hours import OpeningHours, Period, problems

WEEKDAYS = tuple(Period(d, time(8), time(12)) for d in ("mon", "tue", "wed", "thu", "fri")) + tuple(
    Period(d, time(13, 30), time(17, 30)) for d in ("mon", "tue", "wed", "thu", "fri"))
HOURS = OpeningHours(WEEKDAYS, holidays=frozenset({date(2026, 9, 2)}))  # Vietnam's National Day


def at(local: str) -> datetime:
    """A Hà Nội wall-clock time, given to the rule as UTC."""
    return datetime.fromisoformat(local + "+07:00").astimezone(UTC)


def test_open_inside_each_period_and_closed_at_its_end():
    assert not HOURS.is_open(at("2026-11-27T07:59:59"))  # a Friday
    assert HOURS.is_open(at("2026-11-27T08:00:00"))
    assert HOURS.is_open(at("2026-11-27T11:59:59"))
    assert not HOURS.is_open(at("2026-11-27T12:00:00"))  # lunch
    assert HOURS.is_open(at("2026-11-27T13:30:00"))
    assert not HOURS.is_open(at("2026-11-27T17:30:00"))


def test_the_tenants_time_zone_decides_not_utc():
    assert HOURS.is_open(datetime(2026, 11, 27, 1, 30, tzinfo=UTC))  # 08:30 in Hà Nội
    assert not HOURS.is_open(datetime(2026, 11, 27, 10, 30, tzinfo=UTC))  # 17:30 there
    assert not HOURS.is_open(at("2026-11-28T09:00:00"))  # Saturday


def test_a_holiday_is_closed_all_day():
    assert not HOURS.is_open(at("2026-09-02T09:00:00"))  # a Wednesday, but National Day
    assert HOURS.is_open(at("2026-09-03T09:00:00"))


def test_problems_are_named():
    assert problems(HOURS) == []
    bad = OpeningHours((Period("sunday", time(9), time(8)),), time_zone="Mars/Olympus")
    assert len(problems(bad)) == 3
