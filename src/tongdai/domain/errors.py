"""Errors as values an admin can act on: each names a field and carries a stable code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    code: str
    message: str


class DomainError(Exception):
    """Base of every refusal the domain or the services raise on purpose."""


class RuleViolation(DomainError):
    """One or more rules refused the input; nothing was changed."""

    def __init__(self, violations: list[Violation] | Violation):
        if isinstance(violations, Violation):
            violations = [violations]
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.field}: {v.message}" for v in self.violations))


class NotFound(DomainError):
    def __init__(self, kind: str, object_id: str):
        self.kind, self.object_id = kind, object_id
        super().__init__(f"{kind} {object_id!r} not found")


class InUse(DomainError):
    """A delete refused because other objects still refer to this one."""

    def __init__(self, kind: str, object_id: str, used_by: list[str]):
        self.kind, self.object_id, self.used_by = kind, object_id, used_by
        super().__init__(f"{kind} {object_id!r} is still used by {', '.join(used_by)}")


class Forbidden(DomainError):
    def __init__(self, message: str = "this key may not do that"):
        super().__init__(message)


def collect(violations: list[Violation]) -> None:
    """Raise every gathered violation at once, so the admin sees all problems in one answer."""
    if violations:
        raise RuleViolation(violations)
