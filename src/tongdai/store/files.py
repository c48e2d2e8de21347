"""Where recording files live: one small interface (`RecordingFiles`), so an S3-compatible store can be
added without touching the rest (docs/decisions.md names the library), and its local-disk form."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class RecordingFiles(Protocol):
    def put(self, source: Path, key: str) -> int:
        """Take the finished file `source` (moved, not copied) as `key`; its size in bytes."""

    def open(self, key: str) -> BinaryIO:
        """The file for reading (seekable); FileNotFoundError if it is gone."""

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove it; a file already gone is not an error."""


class LocalFiles:
    """Files under a directory of this machine (`$TONGDAI_DATA_DIR/recordings` by default)."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"not a recording key: {key!r}")
        return self.root / key

    def put(self, source: Path, key: str) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError:  # another file system: copy, then drop the source
            partial = target.with_name(target.name + ".part")
            shutil.copyfile(source, partial)
            os.replace(partial, target)
            source.unlink(missing_ok=True)
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
