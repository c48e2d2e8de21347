"""What every call object of the switch shares: where a placed leg goes, and SDP through rtpengine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain.calls import CallRecord, LegState
from ..media.rtpengine import MediaWorker
from ..sip.headers import refusal

log = logging.getLogger("tongdai.switch")


@dataclass(frozen=True)
class Destination:
    """Where and how a leg tongdai places goes."""

    host: str
    port: int
    called: str  # user part of the Request-URI
    calling: str  # user part of From
    calling_name: str | None = None
    username: str | None = None  # credentials for a carrier's challenge
    password: str | None = None
    extra_headers: tuple = ()


def utcnow() -> datetime:
    return datetime.now(UTC)


class CallObject:
    """What every call object of the switch (BridgedCall, QueuedCall) has: its record, of which it is
    the only writer, its leg state, its call in rtpengine, and where its steps go (the call log)."""

    record: CallRecord
    state: LegState
    media: MediaWorker
    media_call_id: str
    on_update: Callable[[CallRecord, str], None]

    def finish(self, reason: str, by: str | None, status: int | None = None) -> None:
        """End the call once: the record is closed, rtpengine frees the media, the call log hears of it."""
        if self.state is LegState.ENDED:
            return
        self.state = LegState.ENDED
        self.record.end(utcnow(), status=status, reason=reason, by=by)
        self.media.delete(self.media_call_id)
        self.on_update(self.record, "call.ended")


def through_rtpengine(media: MediaWorker, body: Any, done: Callable[[Any], None], *, call_id: str,
                      from_tag: str, to_tag: str | None = None) -> None:
    """Replace a leg's SDP with rtpengine's (an offer, or with `to_tag` the answer of that leg) off the
    SIP thread; sippy holds the event until `done(body)`. If rtpengine fails, the call goes on with
    the original SDP (media then bypasses it)."""
    sdp = str(body.content) if body.parsed else body.content

    def rewritten(new_sdp: str) -> None:
        body.content, body.parsed, body.needs_update = new_sdp, False, False
        done(body)

    def failed(_exc: Exception) -> None:
        done(body)

    if to_tag is None:
        media.offer(call_id, from_tag, sdp, rewritten, failed)
    else:
        media.answer(call_id, from_tag, to_tag, sdp, rewritten, failed)


def refuse_call(publish: Callable[[CallRecord, str], None], req: Any, record: CallRecord, status: int,
                reason: str, code: str, why: str) -> tuple:
    """Refuse a call with a machine code (Reason, Warning), and keep it in the call log."""
    record.refuse(utcnow(), status)
    publish(record, "call.started")
    publish(record, "call.ended")
    log.info("call %s refused: %s (%s)", record.id, code, why)
    return (refusal(req, status, reason, code, why), None, None)
