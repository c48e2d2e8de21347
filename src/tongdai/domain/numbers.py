"""Dialled numbers: normalise to E.164, classify, and find the carrier of Vietnamese mobiles.

Policy for the ambiguous inputs (see docs/decisions.md):
- nine digits that start with a mobile network code are a mobile that lost its leading 0;
- a trunk 0 written after the country code (`+84 0912…`, `+84 (0) 912…`) is dropped;
- `84` followed by at least ten digits is the country code, so `84 84x…` is a Vinaphone 084 number,
  while nine digits starting with 84 are the 084 number itself without its 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import phonenumbers

from .numbering_plan import (
    BIG_CITY_AREA_CODES,
    DEAD_MOBILE_CODES,
    MOBILE_NETWORK_CODES,
    PROVINCE_AREA_CODES,
    SERVICE_PREFIXES,
)

MOBILE, FIXED, TOLL_FREE, PREMIUM, FOREIGN, INVALID = (
    "mobile", "fixed", "toll_free", "premium", "foreign", "invalid",
)
NUMBER_TYPES = (MOBILE, FIXED, TOLL_FREE, PREMIUM, FOREIGN, INVALID)

# Separators people put in numbers; every other character must be a digit or one leading '+'.
_SEPARATORS = {ord(c): None for c in " .-()\t\u00a0\u2009\u202f\u3000\r\n"}
_MAX_INPUT = 64


class NumberInfo(NamedTuple):
    """What a dialled string is. `e164` and `carrier` are None when unknown or not applicable.

    A named tuple rather than a dataclass: classification runs on every call and a tuple is the
    cheapest immutable record Python builds.
    """

    input: str
    e164: str | None
    type: str
    carrier: str | None = None
    reason: str = ""
    ported: bool = False

    @property
    def valid(self) -> bool:
        return self.type != INVALID


def _invalid(raw: str, reason: str) -> NumberInfo:
    return NumberInfo(raw, None, INVALID, None, reason)


def classify(raw: str, ported: Mapping[str, str] | None = None) -> NumberInfo:
    """Classify one dialled number; `ported` maps E.164 -> carrier and overrides the prefix."""
    if len(raw) > _MAX_INPUT:
        return _invalid(raw, "too long to be a phone number")
    digits = raw.strip()
    if not digits.isdigit():  # chained replace() is three times cheaper than translate() here
        digits = digits.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
    plus = digits.startswith("+")
    if plus:
        digits = digits[1:]
    if not (digits.isdigit() and digits.isascii()):
        digits = digits.translate(_SEPARATORS)  # tabs, non-breaking and other unusual spaces
        if not (digits.isdigit() and digits.isascii()):
            return _invalid(raw, _why_not_digits(digits))

    after_country_code = True
    if plus:
        if not digits.startswith("84"):
            return _foreign(raw, digits)
        nsn = digits[2:]
    elif digits.startswith("00"):
        if not digits.startswith("0084"):
            return _foreign(raw, digits[2:])
        nsn = digits[4:]
    elif digits.startswith("0"):
        nsn, after_country_code = digits[1:], False
    elif digits.startswith("84") and len(digits) >= 10:
        nsn = digits[2:]
    else:
        nsn, after_country_code = digits, False
    if after_country_code and nsn.startswith("0"):
        nsn = nsn[1:]
    return _classify_national(raw, nsn, trunk_zero=digits.startswith("0") and not after_country_code,
                              ported=ported)


def _classify_national(raw: str, nsn: str, *, trunk_zero: bool,
                       ported: Mapping[str, str] | None) -> NumberInfo:
    n = len(nsn)
    if n == 9:
        carrier = MOBILE_NETWORK_CODES.get(nsn[:2])
        if carrier is not None:
            e164 = "+84" + nsn
            if ported:
                moved = ported.get(e164)
                if moved is not None:
                    return NumberInfo(raw, e164, MOBILE, moved, "", moved != carrier)
            return NumberInfo(raw, e164, MOBILE, carrier)
    head = nsn[:1]
    if head == "2":
        return _fixed(raw, nsn)
    if head == "1":
        kind = SERVICE_PREFIXES.get(nsn[:4])
        if kind is not None:
            if trunk_zero:
                return _invalid(raw, f"{nsn[:4]} numbers are dialled without a leading 0")
            if n in (8, 10):
                return NumberInfo(raw, "+84" + nsn, kind)
            return _invalid(raw, f"{nsn[:4]} takes 4 or 6 more digits")
        if nsn[:3] in DEAD_MOBILE_CODES:
            return _invalid(raw, f"0{nsn[:3]} is an 11-digit mobile code, dead since 2019")
    if n == 9:
        return _invalid(raw, f"0{nsn[:2]} is not an assigned mobile network code")
    if n in (8, 10) and nsn[:2] in MOBILE_NETWORK_CODES:
        return _invalid(raw, "wrong length: a mobile number has 10 digits with its leading 0")
    if n < 8:
        return _invalid(raw, "too short")
    return _invalid(raw, "not a Vietnamese number: unassigned prefix or wrong length")


def _fixed(raw: str, nsn: str) -> NumberInfo:
    allowed_first = BIG_CITY_AREA_CODES.get(nsn[:2])
    if allowed_first is not None:
        subscriber = nsn[2:]
        if len(subscriber) != 8:
            return _invalid(raw, f"wrong length: area code 0{nsn[:2]} takes 8 digits")
        if subscriber[0] not in allowed_first:
            return _invalid(raw, f"0{nsn[:2]} {subscriber[0]}… is not an assigned fixed-line block")
        return NumberInfo(raw, "+84" + nsn, FIXED)
    if nsn[:3] in PROVINCE_AREA_CODES:
        if len(nsn) != 10:
            return _invalid(raw, f"wrong length: area code 0{nsn[:3]} takes 7 digits")
        return NumberInfo(raw, "+84" + nsn, FIXED)
    return _invalid(raw, f"0{nsn[:3]} is not an assigned area code")


def _foreign(raw: str, digits: str) -> NumberInfo:
    if not digits or digits.startswith("0"):
        return _invalid(raw, "no country code after the international prefix")
    # Fast path: split the country code off the digits and validate the number as written, which
    # skips phonenumbers' text parser; anything unusual (e.g. "+44 (0) 20…") falls back to it.
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[size:]
            if rest and len(rest) <= 17:
                zeros = len(rest) - len(rest.lstrip("0"))
                number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(rest),
                                                  italian_leading_zero=zeros > 0 or None,
                                                  number_of_leading_zeros=zeros if zeros > 1 else None)
                if phonenumbers.is_valid_number(number):
                    return NumberInfo(raw, "+" + digits, FOREIGN)
            break
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return _invalid(raw, "unknown country code")
    if not phonenumbers.is_valid_number(parsed):
        return _invalid(raw, "not a valid number for its country")
    return NumberInfo(raw, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                      FOREIGN)


def _why_not_digits(digits: str) -> str:
    if not digits:
        return "empty"
    if "+" in digits:
        return "'+' may only appear once, at the start"
    lowered = digits.lower()
    if "ext" in lowered or "x" in lowered or "#" in lowered or "," in lowered or ";" in lowered:
        return "extensions are not accepted"
    if any(c.isalpha() for c in digits):
        return "letters are not part of a phone number"
    return "unexpected character(s): " + "".join(sorted({c for c in digits if not c.isdigit()}))[:10]


def region_of(e164: str) -> str | None:
    """ISO country of an E.164 number, or None when it is not valid anywhere."""
    if e164.startswith("+84"):
        return "VN" if classify(e164).valid else None
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed) if phonenumbers.is_valid_number(parsed) else None


def line_type_of(info: NumberInfo) -> str | None:
    """Map a classification to a hotline line type (`local`, `mobile`, `toll_free`), if any."""
    if info.type == MOBILE:
        return "mobile"
    if info.type == FIXED:
        return "local"
    if info.type == TOLL_FREE:
        return "toll_free"
    if info.type == FOREIGN and info.e164:
        kind = phonenumbers.number_type(phonenumbers.parse(info.e164, None))
        pnt = phonenumbers.PhoneNumberType
        return {pnt.MOBILE: "mobile", pnt.FIXED_LINE: "local", pnt.FIXED_LINE_OR_MOBILE: "local",
                pnt.TOLL_FREE: "toll_free"}.get(kind)
    return None
