"""Caps on outbound calls (toll-fraud control): concurrent calls and calls started per minute, per
agent, per tenant and per trunk. Pure: the caller passes the time; the switch owns one instance."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

TOO_MANY_CALLS = "too_many_calls"
CALL_RATE_EXCEEDED = "call_rate_exceeded"
KINDS = ("agent", "tenant", "trunk")


@dataclass(frozen=True)
class Caps:
    """0 means no cap."""

    concurrent: dict[str, int] = field(default_factory=dict)  # kind -> calls at once
    per_minute: dict[str, int] = field(default_factory=dict)  # kind -> calls started in any 60 s


class CallLimits:
    def __init__(self, caps: Caps):
        self.caps = caps
        self.active: dict[tuple[str, str], int] = {}
        self.started: dict[tuple[str, str], deque[float]] = {}

    def admit(self, keys: tuple[tuple[str, str], ...], now: float) -> tuple[str, str] | None:
        """Count a call that starts for these (kind, id) keys, or refuse it: (code, why)."""
        for kind, key in keys:
            cap = self.caps.concurrent.get(kind, 0)
            if cap and self.active.get((kind, key), 0) >= cap:
                return TOO_MANY_CALLS, f"the {kind} already has {cap} calls up"
            rate = self.caps.per_minute.get(kind, 0)
            if rate:
                window = self.started.setdefault((kind, key), deque())
                while window and window[0] <= now - 60:
                    window.popleft()
                if len(window) >= rate:
                    return CALL_RATE_EXCEEDED, f"the {kind} started {rate} calls within a minute"
        for kind, key in keys:
            self.active[(kind, key)] = self.active.get((kind, key), 0) + 1
            if self.caps.per_minute.get(kind, 0):
                self.started.setdefault((kind, key), deque()).append(now)
        return None

    def ended(self, keys: tuple[tuple[str, str], ...]) -> None:
        for key in keys:
            left = self.active.get(key, 0) - 1
            if left > 0:
                self.active[key] = left
            else:
                self.active.pop(key, None)
