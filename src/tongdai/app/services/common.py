"""Helpers every service shares: fetch-or-404, references that exist, change merging."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from ...domain.errors import NotFound, RuleViolation, Violation
from ...domain.rules import TenantRefs
from ...store.uow import UnitOfWork


def get_or_404(repo: Any, kind: str, object_id: str, tenant_id: str | None = None) -> Any:
    obj = repo.get(object_id, tenant_id) if tenant_id is not None else repo.get(object_id)
    if obj is None:
        raise NotFound(kind, object_id)
    return obj


def refs(uow: UnitOfWork, tenant_id: str, *, groups: Iterable[str] = (), queues: Iterable[str] = (),
         ivr_trees: Iterable[str] = (), hotlines: Iterable[str] = (), adaptive: Iterable[str] = (),
         audio: Iterable[str] = (), agents: Iterable[str] = ()) -> TenantRefs:
    """Which of the referenced ids exist in this tenant."""
    return TenantRefs(
        groups=frozenset(uow.groups.existing(groups, tenant_id)),
        queues=frozenset(uow.queues.existing(queues, tenant_id)),
        ivr_trees=frozenset(uow.ivr_trees.existing(ivr_trees, tenant_id)),
        hotlines=uow.hotlines.kinds(hotlines, tenant_id),
        adaptive_numbers=frozenset(uow.adaptive_numbers.existing(adaptive, tenant_id)),
        audio=frozenset(uow.audio.existing(audio, tenant_id)),
        agents=frozenset(uow.agents.existing(agents, tenant_id)),
    )


def merge(obj: Any, changes: dict[str, Any], immutable: Iterable[str] = ()) -> Any:
    """A copy of `obj` with `changes` applied; changing an immutable field is refused."""
    frozen = [Violation(k, "immutable", f"{k} cannot be changed after creation")
              for k in immutable if k in changes and changes[k] != getattr(obj, k)]
    if frozen:
        raise RuleViolation(frozen)
    known = {f.name for f in dataclasses.fields(obj)}
    return dataclasses.replace(obj, **{k: v for k, v in changes.items() if k in known})


def taken(field: str, what: str) -> RuleViolation:
    return RuleViolation(Violation(field, "taken", f"{what} is already taken"))
