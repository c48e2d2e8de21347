"""Recordings as the API and the portal see them: listed, read, played, deleted, held. An agent key (or
an agent's portal session) reaches only its own calls' recordings; another tenant's are not found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import NotFound, RuleViolation, Violation
from ...store.recordings import DELETED, READY
from ...store.uow import UnitOfWork
from ..notifier import recording_view

MAX_RETENTION_DAYS = 36500


def recordings(uow: UnitOfWork, *, tenant_id: str, agent_id: str | None, equals: dict[str, Any],
               since: datetime | None, until: datetime | None, limit: int, offset: int) -> dict[str, Any]:
    """`agent_id`: the agent whose key asks (its own calls only), or None for an admin."""
    if agent_id is not None:
        equals = {**equals, "agent_id": agent_id}
    items, total = uow.recordings.list(tenant_id, equals=equals, since=since, until=until, limit=limit,
                                       offset=offset)
    return {"items": [recording_view(r) for r in items], "total": total}


def _row(uow: UnitOfWork, tenant_id: str, recording_id: str, agent_id: str | None) -> dict[str, Any]:
    row = uow.recordings.get(recording_id, tenant_id)
    if row is None or (agent_id is not None and row["agent_id"] != agent_id):
        raise NotFound("recording", recording_id)
    return row


def recording(uow: UnitOfWork, *, tenant_id: str, recording_id: str, agent_id: str | None) -> dict[str, Any]:
    return recording_view(_row(uow, tenant_id, recording_id, agent_id))


def audio(uow: UnitOfWork, *, tenant_id: str, recording_id: str, agent_id: str | None) -> tuple[str, str]:
    """The stored file's key and its format, for a recording that is ready."""
    row = _row(uow, tenant_id, recording_id, agent_id)
    if row["status"] != READY or not row["storage_key"]:
        why = {DELETED: f"the recording was deleted ({row['reason']})",
               "failed": f"the recording failed: {row['reason']}"}.get(row["status"], "the recording is not "
                                                                                       "converted yet")
        raise RuleViolation(Violation("status", f"recording_{row['status']}", why))
    return row["storage_key"], row["format"] or "mp3"


def delete(uow: UnitOfWork, files: Any, *, tenant_id: str, recording_id: str, now: datetime) -> None:
    row = _row(uow, tenant_id, recording_id, None)
    if row["legal_hold"]:
        raise RuleViolation(Violation("legal_hold", "legal_hold", "the recording is on legal hold: lift the hold "
                                                                  "before deleting it"))
    if row["status"] == DELETED:
        return
    if row["storage_key"]:
        files.delete(row["storage_key"])
    uow.recordings.deleted(recording_id, now, "deleted")


def set_legal_hold(uow: UnitOfWork, *, tenant_id: str, recording_id: str, legal_hold: bool) -> dict[str, Any]:
    _row(uow, tenant_id, recording_id, None)
    uow.recordings.hold(recording_id, tenant_id, legal_hold)
    return recording_view(_row(uow, tenant_id, recording_id, None))


def of_calls(uow: UnitOfWork, *, tenant_id: str, call_ids: list[str], agent_id: str | None) -> dict[str, Any]:
    """The recordings of these calls (a call log page's), by call id."""
    found = uow.recordings.of_calls(call_ids)
    return {call_id: recording_view(row) for call_id, row in found.items()
            if row["tenant_id"] == tenant_id and (agent_id is None or row["agent_id"] == agent_id)}


def retention(uow: UnitOfWork, *, tenant_id: str, default_days: float) -> dict[str, Any]:
    days = uow.recordings.retention_days(tenant_id)
    return {"days": days, "default_days": default_days,
            "effective_days": days if days is not None else default_days}


def set_retention(uow: UnitOfWork, *, tenant_id: str, days: int | None, default_days: float) -> dict[str, Any]:
    """The tenant's retention in days (None: the server's default); the expiry of every recording kept
    follows at once (on legal hold a recording stays past it)."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise RuleViolation(Violation("days", "out_of_range", f"between 1 and {MAX_RETENTION_DAYS} days, or empty"))
    uow.recordings.set_retention(tenant_id, days, default_days)
    return retention(uow, tenant_id=tenant_id, default_days=default_days)
