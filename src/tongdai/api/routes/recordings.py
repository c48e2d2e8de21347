"""Recordings: listed, read, played (HTTP Range), held, deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from ...app.security import Principal
from ...app.services import recordings as service
from ..deps import Context, Paging, admin, ctx, tenant_member
from ..responses import audio_response
from ..schemas import recordings as s

router = APIRouter(tags=["recordings"])
Ctx = Annotated[Context, Depends(ctx)]
Member = Annotated[Principal, Depends(tenant_member)]


def _own(p: Principal) -> str | None:
    """An agent key reaches its own calls' recordings only."""
    return p.agent_id if p.role == "agent" else None


@router.get("/recordings", response_model=s.RecordingList)
def list_recordings(p: Member, c: Ctx, page: Annotated[Paging, Depends()],
                    call_id: Annotated[str | None, Query(max_length=40, description="the recorded call")] = None,
                    hotline_id: Annotated[str | None, Query(max_length=40)] = None,
                    agent_id: Annotated[str | None, Query(max_length=40)] = None,
                    status: Annotated[Literal["recording", "pending", "ready", "failed", "deleted"] | None,
                                      Query()] = None,
                    since: Annotated[datetime | None, Query(description="recorded at or after (ISO 8601; an offset "
                                                            "such as +07:00 is honoured)")] = None,
                    until: Annotated[datetime | None, Query(description="recorded before")] = None):
    """Recordings of the tenant, newest first (an agent key: its own calls' only)."""
    equals = {"call_id": call_id, "hotline_id": hotline_id, "agent_id": agent_id, "status": status}
    with c.uow() as uow:
        return service.recordings(uow, tenant_id=p.tenant, agent_id=_own(p), equals=equals, since=since,
                                  until=until, limit=page.limit, offset=page.offset)


@router.get("/recordings/{recording_id}", response_model=s.RecordingOut)
def get_recording(recording_id: str, p: Member, c: Ctx):
    with c.uow() as uow:
        return service.recording(uow, tenant_id=p.tenant, recording_id=recording_id, agent_id=_own(p))


@router.get("/recordings/{recording_id}/audio", response_class=Response, responses={
    200: {"content": {"audio/mpeg": {}}, "description": "the whole file"},
    206: {"content": {"audio/mpeg": {}}, "description": "the byte range asked for (`Range: bytes=a-b`)"},
    416: {"description": "the range is outside the file (`Content-Range: bytes */size`)"}})
def recording_audio(recording_id: str, p: Member, c: Ctx,
                    range: Annotated[str | None, Header(max_length=100)] = None):
    """The recording's audio, streamed; a browser's `<audio>` seeks with Range requests. Refused with
    `recording_pending`, `recording_failed` or `recording_deleted` until (or unless) it is ready."""
    with c.uow() as uow:
        key, fmt = service.audio(uow, tenant_id=p.tenant, recording_id=recording_id, agent_id=_own(p))
    return audio_response(c.recording_files, key, fmt, range, f"{recording_id}.{fmt}")


@router.patch("/recordings/{recording_id}", response_model=s.RecordingOut)
def hold_recording(recording_id: str, body: s.RecordingPatch, p: Annotated[Principal, Depends(admin)], c: Ctx):
    """Put a recording on legal hold (retention and DELETE leave it alone) or lift the hold."""
    with c.uow() as uow:
        return service.set_legal_hold(uow, tenant_id=p.tenant, recording_id=recording_id, legal_hold=body.legal_hold)


@router.delete("/recordings/{recording_id}", status_code=204)
def delete_recording(recording_id: str, p: Annotated[Principal, Depends(admin)], c: Ctx):
    """Delete the file now (the row stays, `deleted`); refused with `legal_hold` while on hold."""
    with c.uow() as uow:
        service.delete(uow, c.recording_files, tenant_id=p.tenant, recording_id=recording_id, now=c.clock())
    return Response(status_code=204)


@router.get("/recording-retention", response_model=s.RetentionOut)
def get_retention(p: Annotated[Principal, Depends(admin)], c: Ctx):
    """How long the tenant's recordings are kept (a sweeper deletes them hourly once expired)."""
    with c.uow() as uow:
        return service.retention(uow, tenant_id=p.tenant, default_days=c.recording_retention_days)


@router.put("/recording-retention", response_model=s.RetentionOut)
def set_retention(body: s.RetentionIn, p: Annotated[Principal, Depends(admin)], c: Ctx):
    """Set the tenant's retention; every kept recording's `expires_at` follows at once."""
    with c.uow() as uow:
        return service.set_retention(uow, tenant_id=p.tenant, days=body.days, default_days=c.recording_retention_days)
