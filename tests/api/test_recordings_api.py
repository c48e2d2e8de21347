"""The recordings API over a real database: filters (time zones honoured), paging, tenant isolation,
agent keys reaching only their own calls' recordings, audio with Range, legal hold and delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tongdai.app.services.operator import create_api_key
from tongdai.store.uow import UnitOfWork

T = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội


def recorded(world, tenant_id: str, n: int, *, agent_id: str | None, at: datetime, data: bytes | None = b"") -> str:
    """A recording row as the switch and the converter leave it; `data`: its file (None: still pending)."""
    rec_id, call_id = f"re_test{n:09d}", f"ca_test{n:09d}"
    with UnitOfWork(world.engine) as uow:
        uow.recordings.started([{"id": rec_id, "tenant_id": tenant_id, "call_id": call_id, "agent_id": agent_id,
                                 "hotline_id": None, "recorded_by": "queue", "media_call_id": f"sip-{n}@x",
                                 "customer_ports": [30000], "started_at": at, "ended_at": at + timedelta(minutes=3)}])
        if data is not None:
            key = f"{tenant_id}/{rec_id}.mp3"
            source = world.files.root / f"{rec_id}.tmp"
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data or bytes(range(256)) * 40)
            size = world.files.put(source, key)
            uow.recordings.ready(rec_id, storage_key=key, duration_ms=180_000, size=size, format="mp3", channels=2,
                                 created_at=at + timedelta(minutes=4), expires_at=at + timedelta(days=90))
    return rec_id


def test_list_filter_read_and_play_with_ranges(world):
    world.stock("0912000001")
    a = world.tenant("A")
    agent = a.agent("an")
    first = recorded(world, a.id, 1, agent_id=agent["id"], at=T)
    second = recorded(world, a.id, 2, agent_id=None, at=T + timedelta(hours=2))
    pending = recorded(world, a.id, 3, agent_id=None, at=T + timedelta(hours=3), data=None)
    listed = a.get("/recordings").json()
    assert [r["id"] for r in listed["items"]] == [pending, second, first] and listed["total"] == 3
    # a range typed in Hà Nội's time: 09:00–10:00 +07:00 holds the first only
    only = a.get("/recordings", since="2026-11-27T09:00:00+07:00", until="2026-11-27T10:00:00+07:00").json()
    assert [r["id"] for r in only["items"]] == [first]
    assert [r["id"] for r in a.get("/recordings", call_id="ca_test000000002").json()["items"]] == [second]
    assert [r["id"] for r in a.get("/recordings", status="pending", limit=1).json()["items"]] == [pending]
    one = a.get(f"/recordings/{first}").json()
    assert (one["status"], one["format"], one["channels"], one["duration_ms"]) == ("ready", "mp3", 2, 180_000)
    assert one["audio_url"] == f"/api/v1/recordings/{first}/audio" and one["expires_at"] == "2027-02-25T02:30:00.000Z"
    whole = a.get(f"/recordings/{first}/audio")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["accept-ranges"] == "bytes" and len(whole.content) == 10240
    part = world.client.get(f"/api/v1/recordings/{first}/audio", headers={**a.headers, "Range": "bytes=1000-1099"})
    assert part.status_code == 206 and part.content == whole.content[1000:1100]
    assert part.headers["content-range"] == "bytes 1000-1099/10240"
    bad = world.client.get(f"/api/v1/recordings/{first}/audio", headers={**a.headers, "Range": "bytes=99999-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == "bytes */10240"
    not_yet = a.get(f"/recordings/{pending}/audio")
    assert not_yet.status_code == 422 and not_yet.json()["errors"][0]["code"] == "recording_pending"


def test_another_tenant_gets_404_and_an_agent_key_reaches_its_own_calls_only(world):
    world.stock("0912000001")
    a, b = world.tenant("A"), world.tenant("B")
    an, binh = a.agent("an"), a.agent("binh")
    own = recorded(world, a.id, 1, agent_id=an["id"], at=T)
    other = recorded(world, a.id, 2, agent_id=binh["id"], at=T)
    for path in (f"/recordings/{own}", f"/recordings/{own}/audio"):
        r = b.get(path)
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "not_found", path
    assert world.client.delete(f"/api/v1/recordings/{own}", headers=b.headers).status_code == 404
    assert b.get("/recordings").json() == {"items": [], "total": 0}
    with UnitOfWork(world.engine) as uow:
        key = create_api_key(uow, role="agent", now=T, tenant_id=a.id, agent_id=an["id"])
    agent = {"Authorization": f"Bearer {key}"}
    mine = world.client.get("/api/v1/recordings", headers=agent).json()
    assert [r["id"] for r in mine["items"]] == [own]
    assert world.client.get(f"/api/v1/recordings/{own}/audio", headers=agent).status_code == 200
    assert world.client.get(f"/api/v1/recordings/{other}", headers=agent).status_code == 404
    assert world.client.delete(f"/api/v1/recordings/{own}", headers=agent).status_code == 403


def test_a_held_recording_is_not_deleted_until_the_hold_is_lifted(world):
    world.stock("0912000001")
    a = world.tenant("A")
    rec = recorded(world, a.id, 1, agent_id=None, at=T)
    assert a.patch(f"/recordings/{rec}", {"legal_hold": True}).json()["legal_hold"] is True
    refused = world.client.delete(f"/api/v1/recordings/{rec}", headers=a.headers)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("legal_hold", "legal_hold")]
    assert a.get(f"/recordings/{rec}/audio").status_code == 200
    a.patch(f"/recordings/{rec}", {"legal_hold": False})
    assert world.client.delete(f"/api/v1/recordings/{rec}", headers=a.headers).status_code == 204
    gone = a.get(f"/recordings/{rec}").json()
    assert (gone["status"], gone["reason"], gone["audio_url"]) == ("deleted", "deleted", None)
    assert a.get(f"/recordings/{rec}/audio").json()["errors"][0]["code"] == "recording_deleted"
    assert not list(world.files.root.rglob("*.mp3"))
