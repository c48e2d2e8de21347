"""The outbound caller-ID decision: which hotline an agent's call to a customer goes out on, and why.

A pure function of the agent, the destination, what the agent asked for, the tenant's hotlines and
their recent use. Randomness is passed in, so every decision can be replayed in a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

from .model import ALL_GROUPS, AdaptiveNumber, DestinationPolicy, Hotline
from .numbers import NumberInfo, classify

_T = TypeVar("_T")
INVALID_DESTINATION = "invalid_destination"
HOTLINE_OUTBOUND_DISABLED = "hotline_outbound_disabled"
VIRTUAL_CANNOT_CALL_OUT = "virtual_cannot_call_out"
GROUP_NOT_PERMITTED = "group_not_permitted"
NO_PERMITTED_HOTLINE = "no_permitted_hotline"
UNKNOWN_CALLER = "unknown_caller"
DESTINATION_NOT_ALLOWED = "destination_not_allowed"



class Chooser(Protocol):
    """Picks one item of a list (random.Random does; tests pass a fixed one)."""

    def choice(self, seq: Sequence[_T]) -> _T: ...


@dataclass(frozen=True, slots=True)
class CallingAgent:
    id: str
    groups: frozenset[str]
    default_caller_id: str | None = None


class CallerIdDecision(NamedTuple):
    """Either a hotline (with `record`) or a refusal `code`; `reasons` explain it either way.

    A named tuple: the switch makes one per outbound call, and a tuple is the cheapest record to build.
    The explanation is kept as (template, arguments…) tuples and only turned into text when read.
    """

    destination: NumberInfo
    hotline: Hotline | None
    trail: tuple[tuple, ...]
    code: str | None = None
    adaptive_number_id: str | None = None
    record: bool = False

    @property
    def refused(self) -> bool:
        return self.hotline is None

    @property
    def reasons(self) -> tuple[str, ...]:
        d = self.destination
        first = (f"destination {d.input!r} is invalid: {d.reason}" if not d.valid
                 else f"destination {d.e164} is {_describe(d)}")
        return (first,) + tuple(template.format(*args) for template, *args in self.trail)


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
        self.outbound_entries: list[_Entry] = []
        for hotline in hotlines:
            entry = _Entry(hotline)
            self.entries[hotline.id] = entry
            self.by_number[hotline.number] = entry
            if entry.can_call_out:
                self.outbound_entries.append(entry)
        self.adaptive: dict[str, AdaptiveNumber] = {a.id: a for a in adaptive_numbers}
        self.members = {a.id: frozenset(a.members) for a in self.adaptive.values() if a.members}
        # each member list split by carrier, keeping only the hotlines that can call out at all
        self.members_by_carrier: dict[str, dict[str | None, list[_Entry]]] = {}
        for adaptive_id, ids in self.members.items():
            split: dict[str | None, list[_Entry]] = {}
            for hotline_id in sorted(ids):
                member = self.entries.get(hotline_id)
                if member is not None and member.can_call_out:
                    split.setdefault(member.hotline.carrier, []).append(member)
            self.members_by_carrier[adaptive_id] = split

    def outbound_hotlines(self) -> list[Hotline]:
        """Hotlines that can call out at all: the only ones a usage tracker needs to order."""
        return [e.hotline for e in self.outbound_entries]


class HotlineUsage:
    """When each hotline last carried an outbound call: least recently used first, per carrier.

    Hotlines never used count as the oldest. Owned by whoever places calls; the decision only reads.
    Two views of the same facts: an ordered dict per carrier (oldest first, to scan a carrier's
    hotlines) and a use stamp per hotline (to pick the oldest of an adaptive number's members).
    """

    def __init__(self) -> None:
        self._order: dict[str | None, dict[str, None]] = {}
        self._stamp: dict[str, int] = {}
        self._clock = 0

    @classmethod
    def from_times(cls, hotlines: Iterable[Hotline], last_used: Mapping[str, float]) -> HotlineUsage:
        usage = cls()
        for h in sorted(hotlines, key=lambda h: (h.id in last_used, last_used.get(h.id, 0.0))):
            usage.touch(h) if h.id in last_used else usage.track(h)
        return usage

    def track(self, hotline: Hotline) -> None:
        """Make a hotline known (as never used) if it is not yet."""
        if hotline.id not in self._stamp:
            self._stamp[hotline.id] = -1
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
        self._clock += 1
        self._stamp[hotline.id] = self._clock

    def oldest_first(self, carrier: str | None) -> Iterable[str]:
        return self._order.get(carrier, {})

    def stamp(self, hotline_id: str) -> int:
        """Larger is more recent; -1 for never used (or unknown)."""
        return self._stamp.get(hotline_id, -1)


def choose_caller_id(*, catalogue: Catalogue, usage: HotlineUsage, agent: CallingAgent,
                     destination: str | NumberInfo, requested: str | None, chooser: Chooser,
                     ported: Mapping[str, str] | None = None,
                     policy: DestinationPolicy | None = None) -> CallerIdDecision:
    """Pick the hotline for this agent's call to `destination`, or refuse with a stable code.
    `policy` is the tenant's destination policy (None: every valid destination)."""
    dest = destination if isinstance(destination, NumberInfo) else classify(destination, ported)
    if not dest.valid:
        return CallerIdDecision(dest, None, (), INVALID_DESTINATION)
    trail: list[tuple] = []
    refused = policy.refuses(dest) if policy is not None else None
    if refused is not None:
        return _refuse(dest, trail, DESTINATION_NOT_ALLOWED, (refused,))
    wanted = requested
    if wanted is None:
        wanted = agent.default_caller_id
        if wanted is not None:
            trail.append(("no caller requested: using the agent's default {}", wanted))
    if wanted is None:
        trail.append(("no caller requested and no default: choosing among every permitted hotline",))
        return _adaptive(catalogue, usage, agent, dest, None, chooser, trail)
    adaptive = catalogue.adaptive.get(wanted)
    if adaptive is not None:
        trail.append(("adaptive number {!r} ({})", adaptive.name, adaptive.id))
        if not adaptive.outbound_enabled:
            return _refuse(dest, trail, HOTLINE_OUTBOUND_DISABLED,
                           ("adaptive number {} does not allow outbound calls", adaptive.id))
        return _adaptive(catalogue, usage, agent, dest, adaptive, chooser, trail)
    entry = catalogue.entries.get(wanted) or catalogue.by_number.get(wanted)
    if entry is None:
        return _refuse(dest, trail, UNKNOWN_CALLER, ("no hotline or adaptive number {!r}", wanted))
    hotline = entry.hotline
    trail.append(("hotline {} ({}) requested", hotline.number, hotline.id))
    if hotline.number_type == "virtual":
        return _refuse(dest, trail, VIRTUAL_CANNOT_CALL_OUT, ("virtual numbers cannot call out",))
    if not hotline.outbound_enabled:
        return _refuse(dest, trail, HOTLINE_OUTBOUND_DISABLED,
                       ("hotline {} does not allow outbound calls", hotline.id))
    if not entry.permits(agent.groups):
        return _refuse(dest, trail, GROUP_NOT_PERMITTED,
                       ("none of the agent's groups may call out on {}", hotline.id))
    trail.append(("outbound allowed and one of the agent's groups is permitted",))
    return CallerIdDecision(dest, hotline, tuple(trail), None, None, hotline.record_calls)


def _adaptive(catalogue: Catalogue, usage: HotlineUsage, agent: CallingAgent, dest: NumberInfo,
              adaptive: AdaptiveNumber | None, chooser: Chooser, trail: list[tuple]) -> CallerIdDecision:
    """Same carrier first (least recently used), then the permitted fallback, then a random one."""
    adaptive_id = adaptive.id if adaptive is not None else None
    members = catalogue.members.get(adaptive_id) if adaptive_id is not None else None
    record_adaptive = adaptive.record_calls if adaptive is not None else False
    groups = agent.groups

    def usable(entry: _Entry | None) -> bool:
        return (entry is not None and entry.can_call_out and entry.permits(groups)
                and (members is None or entry.hotline.id in members))

    def chosen(entry: _Entry) -> CallerIdDecision:
        return CallerIdDecision(dest, entry.hotline, tuple(trail), None, adaptive_id,
                                entry.hotline.record_calls or record_adaptive)

    if dest.carrier is not None:
        best = _least_recently_used(catalogue, usage, dest.carrier, adaptive_id, usable)
        if best is not None:
            trail.append(("{} ({}) is the least recently used permitted {} hotline",
                          best.hotline.number, best.hotline.id, dest.carrier))
            return chosen(best)
        trail.append(("no permitted {} hotline", dest.carrier))
    else:
        trail.append(("the destination has no mobile carrier to match",))
    if adaptive is not None and adaptive.fallback_hotline_id is not None:
        fallback = catalogue.entries.get(adaptive.fallback_hotline_id)
        if fallback is not None and fallback.can_call_out and fallback.permits(groups):
            trail.append(("using the fallback hotline {} ({})", fallback.hotline.number, fallback.hotline.id))
            return chosen(fallback)
        trail.append(("the fallback hotline {} is not permitted", adaptive.fallback_hotline_id))
    pick = _random_usable(catalogue, members, usable, chooser)
    if pick is None:
        return _refuse(dest, trail, NO_PERMITTED_HOTLINE, ("no hotline allows this agent to call out",),
                       adaptive_id)
    trail.append(("picked {} ({}) at random among the permitted hotlines", pick.hotline.number, pick.hotline.id))
    return chosen(pick)


def _least_recently_used(catalogue: Catalogue, usage: HotlineUsage, carrier: str, adaptive_id: str | None,
                         usable: Callable[[_Entry | None], bool]) -> _Entry | None:
    """The oldest usable hotline of a carrier: for an adaptive number with members, the oldest of its
    members on that carrier (by use stamp); otherwise the first usable one in the carrier's usage order."""
    split = catalogue.members_by_carrier.get(adaptive_id) if adaptive_id is not None else None
    if split is not None:
        candidates = [e for e in split.get(carrier, ()) if usable(e)]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        stamp = usage.stamp
        return min(candidates, key=lambda e: stamp(e.hotline.id))
    for hotline_id in usage.oldest_first(carrier):
        entry = catalogue.entries.get(hotline_id)
        if usable(entry):
            return entry
    return None


def _random_usable(catalogue: Catalogue, members: frozenset[str] | None,
                   usable: Callable[[_Entry | None], bool], chooser: Chooser) -> _Entry | None:
    """A uniformly random usable hotline. Draw from the pool and reject unusable ones a few times
    (still uniform over the usable ones, and cheap when most are usable); list them all only if that
    fails."""
    if members is not None:
        pool = [catalogue.entries[i] for i in sorted(members) if i in catalogue.entries]
    else:
        pool = catalogue.outbound_entries
    if not pool:
        return None
    for _ in range(16):
        entry = chooser.choice(pool)
        if usable(entry):
            return entry
    candidates = [e for e in pool if usable(e)]
    return chooser.choice(candidates) if candidates else None


def _refuse(dest: NumberInfo, trail: list[tuple], code: str, why: tuple,
            adaptive_id: str | None = None) -> CallerIdDecision:
    trail.append(why)
    return CallerIdDecision(dest, None, tuple(trail), code, adaptive_id)


def _describe(info: NumberInfo) -> str:
    if info.type == "mobile":
        suffix = " (ported)" if info.ported else ""
        return f"a {info.carrier} mobile{suffix}"
    return {"fixed": "a fixed line", "toll_free": "a toll-free number", "premium": "a premium number",
            "foreign": "a foreign number"}.get(info.type, info.type)
