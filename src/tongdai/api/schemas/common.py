"""Types and sizes every request and response body shares; the product's rules live in domain/."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ...domain.timestamps import iso

# Every timestamp the API returns: ISO 8601 in UTC with milliseconds, `2026-11-27T09:00:00.000Z`.
Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-11-27T09:00:00.000Z"})]

Text = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
LongText = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")]
Ref = Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")]
Seconds = Annotated[int, Field(ge=-(2**31), le=2**31)]
NumberText = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")]
LineType = Literal["local", "mobile", "toll_free"]
Carrier = Literal["viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "itelecom", "reddi"]
Country = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")]


def left_out() -> Any:
    """The default of a PATCH field that may not be null. A field left out keeps its value (bodies
    are read with `exclude_unset`, so this default never reaches a service); an explicit null is
    refused by the field's own type."""
    return None


class In(BaseModel):
    """Request bodies refuse unknown fields. In PATCH bodies a field left out keeps its value, and only
    the fields that may be empty accept null."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel):
    total: int


class KeyOut(BaseModel):
    key: str
