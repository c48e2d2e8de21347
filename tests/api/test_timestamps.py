"""One timestamp form everywhere (ISO 8601, UTC, milliseconds, `Z`), and call-log time filters that
honour the offset they are given, on SQLite as on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tongdai.app.events import EventBus
from tongdai.domain.calls import OUTBOUND, CallRecord
from tongdai.domain.timestamps import iso, plain
from tongdai.store.uow import UnitOfWork

NINE = datetime(2026, 11, 27, 9, 0, 0, 120000, tzinfo=UTC)


def test_the_one_form():
    assert iso(NINE) == "2026-11-27T09:00:00.120Z"
    assert iso(datetime(2026, 11, 27, 16, 0)) == "2026-11-27T16:00:00.000Z"  # no offset: UTC
    assert iso(datetime.fromisoformat("2026-11-27T16:00:00+07:00")) == "2026-11-27T09:00:00.000Z"
    assert json.loads(json.dumps({"at": NINE}, default=plain)) == {"at": "2026-11-27T09:00:00.120Z"}


def test_call_filters_honour_utc_offsets_and_the_log_shows_utc(world, engine):
    shop = world.tenant()
    with UnitOfWork(engine) as uow:
        record = CallRecord(id="ca_nine", tenant_id=shop.id, direction=OUTBOUND, started_at=NINE)
        record.end(NINE, status=None, reason="completed", by="agent")
        from tongdai.app.notifier import call_view
        uow.calls.insert([call_view(record)])

    def found(**params) -> list[str]:
        r = shop.get("/calls", **params)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]
    assert found(since="2026-11-27T15:59:00+07:00") == ["ca_nine"]  # 08:59 UTC
    assert found(since="2026-11-27T16:01:00+07:00") == []  # 09:01 UTC
    assert found(until="2026-11-27T16:01:00+07:00") == ["ca_nine"]
    assert found(until="2026-11-27T08:59:00Z") == []
    row = shop.get("/calls/ca_nine").json()
    assert row["started_at"] == row["ended_at"] == "2026-11-27T09:00:00.120Z"


def test_events_carry_the_same_form():
    bus = EventBus()
    got: list[dict] = []
    bus.add_listener(lambda _tenant, message: got.append(message))
    bus.publish("te_1", "call.ended", {"ended_at": NINE})
    assert got[0]["at"].endswith("Z") and len(got[0]["at"]) == len("2026-11-27T09:00:00.000Z")
