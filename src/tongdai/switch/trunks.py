"""The health of each trunk, owned by the switch (SIP thread): an OPTIONS every `interval` seconds to
each trunk's address; any answer makes it `up`, no answer within `timeout` seconds (or an INVITE the
carrier never answered) makes it `down`. A call through a trunk that is down is refused at once as
`carrier_unreachable` instead of waiting half a minute; the next answer brings the trunk back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain.directory import Directory
from ..domain.timestamps import iso

log = logging.getLogger("tongdai.trunks")

UNKNOWN, UP, DOWN = "unknown", "up", "down"


@dataclass
class TrunkHealth:
    state: str = UNKNOWN
    since: datetime | None = None
    last_answer: datetime | None = None
    last_status: int | None = None
    asked_at: float | None = None  # monotonic time of the OPTIONS awaiting its answer


class TrunkMonitor:
    def __init__(self, send_options: Callable[[str, int, Callable[[int], None]], bool], *, interval: float = 30.0,
                 timeout: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.send_options = send_options
        self.interval, self.timeout, self.clock = interval, timeout, clock
        self.health: dict[str, TrunkHealth] = {}
        self._next_round = 0.0

    def tick(self, directory: Directory) -> None:
        """SIP thread, from the switch's tick: judge the silent, and send a new round when it is due."""
        now = self.clock()
        for trunk_id in list(self.health):
            if trunk_id not in directory.trunks:
                del self.health[trunk_id]
        for trunk_id, h in self.health.items():
            if h.asked_at is not None and now - h.asked_at > self.timeout:
                h.asked_at = None
                self._set(trunk_id, h, DOWN, f"no answer to OPTIONS within {self.timeout:.0f} s")
        if self.interval <= 0 or now < self._next_round:
            return
        self._next_round = now + self.interval
        for trunk in directory.trunks.values():
            h = self.health.setdefault(trunk.id, TrunkHealth())
            if h.asked_at is not None:
                continue
            try:
                if self.send_options(trunk.host, trunk.port, self._answer_for(trunk.id)):
                    h.asked_at = now
            except Exception:  # a check must never stop the switch's timers
                log.exception("trunk %s: the OPTIONS check could not be sent", trunk.id)

    def _answer_for(self, trunk_id: str) -> Callable[[int], None]:
        return lambda status: self.answered(trunk_id, status)

    def answered(self, trunk_id: str, status: int) -> None:
        h = self.health.get(trunk_id)
        if h is None:
            return
        if status == 408 and h.asked_at is None:  # sippy's own timeout of an OPTIONS already judged
            return
        h.asked_at = None
        if status == 408:
            self._set(trunk_id, h, DOWN, "no answer to OPTIONS")
            return
        h.last_answer, h.last_status = datetime.now(UTC), status
        self._set(trunk_id, h, UP, f"answered OPTIONS with {status}")

    def unanswered_invite(self, trunk_id: str) -> None:
        """A call's INVITE got no answer at all from the carrier."""
        h = self.health.setdefault(trunk_id, TrunkHealth())
        self._set(trunk_id, h, DOWN, "an INVITE got no answer")

    def reachable(self, trunk_id: str) -> bool:
        h = self.health.get(trunk_id)
        return h is None or h.state != DOWN

    def view(self) -> dict[str, dict[str, Any]]:
        return {tid: {"state": h.state, "since": iso(h.since) if h.since else None,
                      "last_answer": iso(h.last_answer) if h.last_answer else None, "last_status": h.last_status}
                for tid, h in self.health.items()}

    def _set(self, trunk_id: str, h: TrunkHealth, state: str, why: str) -> None:
        if h.state == state:
            return
        (log.warning if state == DOWN else log.info)("trunk %s is %s: %s", trunk_id, state, why)
        h.state, h.since = state, datetime.now(UTC)
