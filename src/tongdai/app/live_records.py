"""What the running switch persists besides the call log: agents' states (each change and the current
state) and SIP registrations. Each has one writer thread; the switch never waits for the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.acd import StatusChanged
from ..store.uow import UnitOfWork
from .batches import BatchWriter, Spool
from .ids import new_id


class AgentStateWriter:
    """State changes of agents, written a few times a second: the latest state per agent and every
    history row, one transaction per batch; a change that cannot be written (its agent was deleted
    meanwhile) loses only itself."""

    def __init__(self, engine: Any, spool: Spool | None = None, gather: float = 0.25):
        self.engine = engine
        self.writer = BatchWriter("agent-states", self._write, limit=1000, gather=gather, spool=spool,
                                  describe=lambda c: f"the state change of agent {c[1]} to {c[2]['new']}")

    def start(self) -> None:
        self.writer.start()

    def changed(self, tenant_id: str, agent_id: str, change: StatusChanged, at: datetime) -> None:
        """From the SIP thread."""
        self.writer.put((tenant_id, agent_id, {"id": new_id("state_change"), "old": change.old,
                                               "new": change.new, "reason": change.reason}, at))

    def _write(self, changes: list[tuple[str, str, dict[str, Any], datetime]]) -> None:
        latest = {agent_id: (tenant_id, change, at) for tenant_id, agent_id, change, at in changes}
        with UnitOfWork(self.engine) as uow:
            uow.agent_states.replace([
                {"agent_id": a, "tenant_id": tn, "state": c["new"], "reason": c["reason"], "since": at}
                for a, (tn, c, at) in latest.items()])
            uow.agent_states.add_history([
                {"id": c["id"], "agent_id": a, "tenant_id": tn, "old": c["old"], "new": c["new"],
                 "reason": c["reason"], "at": at} for tn, a, c, at in changes])

    def stop(self) -> None:
        self.writer.stop()


class RegistrationWriter:
    """The registrar's bindings of an agent, replaced whole at each change."""

    def __init__(self, engine: Any, spool: Spool | None = None):
        self.engine = engine
        self.writer = BatchWriter("registrations", self._write, limit=200, spool=spool,
                                  describe=lambda item: f"the registrations of agent {item[0]}")

    def start(self) -> None:
        self.writer.start()

    def changed(self, agent_id: str, rows: list[dict[str, Any]]) -> None:
        """From the SIP thread: the agent's live bindings (agent_id, tenant_id, contact, host, port,
        expires_at, user_agent)."""
        self.writer.put((agent_id, rows))

    def _write(self, items: list[tuple[str, list[dict[str, Any]]]]) -> None:
        latest = dict(items)  # the last change of each agent is the truth
        with UnitOfWork(self.engine) as uow:
            for agent_id, rows in latest.items():
                uow.registrations.replace(agent_id, rows)

    def stop(self) -> None:
        self.writer.stop()


def restore(engine: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str | None]]]:
    """At start: the persisted registrations, and the agents who were away."""
    with UnitOfWork(engine) as uow:
        return uow.registrations.all(), uow.agent_states.away()
