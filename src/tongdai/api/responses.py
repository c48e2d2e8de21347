"""Responses both HTTP adapters (the API and the portal) send."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool


def csv_response(rows: Iterator[str], filename: str) -> StreamingResponse:
    """CSV streamed as it is read (the iterator runs in the thread pool: it reads the database)."""
    return StreamingResponse(iterate_in_threadpool(rows), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
CHUNK = 64 * 1024


def audio_response(files: Any, key: str, fmt: str, range_header: str | None, filename: str) -> Response:
    """A stored recording, whole (200) or the one byte range asked (206, so a browser's `<audio>` can
    seek); a range outside the file is 416 with the file's size."""
    size = files.size(key)
    start, end, status = 0, size - 1, 200
    if range_header:
        found = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", range_header)
        if found is None or (not found.group(1) and not found.group(2)):
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        if found.group(1):
            start = int(found.group(1))
            end = min(int(found.group(2)), size - 1) if found.group(2) else size - 1
        else:  # the last N bytes
            start = max(0, size - int(found.group(2)))
        if start >= size or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206

    def chunks() -> Iterator[bytes]:
        with files.open(key) as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(CHUNK, left))
                if not data:
                    return
                left -= len(data)
                yield data

    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1),
               "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=3600"}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(iterate_in_threadpool(chunks()), status_code=status, headers=headers,
                             media_type=AUDIO_TYPES.get(fmt, "application/octet-stream"))
