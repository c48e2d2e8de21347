"""The outbound caller-ID decision: which hotline an agent's call to a customer goes out on, and why.

A pure function of the agent, the destination, what the agent asked for, the tenant's hotlines and
their recent use. Randomness is passed in, so every decision can be replayed in a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol

from .model import ALL_GROUPS, AdaptiveNumber, Hotline
from .numbers import NumberInfo, classify

INVALID_DESTINATION = "invalid_destination"
HOTLINE_OUTBOUND_DISABLED = "hotline_outbound_disabled"
VIRTUAL_CANNOT_CALL_OUT = "virtual_cannot_call_out"
GROUP_NOT_PERMITTED = "group_not_permitted"
NO_PERMITTED_HOTLINE = "no_permitted_hotline"
UNKNOWN_CALLER = "unknown_caller"


class Chooser(Protocol):
    def choice(self, seq: list[Hotline]) -> Hotline: ...


@dataclass(frozen=True, slots=True)
class CallingAgent:
    id: str
    groups: frozenset[str]
    default_caller_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallerIdDecision:
    """Either a hotline (with `record`) or a refusal `code`; `reasons` explain it either way."""

    destination: NumberInfo
    hotline: Hotline | None
    reasons: tuple[str, ...]
    code: str | None = None
    adaptive_number_id: str | None = None
    record: bool = False

    @property
    def refused(self) -> bool:
        return self.hotline is None


class _Entry:
    """A hotline as the decision sees it, with its permitted groups as a set."""

    __slots__ = ("hotline", "groups", "can_call_out")

    def __init__(self, hotline: Hotline):
        self.hotline = hotline
        self.groups = None if hotline.outbound_groups == ALL_GROUPS else frozenset(hotline.outbound_groups)
        self.can_call_out = hotline.number_type == "carrier" and hotline.outbound_enabled

    def permits(self, agent_groups: frozenset[str]) -> bool:
        return self.groups is None or not self.groups.isdisjoint(agent_groups)


class Catalogue:
    """One tenant's hotlines and adaptive numbers, indexed for the decision. Rebuilt on change."""

    def __init__(self, hotlines: Iterable[Hotline], adaptive_numbers: Iterable[AdaptiveNumber] = ()):
        self.entries: dict[str, _Entry] = {}
        self.by_number: dict[str, _Entry] = {}
        self.by_carrier: dict[str | None, list[_Entry]] = {}
        for hotline in hotlines:
            entry = _Entry(hotline)
            self.entries[hotline.id] = entry
            self.by_number[hotline.number] = entry
            if entry.can_call_out:
                self.by_carrier.setdefault(hotline.carrier, []).append(entry)
        self.adaptive: dict[str, AdaptiveNumber] = {a.id: a for a in adaptive_numbers}
        self._members = {a.id: frozenset(a.members) for a in self.adaptive.values() if a.members}


class HotlineUsage:
    """When each hotline last carried an outbound call: least recently used first, per carrier.

    Hotlines never used count as the oldest. Owned by whoever places calls; the decision only reads.
    """

    def __init__(self) -> None:
        self._order: dict[str | None, dict[str, None]] = {}
        self._carrier_of: dict[str, str | None] = {}

    @classmethod
    def from_times(cls, hotlines: Iterable[Hotline], last_used: Mapping[str, float]) -> "HotlineUsage":
        usage = cls()
        for h in sorted(hotlines, key=lambda h: (h.id in last_used, last_used.get(h.id, 0.0))):
            usage.touch(h) if h.id in last_used else usage.track(h)
        return usage

    def track(self, hotline: Hotline) -> None:
        """Make a hotline known (as never used) if it is not yet."""
        if hotline.id not in self._carrier_of:
            self._carrier_of[hotline.id] = hotline.carrier
            self._order.setdefault(hotline.carrier, {})[hotline.id] = None

    def track_all(self, hotlines: Iterable[Hotline]) -> None:
        for hotline in hotlines:
            self.track(hotline)

    def touch(self, hotline: Hotline) -> None:
        """Record a call placed on this hotline now: it becomes the most recently used."""
        self.track(hotline)
        order = self._order[hotline.carrier]
        del order[hotline.id]
        order[hotline.id] = None

    def oldest_first(self, carrier: str | None) -> Iterable[str]:
        return self._order.get(carrier, {})


