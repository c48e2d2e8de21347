"""Rows <-> domain objects. Flat dataclasses go through one generic codec; nested ones have their own."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..domain.model import (
    AdaptiveNumber,
    Agent,
    Group,
    Hotline,
    InventoryNumber,
    IvrNode,
    IvrTarget,
    IvrTree,
    MaxWaitAction,
    Prompt,
    Queue,
    QueueGroup,
    Tenant,
    Trunk,
    User,
)


class Codec:
    def __init__(self, cls: type, to_row: Callable[[Any], dict] | None = None,
                 from_row: Callable[[dict], Any] | None = None):
        self.cls = cls
        self.names = [f.name for f in dataclasses.fields(cls)]
        self._to_row = to_row
        self._from_row = from_row

    def to_row(self, obj: Any) -> dict:
        if self._to_row:
            return self._to_row(obj)
        return {n: (list(v) if isinstance(v, tuple) else v) for n in self.names
                for v in [getattr(obj, n)]}

    def from_row(self, row: Any) -> Any:
        data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        if self._from_row:
            return self._from_row(data)
        return self.cls(**{n: (tuple(v) if isinstance(v, list) else v)
                           for n in self.names if n in data for v in [data[n]]})


def _queue_to_row(q: Queue) -> dict:
    return {
        "id": q.id, "tenant_id": q.tenant_id, "name": q.name,
        "groups": [{"group_id": g.group_id, "priority": g.priority} for g in q.groups],
        "strategy": q.strategy, "ring_timeout_seconds": q.ring_timeout_seconds,
        "max_wait_seconds": q.max_wait_seconds,
        "max_wait_action": dataclasses.asdict(q.max_wait_action), "record_calls": q.record_calls,
        "waiting_audio": q.waiting_audio, "music_audio_id": q.music_audio_id,
    }


def _queue_from_row(d: dict) -> Queue:
    return Queue(
        id=d["id"], tenant_id=d["tenant_id"], name=d["name"],
        groups=tuple(QueueGroup(**g) for g in d["groups"]), strategy=d["strategy"],
        ring_timeout_seconds=d["ring_timeout_seconds"], max_wait_seconds=d["max_wait_seconds"],
        max_wait_action=MaxWaitAction(**d["max_wait_action"]), record_calls=d["record_calls"],
        waiting_audio=d.get("waiting_audio") or "ringback", music_audio_id=d.get("music_audio_id"),
    )


def node_to_dict(n: IvrNode) -> dict:
    return {"id": n.id, "type": n.kind, "prompt": dataclasses.asdict(n.prompt), "timeout_seconds": n.timeout_seconds,
            "max_digits": n.max_digits, "branches": {k: dataclasses.asdict(t) for k, t in n.branches}}


def node_from_dict(d: dict) -> IvrNode:
    return IvrNode(id=d["id"], prompt=Prompt(**d["prompt"]), timeout_seconds=d["timeout_seconds"],
                   branches=tuple((k, IvrTarget(**t)) for k, t in d["branches"].items()), kind=d.get("type", "menu"),
                   max_digits=d.get("max_digits", 1))


def _tree_to_row(t: IvrTree) -> dict:
    return {"id": t.id, "tenant_id": t.tenant_id, "name": t.name, "root_node_id": t.root_node_id,
            "nodes": [node_to_dict(n) for n in t.nodes]}


def _tree_from_row(d: dict) -> IvrTree:
    return IvrTree(id=d["id"], tenant_id=d["tenant_id"], name=d["name"], root_node_id=d["root_node_id"],
                   nodes=tuple(node_from_dict(n) for n in d["nodes"]))




def _hotline_from_row(d: dict) -> Hotline:
    groups = d["outbound_groups"]
    d = {**d, "outbound_groups": groups if isinstance(groups, str) else tuple(groups)}
    return Hotline(**{f.name: d[f.name] for f in dataclasses.fields(Hotline)})


TENANT = Codec(Tenant)
USER = Codec(User)
TRUNK = Codec(Trunk)
INVENTORY = Codec(InventoryNumber)
GROUP = Codec(Group)
HOTLINE = Codec(Hotline, from_row=_hotline_from_row)
ADAPTIVE = Codec(AdaptiveNumber)
AGENT = Codec(Agent)
QUEUE = Codec(Queue, _queue_to_row, _queue_from_row)
IVR_TREE = Codec(IvrTree, _tree_to_row, _tree_from_row)
