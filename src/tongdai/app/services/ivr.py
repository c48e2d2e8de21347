"""IVR trees and the audio files their prompts may play."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...domain.errors import InUse, NotFound, RuleViolation, Violation, collect
from ...domain.hours import DEFAULT_TIME_ZONE, parse_hours, problems
from ...domain.model import IvrNode, IvrTarget, IvrTree, Prompt
from ...domain.rules import validate_ivr_tree
from ...store.codecs import node_to_dict
from ...store.uow import UnitOfWork
from ..ids import new_id
from .common import get_or_404, merge, refs

MAX_AUDIO_BYTES = 5 * 1024 * 1024


EXTENSION_DIGITS = 6  # an extension node takes up to this many digits unless it says otherwise (extensions: 2-6)


def _nodes(raw: list[dict[str, Any]]) -> tuple[IvrNode, ...]:
    return tuple(
        IvrNode(id=n["id"], prompt=Prompt(**n["prompt"]) if n.get("prompt") else Prompt("none"),
                timeout_seconds=n.get("timeout_seconds", 5), kind=n.get("type") or "menu",
                max_digits=n.get("max_digits") or (EXTENSION_DIGITS if n.get("type") == "extension" else 1),
                branches=tuple((k, IvrTarget(**t)) for k, t in (n.get("branches") or {}).items()))
        for n in raw)


def _structured(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "nodes": _nodes(data["nodes"])} if data.get("nodes") is not None else data


def _check(uow: UnitOfWork, tree: IvrTree) -> None:
    queues = [t.queue_id for n in tree.nodes for _, t in n.branches if t.queue_id]
    agents = [t.agent_id for n in tree.nodes for _, t in n.branches if t.agent_id]
    audio = [n.prompt.audio_id for n in tree.nodes if n.prompt.audio_id]
    collect(validate_ivr_tree(tree, refs(uow, tree.tenant_id, queues=queues, audio=audio, agents=agents)))


def create_ivr_tree(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> IvrTree:
    tree = IvrTree(id=new_id("ivr_tree"), tenant_id=tenant_id, **_structured(data))
    _check(uow, tree)
    uow.ivr_trees.add(tree)
    return tree


def update_ivr_tree(uow: UnitOfWork, *, tenant_id: str, tree_id: str, changes: dict[str, Any]) -> IvrTree:
    tree = merge(get_or_404(uow.ivr_trees, "IVR tree", tree_id, tenant_id), _structured(changes))
    _check(uow, tree)
    uow.ivr_trees.save(tree)
    return tree


def delete_ivr_tree(uow: UnitOfWork, *, tenant_id: str, tree_id: str) -> None:
    get_or_404(uow.ivr_trees, "IVR tree", tree_id, tenant_id)
    users = [f"hotline {h.id}" for h in uow.hotlines.where(tenant_id, ivr_tree_id=tree_id)]
    if users:
        raise InUse("IVR tree", tree_id, users[:20])
    uow.ivr_trees.remove(tree_id, tenant_id)


def upload_audio(uow: UnitOfWork, *, tenant_id: str, name: str, data: bytes, now: datetime,
                 convert: Callable[[bytes], tuple[bytes, int]] | None) -> dict[str, Any]:
    """Store an uploaded prompt (WAV or MP3, at most 5 MiB and 10 minutes) converted once by `convert`
    (`Context.audio_upload`) to what rtpengine plays best (8 kHz mono WAV); each refusal names the field
    `file` with a stable code."""
    if len(data) > MAX_AUDIO_BYTES:
        raise RuleViolation(Violation("file", "too_large", "an audio prompt is at most 5 MiB"))
    if convert is None:
        raise RuleViolation(Violation("file", "audio_unavailable", "this server cannot convert audio files"))
    data, duration_ms = convert(data)
    out: list[Violation] = []
    if not name.strip() or len(name) > 200:
        out.append(Violation("name", "invalid_value", "a file name of 1 to 200 characters"))
    collect(out)
    row = {"id": new_id("audio"), "tenant_id": tenant_id, "name": name, "duration_ms": duration_ms,
           "data": data, "created_at": now}
    uow.audio.add(**row)
    return {k: v for k, v in row.items() if k != "data"}


def delete_audio(uow: UnitOfWork, *, tenant_id: str, audio_id: str) -> None:
    get_or_404(uow.audio, "audio", audio_id, tenant_id)
    users = [f"IVR tree {t.id}" for t in uow.ivr_trees.all(tenant_id)
             if any(n.prompt.audio_id == audio_id for n in t.nodes)]
    users += [f"queue {q.id} (music)" for q in uow.queues.all(tenant_id) if q.music_audio_id == audio_id]
    if users:
        raise InUse("audio", audio_id, users)
    uow.audio.remove(audio_id, tenant_id)


def node_prompt(uow: UnitOfWork, *, tenant_id: str, tree_id: str, node_id: str) -> tuple[Prompt, bytes | None]:
    """A node's prompt and, for an uploaded one, the upload's audio (what a preview plays)."""
    tree = get_or_404(uow.ivr_trees, "IVR tree", tree_id, tenant_id)
    node = next((n for n in tree.nodes if n.id == node_id), None)
    if node is None:
        raise NotFound("IVR node", node_id)
    upload = uow.audio.get(node.prompt.audio_id, tenant_id) if node.prompt.audio_id else None
    return node.prompt, bytes(upload["data"]) if upload else None


def tree_view(tree: IvrTree) -> dict[str, Any]:
    """The public form of a tree: its nodes as plain dictionaries."""
    return {"id": tree.id, "name": tree.name, "root_node_id": tree.root_node_id,
            "nodes": [node_to_dict(n) for n in tree.nodes]}


def opening_hours(uow: UnitOfWork, *, tenant_id: str) -> dict[str, Any]:
    tenant = get_or_404(uow.tenants, "tenant", tenant_id)
    raw = tenant.opening_hours or {}
    return {"time_zone": tenant.time_zone, "periods": raw.get("periods", []), "holidays": raw.get("holidays", [])}


def set_opening_hours(uow: UnitOfWork, *, tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Replace the tenant's opening hours (what the IVR's hours nodes ask); each problem names its field."""
    tenant = get_or_404(uow.tenants, "tenant", tenant_id)
    raw = {"periods": data.get("periods", []), "holidays": data.get("holidays", [])}
    out: list[Violation] = []
    try:
        hours = parse_hours(raw, data.get("time_zone") or DEFAULT_TIME_ZONE)
    except ValueError as exc:
        raise RuleViolation(Violation("periods", "invalid_value", f"times are HH:MM, dates YYYY-MM-DD: {exc}")) \
            from None
    for problem in problems(hours):
        field = "time_zone" if "time zone" in problem else "periods"
        out.append(Violation(field, "invalid_value", problem))
    collect(out)
    uow.tenants.save(dataclasses.replace(tenant, time_zone=hours.time_zone, opening_hours=raw))
    return opening_hours(uow, tenant_id=tenant_id)
