"""Logging for every process: text for a terminal (the default) or one JSON object a line
(`TONGDAI_LOG_FORMAT=json`), for tongdai's loggers and uvicorn's alike. A call's and a registration's
lines carry `call_id`, `tenant_id`, `agent_id` (in JSON as fields, in text as `key=value` in the message);
every line logged while an HTTP request is handled carries its `request_id`."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
FIELDS = ("call_id", "tenant_id", "agent_id", "request_id")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} request_id={request_id}" if request_id else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str = "text") -> None:
    """One handler on the root logger (stderr); uvicorn's loggers propagate to it (run it with
    `log_config=None`). tongdai's own messages are logged at INFO."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def call_fields(call_id: str, tenant_id: str | None, agent_id: str | None) -> dict[str, Any]:
    """`extra=` for a call's log line."""
    return {"call_id": call_id, "tenant_id": tenant_id, "agent_id": agent_id}


class RequestIds:
    """ASGI middleware: every HTTP request gets an id (the caller's `X-Request-Id` if it is a plain token,
    else a new one), set for the log lines made while it is handled and sent back as `X-Request-Id`."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)

        async def tagged(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)
        try:
            await self.app(scope, receive, tagged)
        finally:
            REQUEST_ID.reset(token)