def choose_caller_id(*, catalogue: Catalogue, usage: HotlineUsage, agent: CallingAgent,
                     destination: str | NumberInfo, requested: str | None, chooser: Chooser,
                     ported: Mapping[str, str] | None = None) -> CallerIdDecision:
    """Pick the hotline for this agent's call to `destination`, or refuse with a stable code."""
    dest = destination if isinstance(destination, NumberInfo) else classify(destination, ported)
    if not dest.valid:
        return CallerIdDecision(dest, None, (f"destination {dest.input!r} is invalid: {dest.reason}",),
                                INVALID_DESTINATION)
    reasons = [f"destination {dest.e164} is {_describe(dest)}"]
    wanted = requested
    if wanted is None:
        wanted = agent.default_caller_id
        if wanted is not None:
            reasons.append(f"no caller requested: using the agent's default {wanted}")
    if wanted is None:
        reasons.append("no caller requested and no default: choosing among every permitted hotline")
        return _adaptive(catalogue, usage, agent, dest, None, chooser, reasons)
    adaptive = catalogue.adaptive.get(wanted)
    if adaptive is not None:
        reasons.append(f"adaptive number {adaptive.name!r} ({adaptive.id})")
        if not adaptive.outbound_enabled:
            return _refuse(dest, reasons, HOTLINE_OUTBOUND_DISABLED,
                           f"adaptive number {adaptive.id} does not allow outbound calls")
        return _adaptive(catalogue, usage, agent, dest, adaptive, chooser, reasons)
    entry = catalogue.entries.get(wanted) or catalogue.by_number.get(wanted)
    if entry is None:
        return _refuse(dest, reasons, UNKNOWN_CALLER, f"no hotline or adaptive number {wanted!r}")
    hotline = entry.hotline
    reasons.append(f"hotline {hotline.number} ({hotline.id}) requested")
    if hotline.number_type == "virtual":
        return _refuse(dest, reasons, VIRTUAL_CANNOT_CALL_OUT, "virtual numbers cannot call out")
    if not hotline.outbound_enabled:
        return _refuse(dest, reasons, HOTLINE_OUTBOUND_DISABLED,
                       f"hotline {hotline.id} does not allow outbound calls")
    if not entry.permits(agent.groups):
        return _refuse(dest, reasons, GROUP_NOT_PERMITTED,
                       f"none of the agent's groups may call out on {hotline.id}")
    reasons.append("outbound allowed and one of the agent's groups is permitted")
    return CallerIdDecision(dest, hotline, tuple(reasons), record=hotline.record_calls)


def _adaptive(catalogue: Catalogue, usage: HotlineUsage, agent: CallingAgent, dest: NumberInfo,
              adaptive: AdaptiveNumber | None, chooser: Chooser, reasons: list[str]) -> CallerIdDecision:
    members = catalogue._members.get(adaptive.id) if adaptive is not None else None
    adaptive_id = adaptive.id if adaptive is not None else None
    record_adaptive = adaptive.record_calls if adaptive is not None else False

    def usable(entry: _Entry | None) -> bool:
        return (entry is not None and entry.can_call_out and entry.permits(agent.groups)
                and (members is None or entry.hotline.id in members))

    if dest.carrier is not None:
        for hotline_id in usage.oldest_first(dest.carrier):
            entry = catalogue.entries.get(hotline_id)
            if usable(entry):
                reasons.append(f"{entry.hotline.number} ({hotline_id}) is the least recently used "
                               f"permitted {dest.carrier} hotline")
                return CallerIdDecision(dest, entry.hotline, tuple(reasons), None, adaptive_id,
                                        entry.hotline.record_calls or record_adaptive)
        reasons.append(f"no permitted {dest.carrier} hotline")
    else:
        reasons.append("the destination has no mobile carrier to match")
    if adaptive is not None and adaptive.fallback_hotline_id is not None:
        fallback = catalogue.entries.get(adaptive.fallback_hotline_id)
        if fallback is not None and fallback.can_call_out and fallback.permits(agent.groups):
            reasons.append(f"using the fallback hotline {fallback.hotline.number} ({fallback.hotline.id})")
            return CallerIdDecision(dest, fallback.hotline, tuple(reasons), None, adaptive_id,
                                    fallback.hotline.record_calls or record_adaptive)
        reasons.append(f"the fallback hotline {adaptive.fallback_hotline_id} is not permitted")
    candidates = [e.hotline for entries in catalogue.by_carrier.values() for e in entries if usable(e)]
    if not candidates:
        return _refuse(dest, reasons, NO_PERMITTED_HOTLINE,
                       "no hotline allows this agent to call out", adaptive_id)
    chosen = chooser.choice(candidates)
    reasons.append(f"picked {chosen.number} ({chosen.id}) at random among {len(candidates)} permitted hotlines")
    return CallerIdDecision(dest, chosen, tuple(reasons), None, adaptive_id,
                            chosen.record_calls or record_adaptive)


def _refuse(dest: NumberInfo, reasons: list[str], code: str, why: str,
            adaptive_id: str | None = None) -> CallerIdDecision:
    reasons.append(why)
    return CallerIdDecision(dest, None, tuple(reasons), code, adaptive_id)


def _describe(info: NumberInfo) -> str:
    if info.type == "mobile":
        suffix = " (ported)" if info.ported else ""
        return f"a {info.carrier} mobile{suffix}"
    return {"fixed": "a fixed line", "toll_free": "a toll-free number", "premium": "a premium number",
            "foreign": "a foreign number"}.get(info.type, info.type)
