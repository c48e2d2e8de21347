"""Number classification with the ported-number tables, and their CSV upload."""

from __future__ import annotations

import csv
import io

from ...domain.errors import RuleViolation, Violation
from ...domain.numbering_plan import CARRIERS
from ...domain.numbers import MOBILE, NumberInfo, classify
from ...store.uow import UnitOfWork

OPERATOR_SCOPE = "operator"
MAX_ERRORS = 20


def ported_table(uow: UnitOfWork, tenant_id: str | None) -> dict[str, str]:
    """The operator's ported numbers, overridden by the tenant's own where both list a number."""
    table = uow.ported.table(OPERATOR_SCOPE)
    if tenant_id is not None:
        table.update(uow.ported.table(tenant_id))
    return table


def classify_number(uow: UnitOfWork, *, raw: str, tenant_id: str | None) -> NumberInfo:
    return classify(raw, ported_table(uow, tenant_id))


def parse_ported_csv(text: str) -> list[tuple[str, str]]:
    """Rows `number,carrier` (a header row is allowed); any bad row rejects the whole file."""
    rows: list[tuple[str, str]] = []
    errors: list[Violation] = []
    seen: dict[str, int] = {}
    for line_no, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if line_no == 1 and cells[0].strip().lower() in ("number", "e164", "phone", "msisdn"):
            continue
        field = f"lines[{line_no}]"
        if len(cells) != 2:
            errors.append(Violation(field, "invalid_row", f"line {line_no}: expected 2 columns, number,carrier"))
        else:
            info = classify(cells[0])
            carrier = cells[1].strip().lower()
            if info.type != MOBILE or info.e164 is None:
                errors.append(Violation(field, "invalid_number",
                                        f"line {line_no}: {cells[0]!r} is not a Vietnamese mobile number"))
            elif carrier not in CARRIERS:
                errors.append(Violation(field, "invalid_carrier",
                                        f"line {line_no}: {cells[1]!r} is not one of {', '.join(CARRIERS)}"))
            elif info.e164 in seen:
                errors.append(Violation(field, "duplicate",
                                        f"line {line_no}: {info.e164} is already on line {seen[info.e164]}"))
            else:
                seen[info.e164] = line_no
                rows.append((info.e164, carrier))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise RuleViolation(errors)
    return rows


def replace_ported(uow: UnitOfWork, *, scope: str, text: str) -> int:
    """Replace one scope's ported table atomically with the rows of a CSV file."""
    rows = parse_ported_csv(text)
    uow.ported.replace(scope, rows)
    return len(rows)
