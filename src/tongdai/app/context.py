"""What an entry point (the API, later the portal) needs, built once by the composition root: units
of work that tell the running switch about configuration changes, the key cache, caller-ID usage,
the event bus, the live switch when one runs, and the webhook dispatcher."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain.model import Prompt
from ..store.uow import OnCommit, UnitOfWork
from .events import EventBus
from .health import Health
from .live import LiveSwitch
from .security import KeyFailures, VerifiedKeyCache
from .services.caller_id import CallerIdUsage
from .webhooks import WebhookTargets
from .widget import WidgetCredentials


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    engine: Any
    keys: VerifiedKeyCache = field(default_factory=VerifiedKeyCache)
    key_failures: KeyFailures = field(default_factory=KeyFailures)
    # portal sign-ins: 5 wrong passwords from one address, or for one email, within 5 minutes block it 5 minutes
    sign_in_failures: KeyFailures = field(default_factory=lambda: KeyFailures(
        limit=5, window_s=300, block_s=300, what="portal: failed sign-ins"))
    usage: CallerIdUsage = field(default_factory=CallerIdUsage)
    clock: Callable[[], datetime] = _utcnow
    rng: random.Random = field(default_factory=random.Random)
    bus: EventBus = field(default_factory=EventBus)
    live: LiveSwitch | None = None  # the running switch, when `tongdai serve` runs one
    webhooks: Any = None  # the webhook dispatcher, while the app runs
    webhook_targets: WebhookTargets = field(default_factory=WebhookTargets)  # where webhooks may be delivered
    prompt_audio: Callable[[Prompt, bytes | None], bytes] | None = None  # a prompt as callers hear it (WAV)
    audio_upload: Callable[[bytes], tuple[bytes, int]] | None = None  # an uploaded file as rtpengine plays it
    on_commit: OnCommit | None = None  # configuration changed in this process
    health: Health | None = None  # what /health reports (the database alone when not set)
    widget: WidgetCredentials | None = None  # the call widget's SIP credentials (when the switch takes them)
    embed_origins: tuple[str, ...] = ()  # other sites' pages that may frame the call widget
    recording_files: Any = None  # where recordings are stored (store.files.RecordingFiles)
    recording_retention_days: float = 90.0  # the server's default retention (TONGDAI_RECORDING_RETENTION_DAYS)
    metrics: Any = None  # app.metrics.Metrics, served at /metrics
    metrics_token: str = ""  # TONGDAI_METRICS_TOKEN: empty, loopback clients only

    def __post_init__(self) -> None:
        if self.health is None:
            self.health = Health(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, on_commit=self.on_commit)
