"""Responses both HTTP adapters (the API and the portal) send."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool


def csv_response(rows: Iterator[str], filename: str) -> StreamingResponse:
    """CSV streamed as it is read (the iterator runs in the thread pool: it reads the database)."""
    return StreamingResponse(iterate_in_threadpool(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
