"""Every event tongdai publishes (on the tenant's stream and to its webhooks), one function each, so a
payload is built in exactly one place; `EVENTS`, the list webhooks subscribe to, is derived from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.calls import CallRecord
from ..domain.timestamps import iso

CALL_COLUMNS = ("id", "tenant_id", "direction", "agent_id", "hotline_id", "hotline_number", "customer_number",
                "callee_agent_id", "caller_id_reasons", "started_at", "ringing_at", "answered_at", "ended_at",
                "talk_seconds", "sip_status", "end_reason", "hung_up_by", "recorded", "queue_id", "queued_at",
                "queue_seconds", "ring_seconds", "agents_offered", "overflow", "wrap_up_seconds",
                "ivr_tree_id", "ivr_path", "ivr_keys", "ivr_seconds", "recorded_by", "recording_id")


@dataclass(frozen=True)
class Notification:
    tenant_id: str
    type: str
    data: dict[str, Any]


_builders: dict[str, Callable[..., Notification]] = {}


def _event(name: str) -> Callable[[Callable[..., Notification]], Callable[..., Notification]]:
    def register(builder: Callable[..., Notification]) -> Callable[..., Notification]:
        _builders[name] = builder
        return builder
    return register


def call_view(record: CallRecord) -> dict[str, Any]:
    """The public form of a call record, as the call log stores it (every field a plain value)."""
    row = {name: getattr(record, name) for name in CALL_COLUMNS}
    row["caller_id_reasons"] = list(record.caller_id_reasons)
    row["agents_offered"] = list(record.agents_offered)
    row["ivr_path"], row["ivr_keys"] = list(record.ivr_path), list(record.ivr_keys)
    return row


# The steps of a call: the payload is the call's row as it stands.
CALL_PROGRESS = ("call.started", "call.ringing", "call.answered", "call.ended")


def call_progress(record: CallRecord, step: str, row: dict[str, Any] | None = None) -> Notification:
    return Notification(record.tenant_id, step, row if row is not None else call_view(record))


@_event("agent.status_changed")
def agent_status_changed(tenant_id: str, agent_id: str, old: str, new: str, reason: str | None,
                         at: datetime) -> Notification:
    return Notification(tenant_id, "agent.status_changed", {
        "agent_id": agent_id, "old": old, "new": new, "reason": reason, "at": iso(at)})


@_event("call.queued")
def call_queued(record: CallRecord, queue_id: str) -> Notification:
    return Notification(record.tenant_id, "call.queued", {
        "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": queue_id,
        "customer_number": record.customer_number, "overflow": record.overflow})


@_event("call.offered")
def call_offered(record: CallRecord, queue_id: str, agent_id: str) -> Notification:
    return Notification(record.tenant_id, "call.offered", {
        "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": queue_id, "agent_id": agent_id})


@_event("call.answer_time_exceeded")
def call_answer_time_exceeded(record: CallRecord, queue_id: str, waited: float) -> Notification:
    return Notification(record.tenant_id, "call.answer_time_exceeded", {
        "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": queue_id, "waited_seconds": waited})


@_event("call.abandoned")
def call_abandoned(record: CallRecord, queue_id: str, waited: float | None) -> Notification:
    return Notification(record.tenant_id, "call.abandoned", {
        "call_id": record.id, "hotline_id": record.hotline_id, "queue_id": queue_id, "waited_seconds": waited,
        "agents_offered": list(record.agents_offered)})


@_event("call.ivr_entered")
def call_ivr_entered(record: CallRecord, tree_id: str) -> Notification:
    return Notification(record.tenant_id, "call.ivr_entered", {
        "call_id": record.id, "hotline_id": record.hotline_id, "ivr_tree_id": tree_id,
        "customer_number": record.customer_number})


@_event("call.ivr_key")
def call_ivr_key(record: CallRecord, node_id: str, key: str) -> Notification:
    return Notification(record.tenant_id, "call.ivr_key", {
        "call_id": record.id, "ivr_tree_id": record.ivr_tree_id, "node_id": node_id, "key": key})


@_event("call.ivr_left")
def call_ivr_left(record: CallRecord, outcome: str, reason: str) -> Notification:
    """The walk is over: `outcome` is queue:<id>, external:<number>, hangup or goodbye; `reason` the key, or
    no_input / invalid_input, or caller_hung_up."""
    return Notification(record.tenant_id, "call.ivr_left", {
        "call_id": record.id, "ivr_tree_id": record.ivr_tree_id, "outcome": outcome, "reason": reason,
        "path": list(record.ivr_path), "keys": list(record.ivr_keys), "seconds": record.ivr_seconds})


@_event("call.refused")
def call_refused(record: CallRecord, code: str, why: str) -> Notification:
    """An outbound call refused by the tenant's destination policy or a call cap (toll-fraud controls)."""
    return Notification(record.tenant_id, "call.refused", {
        "call_id": record.id, "agent_id": record.agent_id, "customer_number": record.customer_number,
        "code": code, "reason": why})


@_event("call.wrap_up_ended")
def call_wrap_up_ended(record: CallRecord) -> Notification:
    return call_progress(record, "call.wrap_up_ended")


RECORDING_FIELDS = ("id", "call_id", "agent_id", "hotline_id", "recorded_by", "status", "reason", "duration_ms",
                    "size", "format", "channels", "legal_hold")


def recording_view(row: dict[str, Any]) -> dict[str, Any]:
    """The public form of a recording (the API's, the event's): where its audio is, when it expires."""
    view = {name: row.get(name) for name in RECORDING_FIELDS}
    for name in ("started_at", "ended_at", "created_at", "expires_at", "deleted_at"):
        view[name] = iso(row[name]) if row.get(name) is not None else None
    view["audio_url"] = f"/api/v1/recordings/{row['id']}/audio" if row.get("status") == "ready" else None
    return view


@_event("recording.ready")
def recording_ready(row: dict[str, Any]) -> Notification:
    """A recorded call's file can be played and downloaded (`audio_url`)."""
    return Notification(row["tenant_id"], "recording.ready", recording_view(row))


EVENTS: tuple[str, ...] = (*CALL_PROGRESS, *_builders)
