"""Domain objects to response dictionaries (response models then drop what is not public)."""

import dataclasses
from typing import Any


def view(obj: Any, **extra: Any) -> dict[str, Any]:
    data = dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) and not isinstance(obj, type) else dict(obj)
    return {**{k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}, **extra}
