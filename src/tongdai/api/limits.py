"""Request bodies are bounded before anything reads them (finding D6): a declared length over the
route's limit is refused at once, a streamed body is cut off when it passes it, and a body sent
without any credentials is refused without being read."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException

JSON_LIMIT = 1024 * 1024  # every JSON route
LIMITS = {"/api/v1/audio": 6 * 1024 * 1024,  # a 5 MiB prompt and its multipart wrapping
          "/ivr/audio": 6 * 1024 * 1024,  # the same upload from the portal
          "/api/v1/ported-numbers": 64 * 1024 * 1024 + 4096}  # the ported-number CSV


class BodyLimit:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = LIMITS.get(scope["path"], JSON_LIMIT)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        has_body = (length is not None and length != b"0") or b"chunked" in headers.get(b"transfer-encoding", b"")
        if has_body and b"authorization" not in headers and scope["path"].startswith("/api/v1/"):
            await _problem(send, 401, "unauthenticated", "authorization", "an API key is required",
                           {"www-authenticate": "Bearer"})
            return
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _problem(send, 413, "too_large", "body", f"the body may be at most {limit} bytes")
            return
        received = 0

        async def bounded() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"the body may be at most {limit} bytes")
            return message

        await self.app(scope, bounded, send)


async def _problem(send: Any, status: int, code: str, field: str, message: str,
                   extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"type": f"https://tongdai.dev/problems/{code.replace('_', '-')}", "title": message,
                       "status": status, "detail": message,
                       "errors": [{"field": field, "code": code, "message": message}]}).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
