"""Writer threads take work in batches: wait for one item, then take what else is already queued."""

from __future__ import annotations

import queue


def next_batch(pending: queue.SimpleQueue, limit: int) -> tuple[list, bool]:
    """Up to `limit` items, blocking for the first; and whether the stop marker (None) was among them."""
    batch = [pending.get()]
    while len(batch) < limit:
        try:
            batch.append(pending.get_nowait())
        except queue.Empty:
            break
    return [item for item in batch if item is not None], None in batch
