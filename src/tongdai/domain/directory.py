"""An immutable snapshot of the configuration the switch needs per call, indexed for lookups.

Built by the application layer from the database and swapped whole when the configuration changes,
so the SIP thread never waits for the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .caller_id import CallingAgent, Catalogue
from .model import Agent, Hotline, IvrTree, Queue, Tenant, Trunk


@dataclass(frozen=True)
class Directory:
    tenants: dict[str, Tenant] = field(default_factory=dict)
    tenant_by_domain: dict[str, str] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    agent_by_login: dict[tuple[str, str], str] = field(default_factory=dict)  # (domain, username) -> id
    agent_by_extension: dict[tuple[str, str], str] = field(default_factory=dict)  # (tenant, ext) -> id
    trunks: dict[str, Trunk] = field(default_factory=dict)
    trunks_by_source: dict[str, tuple[str, ...]] = field(default_factory=dict)  # IP -> trunk ids
    hotline_by_number: dict[str, Hotline] = field(default_factory=dict)
    catalogues: dict[str, Catalogue] = field(default_factory=dict)
    ported: dict[str, dict[str, str]] = field(default_factory=dict)  # tenant -> operator+tenant table
    queues: dict[str, Queue] = field(default_factory=dict)
    ivr_trees: dict[str, IvrTree] = field(default_factory=dict)

    @classmethod
    def build(cls, *, tenants: list[Tenant], agents: list[Agent], trunks: list[Trunk], hotlines: list[Hotline],
              adaptive_numbers: list, operator_ported: dict[str, str],
              tenant_ported: dict[str, dict[str, str]], queues: Iterable[Queue] = (),
              ivr_trees: Iterable[IvrTree] = ()) -> Directory:
        by_source: dict[str, list[str]] = {}
        for trunk in trunks:
            for address in trunk.source_addresses:
                by_source.setdefault(address, []).append(trunk.id)
        hotlines_of: dict[str, list[Hotline]] = {}
        for h in hotlines:
            hotlines_of.setdefault(h.tenant_id, []).append(h)
        adaptive_of: dict[str, list] = {}
        for a in adaptive_numbers:
            adaptive_of.setdefault(a.tenant_id, []).append(a)
        domain_of = {t.id: t.sip_domain for t in tenants}
        return cls(
            tenants={t.id: t for t in tenants},
            tenant_by_domain={t.sip_domain: t.id for t in tenants},
            agents={a.id: a for a in agents},
            agent_by_login={(domain_of[a.tenant_id], a.sip_username): a.id for a in agents},
            agent_by_extension={(a.tenant_id, a.extension): a.id for a in agents},
            trunks={t.id: t for t in trunks},
            trunks_by_source={k: tuple(v) for k, v in by_source.items()},
            hotline_by_number={h.number: h for h in hotlines},
            catalogues={t.id: Catalogue(hotlines_of.get(t.id, []), adaptive_of.get(t.id, [])) for t in tenants},
            ported={t.id: {**operator_ported, **tenant_ported.get(t.id, {})} for t in tenants},
            queues={q.id: q for q in queues},
            ivr_trees={t.id: t for t in ivr_trees},
        )

    def agent_at(self, domain: str, username: str) -> Agent | None:
        agent_id = self.agent_by_login.get((domain.lower(), username))
        return self.agents.get(agent_id) if agent_id else None

    def realm_for(self, domain: str) -> str | None:
        """The SIP domain (digest realm) a request's From/To host names: a tenant's own domain, or none.

        A softphone set up with the server's address as its domain is refused: deriving the tenant from
        the username alone let one tenant's new agent lock out another's with the same username, and
        told a prober which usernames exist. Softphones use the tenant's domain, with tongdai's
        address as outbound proxy."""
        domain = domain.lower()
        return domain if domain in self.tenant_by_domain else None

    def calling(self, agent: Agent) -> CallingAgent:
        return CallingAgent(agent.id, frozenset(agent.groups), agent.default_caller_id)

    def carrier_hosts(self) -> frozenset[str]:
        """The hosts trunks send from (their source addresses, without ports)."""
        return frozenset(source.rsplit(":", 1)[0] if source.count(":") == 1 else source
                         for source in self.trunks_by_source)

    def trunks_from(self, host: str, port: int, from_host: str | None = None) -> tuple[Trunk, ...]:
        """Trunks whose source addresses list this host:port, or this host. A request from an address a
        trunk lists by IP alone whose From names a tenant's domain is an agent's, not the carrier's (agents
        behind the carrier's NAT, or on the same host, are never taken for the carrier)."""
        exact = self.trunks_by_source.get(f"{host}:{port}", ())
        loose = self.trunks_by_source.get(host, ())
        if loose and from_host is not None and self.realm_for(from_host) is not None:
            loose = ()
        return tuple(self.trunks[i] for i in exact + loose)
