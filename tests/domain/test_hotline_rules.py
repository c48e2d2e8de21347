"""One test per hotline rule of product.md, on plain data (no database)."""

from tongdai.domain.model import AdaptiveNumber, Agent, Hotline
from tongdai.domain.rules import TenantRefs, validate_adaptive_number, validate_agent, validate_hotline

REFS = TenantRefs(groups=frozenset({"gr_sales", "gr_care"}), queues=frozenset({"qu_main"}),
                  ivr_trees=frozenset({"iv_menu"}), hotlines={"hl_v": "carrier", "hl_x": "virtual"},
                  adaptive_numbers=frozenset({"an_auto"}))


def hotline(**changes) -> Hotline:
    base = dict(id="hl_1", tenant_id="tn_1", number_type="carrier", country="VN", line_type="mobile",
                number="+84981000001", name="Sales", queue_id="qu_main")
    return Hotline(**{**base, **changes})


def codes(violations) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in violations}


def test_a_valid_hotline_has_no_violations():
    assert validate_hotline(hotline(outbound_enabled=True, outbound_groups=("gr_sales",)), REFS) == []


def test_virtual_number_cannot_call_out():
    assert ("outbound_enabled", "virtual_cannot_call_out") in codes(
        validate_hotline(hotline(number_type="virtual", outbound_enabled=True), REFS))


def test_virtual_number_without_outbound_is_fine():
    assert validate_hotline(hotline(number_type="virtual", outbound_enabled=False), REFS) == []


def test_ivr_on_needs_an_ivr_tree():
    assert ("ivr_tree_id", "ivr_tree_required") in codes(validate_hotline(hotline(ivr_enabled=True), REFS))


def test_ivr_tree_must_belong_to_the_tenant():
    assert ("ivr_tree_id", "unknown_ivr_tree") in codes(
        validate_hotline(hotline(ivr_enabled=True, ivr_tree_id="iv_other"), REFS))


def test_ivr_on_with_a_tree_needs_no_queue():
    assert validate_hotline(hotline(ivr_enabled=True, ivr_tree_id="iv_menu", queue_id=None), REFS) == []


def test_ivr_off_needs_a_queue():
    assert ("queue_id", "queue_required") in codes(validate_hotline(hotline(queue_id=None), REFS))


def test_queue_must_belong_to_the_tenant():
    assert ("queue_id", "unknown_queue") in codes(validate_hotline(hotline(queue_id="qu_other"), REFS))


def test_outbound_groups_list_only_groups_of_the_tenant():
    assert ("outbound_groups", "unknown_group") in codes(
        validate_hotline(hotline(outbound_groups=("gr_sales", "gr_elsewhere")), REFS))


def test_outbound_groups_may_be_all():
    assert validate_hotline(hotline(outbound_groups="all"), REFS) == []


def test_wrap_up_seconds_is_a_whole_number_within_bounds():
    for bad in (-1, 3601, 1.5, True):
        assert ("wrap_up_seconds", "out_of_range") in codes(validate_hotline(hotline(wrap_up_seconds=bad), REFS))
    assert validate_hotline(hotline(wrap_up_seconds=0), REFS) == []
    assert validate_hotline(hotline(wrap_up_seconds=3600), REFS) == []


def test_notify_answer_seconds_is_a_whole_number_within_bounds():
    assert ("notify_answer_seconds", "out_of_range") in codes(
        validate_hotline(hotline(notify_answer_seconds=-5), REFS))
    assert validate_hotline(hotline(notify_answer_seconds=0), REFS) == []


def test_name_is_required_and_bounded():
    assert ("name", "required") in codes(validate_hotline(hotline(name="  "), REFS))
    assert ("name", "too_long") in codes(validate_hotline(hotline(name="x" * 101), REFS))


def test_every_violation_is_reported_at_once():
    found = codes(validate_hotline(hotline(number_type="virtual", outbound_enabled=True, queue_id=None,
                                           wrap_up_seconds=-1), REFS))
    assert {("outbound_enabled", "virtual_cannot_call_out"), ("queue_id", "queue_required"),
            ("wrap_up_seconds", "out_of_range")} <= found


def test_adaptive_fallback_must_be_a_tenant_hotline():
    a = AdaptiveNumber(id="an_1", tenant_id="tn_1", name="Auto", fallback_hotline_id="hl_nope")
    assert ("fallback_hotline_id", "unknown_hotline") in codes(validate_adaptive_number(a, REFS))


def test_adaptive_fallback_cannot_be_virtual():
    a = AdaptiveNumber(id="an_1", tenant_id="tn_1", name="Auto", fallback_hotline_id="hl_x")
    assert ("fallback_hotline_id", "virtual_cannot_call_out") in codes(validate_adaptive_number(a, REFS))


def test_adaptive_members_are_tenant_hotlines():
    a = AdaptiveNumber(id="an_1", tenant_id="tn_1", name="Auto", members=("hl_v", "hl_gone"))
    assert ("members", "unknown_hotline") in codes(validate_adaptive_number(a, REFS))


def agent(**changes) -> Agent:
    base = dict(id="ag_1", tenant_id="tn_1", name="An", sip_username="an", extension="101", groups=("gr_sales",))
    return Agent(**{**base, **changes})


def test_agent_groups_belong_to_the_tenant():
    assert ("groups", "unknown_group") in codes(validate_agent(agent(groups=("gr_x",)), REFS, None))


def test_agent_default_caller_is_a_tenant_hotline_or_adaptive_number():
    assert validate_agent(agent(default_caller_id="an_auto"), REFS, None) == []
    assert validate_agent(agent(default_caller_id="hl_v"), REFS, None) == []
    assert ("default_caller_id", "unknown_caller") in codes(validate_agent(agent(default_caller_id="hl_q"), REFS, None))


def test_agent_default_caller_cannot_be_a_virtual_number():
    assert ("default_caller_id", "virtual_cannot_call_out") in codes(
        validate_agent(agent(default_caller_id="hl_x"), REFS, None))


def test_agent_sip_password_has_at_least_eight_characters():
    assert ("sip_password", "too_short") in codes(validate_agent(agent(), REFS, "short"))


def test_agent_extension_is_two_to_six_digits():
    assert ("extension", "invalid_value") in codes(validate_agent(agent(extension="1"), REFS, None))
    assert ("extension", "invalid_value") in codes(validate_agent(agent(extension="12a"), REFS, None))
