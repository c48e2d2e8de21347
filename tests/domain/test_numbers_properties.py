"""Property tests: every accepted formatting of a valid number classifies identically; ported numbers
override the prefix; the plan in code matches the data file."""

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tongdai.domain.numbering_plan import MOBILE_NETWORK_CODES, PROVINCE_AREA_CODES
from tongdai.domain.numbers import classify

ROOT = Path(__file__).resolve().parents[2]

digits = st.text(alphabet="0123456789", min_size=7, max_size=7)
mobile_nsn = st.builds(lambda code, rest: code + rest, st.sampled_from(sorted(MOBILE_NETWORK_CODES)), digits)
fixed_nsn = st.one_of(
    st.builds(lambda code, first, rest: code + first + rest, st.sampled_from(["24"]), st.sampled_from("2345678"), digits),
    st.builds(lambda code, first, rest: code + first + rest, st.sampled_from(["28"]), st.sampled_from("23456789"), digits),
    st.builds(lambda code, rest: code + rest, st.sampled_from(sorted(PROVINCE_AREA_CODES)), digits),
)
national = st.one_of(mobile_nsn, fixed_nsn)
prefixes = st.sampled_from(["0", "+84", "84", "0084", "(+84)", "+84 (0)", "+84 0", "(0)", "+84-", "0084 "])


@st.composite
def formatted(draw, nsn_strategy=national):
    nsn = draw(nsn_strategy)
    prefix = draw(prefixes)
    out = []
    for ch in nsn:
        out.append(ch)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from([" ", ".", "-", " - ", "  "])))
    body = "".join(out).strip(" .-")
    if prefix == "(0)":
        body = f"(0{nsn[:2]}) " + body[2:].lstrip(" .-") if nsn[:2] == body[:2] else "0" + body
        return nsn, body
    return nsn, f"{prefix}{draw(st.sampled_from(['', ' ']))}{body}"


@settings(max_examples=500)
@given(formatted())
def test_every_accepted_formatting_of_a_valid_number_classifies_identically(case):
    nsn, text = case
    canonical = classify("0" + nsn)
    assert canonical.valid
    got = classify(text)
    assert (got.e164, got.type, got.carrier) == (canonical.e164, canonical.type, canonical.carrier), text


@given(mobile_nsn)
def test_nine_digit_mobile_that_lost_its_zero_is_the_same_number(nsn):
    assert classify(nsn).e164 == classify("0" + nsn).e164 == "+84" + nsn


@given(mobile_nsn, st.sampled_from(["viettel", "vinaphone", "mobifone", "reddi"]))
def test_a_ported_number_takes_the_carrier_of_the_override_table(nsn, carrier):
    info = classify("0" + nsn, {"+84" + nsn: carrier})
    assert info.carrier == carrier
    assert info.ported == (carrier != MOBILE_NETWORK_CODES[nsn[:2]])


@given(st.text(max_size=30))
def test_classify_never_raises_and_invalid_always_has_a_reason(text):
    info = classify(text)
    assert info.valid or info.reason


def test_the_plan_in_code_matches_the_data_file():
    paths = [ROOT / "data" / "vn_mobile_network_codes.tsv", ROOT.parent / "shared" / "data" / "vn_mobile_network_codes.tsv"]
    for path in [p for p in paths if p.exists()] or pytest_fail(paths):
        with path.open() as f:
            table = {row["code"]: row["carrier"] for row in csv.DictReader(f, delimiter="\t")}
        assert table == MOBILE_NETWORK_CODES, path


def pytest_fail(paths):
    raise AssertionError(f"no numbering-plan file at {paths}")
