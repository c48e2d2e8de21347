"""The caller-ID decision: one test per rule and per refusal code, plus hypothesis properties."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tongdai.domain.caller_id import CallingAgent, Catalogue, HotlineUsage, choose_caller_id
from tongdai.domain.model import AdaptiveNumber, Hotline

SALES, CARE = "gr_sales", "gr_care"


def line(hid, number, carrier, *, outbound=True, groups="all", number_type="carrier", record=False):
    return Hotline(id=hid, tenant_id="tn_1", number_type=number_type, country="VN", line_type="mobile",
                   number=number, name=hid, outbound_enabled=outbound, outbound_groups=groups,
                   record_calls=record, queue_id="qu_1", carrier=carrier)


VIETTEL = line("hl_viettel", "+84981000001", "viettel", groups=(SALES,), record=True)
VIETTEL2 = line("hl_viettel2", "+84981000002", "viettel")
VINA = line("hl_vina", "+84912000001", "vinaphone")
MOBI = line("hl_mobi", "+84901000001", "mobifone", groups=(CARE,))
CLOSED = line("hl_closed", "+84901000002", "mobifone", outbound=False)
VIRTUAL = line("hl_virtual", "+842838259999", None, outbound=False, number_type="virtual")
AUTO = AdaptiveNumber(id="an_auto", tenant_id="tn_1", name="Auto", fallback_hotline_id="hl_vina")
NO_FALLBACK = AdaptiveNumber(id="an_bare", tenant_id="tn_1", name="Bare")
MEMBERS = AdaptiveNumber(id="an_members", tenant_id="tn_1", name="Members", members=("hl_viettel2", "hl_mobi"))
OFF = AdaptiveNumber(id="an_off", tenant_id="tn_1", name="Off", outbound_enabled=False)
ALL = [VIETTEL, VIETTEL2, VINA, MOBI, CLOSED, VIRTUAL]

sales_agent = CallingAgent("ag_1", frozenset({SALES}))
care_agent = CallingAgent("ag_2", frozenset({CARE}))


def decide(requested=None, destination="0981234567", agent=sales_agent, hotlines=ALL, adaptive=(AUTO, NO_FALLBACK,
           MEMBERS, OFF), usage=None, ported=None, seed=0):
    catalogue = Catalogue(hotlines, adaptive)
    usage = usage or HotlineUsage()
    usage.track_all(hotlines)
    return choose_caller_id(catalogue=catalogue, usage=usage, agent=agent, destination=destination,
                            requested=requested, chooser=random.Random(seed), ported=ported)


def test_explicit_permitted_hotline_is_used_and_its_recording_applies():
    d = decide("hl_viettel")
    assert d.hotline is VIETTEL and d.record and not d.refused


def test_hotline_may_be_requested_by_its_number():
    assert decide("+84912000001").hotline is VINA


def test_invalid_destination_is_refused():
    d = decide("hl_viettel", destination="0912 ext 5")
    assert d.code == "invalid_destination" and d.refused


def test_virtual_number_cannot_call_out():
    assert decide("hl_virtual").code == "virtual_cannot_call_out"


def test_hotline_with_outbound_disabled_is_refused():
    assert decide("hl_closed").code == "hotline_outbound_disabled"


def test_agent_outside_permitted_groups_is_refused():
    assert decide("hl_mobi").code == "group_not_permitted"


def test_unknown_caller_is_refused():
    assert decide("hl_nothing").code == "unknown_caller"


def test_adaptive_number_with_outbound_disabled_is_refused():
    assert decide("an_off").code == "hotline_outbound_disabled"


def test_adaptive_picks_the_same_carrier_hotline():
    d = decide("an_auto", destination="0981234567")
    assert d.hotline.carrier == "viettel" and d.adaptive_number_id == "an_auto"


def test_adaptive_picks_the_least_recently_used_same_carrier_hotline():
    usage = HotlineUsage.from_times(ALL, {"hl_viettel": 100.0, "hl_viettel2": 50.0})
    assert decide("an_auto", usage=usage).hotline is VIETTEL2
    usage.touch(VIETTEL2)
    assert decide("an_auto", usage=usage).hotline is VIETTEL


def test_adaptive_skips_same_carrier_hotlines_the_agent_may_not_use():
    # VIETTEL permits only sales; the care agent gets VIETTEL2 even if VIETTEL is older
    usage = HotlineUsage.from_times(ALL, {"hl_viettel2": 10.0})
    assert decide("an_auto", agent=care_agent, usage=usage).hotline is VIETTEL2


def test_adaptive_without_same_carrier_uses_the_permitted_fallback():
    d = decide("an_auto", destination="0521234567")  # Vietnamobile: no such hotline
    assert d.hotline is VINA
    assert any("fallback" in r for r in d.reasons)


def test_adaptive_with_an_unpermitted_fallback_picks_a_random_permitted_hotline():
    auto = AdaptiveNumber(id="an_auto", tenant_id="tn_1", name="Auto", fallback_hotline_id="hl_mobi")
    picks = {decide("an_auto", destination="0521234567", adaptive=(auto,), seed=s).hotline.id for s in range(30)}
    assert picks <= {"hl_viettel", "hl_viettel2", "hl_vina"} and len(picks) > 1


def test_adaptive_restricted_to_its_members():
    d = decide("an_members", destination="0981234567")
    assert d.hotline is VIETTEL2  # VIETTEL is not a member


def test_adaptive_with_nothing_permitted_refuses():
    d = decide("an_bare", hotlines=[VIETTEL, CLOSED, VIRTUAL], agent=care_agent)
    assert d.code == "no_permitted_hotline"


def test_fixed_line_destination_has_no_carrier_and_goes_to_fallback():
    assert decide("an_auto", destination="024 3825 1234").hotline is VINA


def test_ported_number_uses_its_new_carrier():
    d = decide("an_auto", destination="0981234567", ported={"+84981234567": "mobifone"}, agent=care_agent)
    assert d.hotline is MOBI and d.destination.ported


def test_no_request_uses_the_agents_default():
    agent = CallingAgent("ag_1", frozenset({SALES}), default_caller_id="hl_vina")
    assert decide(None, agent=agent).hotline is VINA


def test_no_request_and_no_default_chooses_like_an_adaptive_number():
    assert decide(None, destination="0912345678").hotline is VINA


def test_the_reasons_explain_the_choice():
    d = decide("an_auto")
    assert d.reasons[0].startswith("destination +84981234567 is a viettel mobile")
    assert "least recently used" in d.reasons[-1]


# -- properties ------------------------------------------------------------------------------------

CARRIERS = ["viettel", "vinaphone", "mobifone", "vietnamobile"]
PREFIX = {"viettel": "098", "vinaphone": "091", "mobifone": "090", "vietnamobile": "092"}
GROUPS = ["gr_a", "gr_b", "gr_c"]


@st.composite
def tenants(draw):
    n = draw(st.integers(1, 12))
    hotlines = []
    for i in range(n):
        carrier = draw(st.sampled_from(CARRIERS))
        virtual = draw(st.booleans()) and draw(st.booleans())
        groups = draw(st.one_of(st.just("all"), st.lists(st.sampled_from(GROUPS), max_size=2, unique=True).map(tuple)))
        hotlines.append(line(f"hl_{i}", f"+84{PREFIX[carrier][1:]}{i:07d}", None if virtual else carrier,
                             outbound=False if virtual else draw(st.booleans()), groups=groups,
                             number_type="virtual" if virtual else "carrier"))
    ids = [h.id for h in hotlines]
    members = tuple(draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)))
    fallback = draw(st.one_of(st.none(), st.sampled_from(ids)))
    adaptive = AdaptiveNumber(id="an_p", tenant_id="tn_1", name="P", fallback_hotline_id=fallback, members=members)
    agent = CallingAgent("ag_p", frozenset(draw(st.lists(st.sampled_from(GROUPS), max_size=2))))
    requested = draw(st.one_of(st.none(), st.just("an_p"), st.sampled_from(ids)))
    dest_carrier = draw(st.sampled_from(CARRIERS))
    destination = PREFIX[dest_carrier] + f"{draw(st.integers(0, 9999999)):07d}"
    last_used = {hid: float(draw(st.integers(0, 5))) for hid in draw(st.lists(st.sampled_from(ids), unique=True))}
    return hotlines, adaptive, agent, requested, destination, last_used


def permitted(h, agent):
    return h.number_type == "carrier" and h.outbound_enabled and (
        h.outbound_groups == "all" or bool(agent.groups & set(h.outbound_groups)))


@settings(max_examples=400)
@given(tenants(), st.integers(0, 1000))
def test_the_decision_never_returns_a_virtual_disabled_or_unpermitted_hotline(case, seed):
    hotlines, adaptive, agent, requested, destination, last_used = case
    d = decide(requested, destination, agent, hotlines, (adaptive,), HotlineUsage.from_times(hotlines, last_used), seed=seed)
    if not d.refused:
        assert permitted(d.hotline, agent)
    else:
        assert d.code in {"virtual_cannot_call_out", "hotline_outbound_disabled", "group_not_permitted",
                          "no_permitted_hotline", "invalid_destination"}


@settings(max_examples=400)
@given(tenants(), st.integers(0, 1000))
def test_adaptive_numbers_prefer_a_same_carrier_hotline_whenever_a_permitted_one_exists(case, seed):
    hotlines, adaptive, agent, _, destination, last_used = case
    d = decide("an_p", destination, agent, hotlines, (adaptive,), HotlineUsage.from_times(hotlines, last_used), seed=seed)
    carrier = d.destination.carrier
    pool = [h for h in hotlines if permitted(h, agent) and (not adaptive.members or h.id in adaptive.members)]
    same = [h for h in pool if h.carrier == carrier]
    if same:
        assert d.hotline.carrier == carrier
        # and it is the least recently used of them
        oldest = min(last_used.get(h.id, -1.0) for h in same)
        assert last_used.get(d.hotline.id, -1.0) == oldest
    elif not pool and not (adaptive.fallback_hotline_id and any(
            h.id == adaptive.fallback_hotline_id and permitted(h, agent) for h in hotlines)):
        assert d.code == "no_permitted_hotline"


def test_international_and_premium_destinations_are_refused_until_the_operator_opens_them():
    from tongdai.domain.model import DestinationPolicy
    catalogue = Catalogue(ALL, (AUTO,))

    def decide_with(policy, destination):
        usage = HotlineUsage()
        usage.track_all(ALL)
        return choose_caller_id(catalogue=catalogue, usage=usage, agent=sales_agent, destination=destination,
                                requested="hl_viettel", chooser=random.Random(0), policy=policy)

    closed = DestinationPolicy()
    for destination in ("+88213000000", "+1 202 555 0123", "1900 1234"):
        d = decide_with(closed, destination)
        assert d.refused and d.code == "destination_not_allowed", destination
        assert "not open for this tenant" in d.reasons[-1]
    assert not decide_with(closed, "0981234567").refused  # domestic mobile: always open
    assert not decide_with(closed, "1800 1234").refused  # toll-free: always open
    assert not decide_with(DestinationPolicy(international=True), "+1 202 555 0123").refused
    assert decide_with(DestinationPolicy(international=True), "1900 1234").code == "destination_not_allowed"
    assert not decide_with(DestinationPolicy(premium=True), "1900 1234").refused
