"""Queue and IVR tree rules: references inside the tenant, a root, valid keys and targets."""

from tongdai.domain.model import IvrNode, IvrTarget, IvrTree, MaxWaitAction, Prompt, Queue, QueueGroup
from tongdai.domain.rules import TenantRefs, validate_ivr_tree, validate_queue

REFS = TenantRefs(groups=frozenset({"gr_a", "gr_b"}), queues=frozenset({"qu_main", "qu_other"}),
                  audio=frozenset({"au_hello"}), agents=frozenset({"ag_an"}))


def codes(violations):
    return {(v.field, v.code) for v in violations}


def queue(**changes) -> Queue:
    base = dict(id="qu_main", tenant_id="tn_1", name="Main", groups=(QueueGroup("gr_a", 1), QueueGroup("gr_b", 2)))
    return Queue(**{**base, **changes})


def test_a_valid_queue_passes():
    assert validate_queue(queue(), REFS) == []


def test_queue_groups_belong_to_the_tenant():
    assert ("groups[0].group_id", "unknown_group") in codes(validate_queue(queue(groups=(QueueGroup("gr_z"),)), REFS))


def test_queue_ring_strategy_is_known():
    assert ("strategy", "invalid_value") in codes(validate_queue(queue(strategy="random"), REFS))


def test_queue_ring_timeout_is_bounded():
    assert ("ring_timeout_seconds", "out_of_range") in codes(validate_queue(queue(ring_timeout_seconds=1), REFS))


def test_max_wait_overflow_queue_exists_and_is_not_itself():
    assert ("max_wait_action.queue_id", "unknown_queue") in codes(
        validate_queue(queue(max_wait_action=MaxWaitAction("queue", queue_id="qu_gone")), REFS))
    assert ("max_wait_action.queue_id", "invalid_value") in codes(
        validate_queue(queue(max_wait_action=MaxWaitAction("queue", queue_id="qu_main")), REFS))
    assert validate_queue(queue(max_wait_action=MaxWaitAction("queue", queue_id="qu_other")), REFS) == []


def test_max_wait_external_number_is_valid():
    assert ("max_wait_action.number", "invalid_number") in codes(
        validate_queue(queue(max_wait_action=MaxWaitAction("external", number="12ab")), REFS))
    assert validate_queue(queue(max_wait_action=MaxWaitAction("external", number="0912345678")), REFS) == []


def node(node_id="main", **branches) -> IvrNode:
    return IvrNode(id=node_id, prompt=Prompt("tts", text="Xin chào"), branches=tuple(branches.items()))


def tree(*nodes, root="main") -> IvrTree:
    return IvrTree(id="iv_1", tenant_id="tn_1", name="Menu", root_node_id=root, nodes=nodes)


def test_a_valid_tree_passes():
    t = tree(node("main", **{"1": IvrTarget("queue", queue_id="qu_main"), "2": IvrTarget("node", node_id="more"),
                             "no_input": IvrTarget("hangup"), "invalid_input": IvrTarget("node", node_id="main")}),
             node("more", **{"#": IvrTarget("external", number="+84912345678")}))
    assert validate_ivr_tree(t, REFS) == []


def test_tree_needs_a_root_among_its_nodes():
    assert ("root_node_id", "unknown_node") in codes(validate_ivr_tree(tree(node("main"), root="start"), REFS))
    assert ("root_node_id", "root_required") in codes(validate_ivr_tree(tree(node("main"), root=""), REFS))


def test_branch_to_a_missing_node_is_refused():
    t = tree(node("main", **{"1": IvrTarget("node", node_id="nowhere")}))
    assert ("nodes[0].branches.1.node_id", "unknown_node") in codes(validate_ivr_tree(t, REFS))


def test_branch_to_another_tenants_queue_is_refused():
    t = tree(node("main", **{"1": IvrTarget("queue", queue_id="qu_foreign")}))
    assert ("nodes[0].branches.1.queue_id", "unknown_queue") in codes(validate_ivr_tree(t, REFS))


def test_only_keys_0_to_9_star_hash_and_the_event_branches():
    t = tree(node("main", **{"A": IvrTarget("hangup")}))
    assert ("nodes[0].branches.A", "invalid_key") in codes(validate_ivr_tree(t, REFS))


def test_audio_prompt_must_be_an_uploaded_file_of_the_tenant():
    t = tree(IvrNode(id="main", prompt=Prompt("audio", audio_id="au_missing")))
    assert ("nodes[0].prompt.audio_id", "unknown_audio") in codes(validate_ivr_tree(t, REFS))
    assert validate_ivr_tree(tree(IvrNode(id="main", prompt=Prompt("audio", audio_id="au_hello"))), REFS) == []


def test_text_prompt_needs_text():
    t = tree(IvrNode(id="main", prompt=Prompt("tts", text=" ")))
    assert ("nodes[0].prompt.text", "prompt_required") in codes(validate_ivr_tree(t, REFS))


def test_node_ids_are_unique():
    assert ("nodes[1].id", "duplicate") in codes(validate_ivr_tree(tree(node("main"), node("main")), REFS))


def test_a_node_taking_several_digits_branches_on_codes_no_longer_than_its_max_digits():
    codes_node = IvrNode(id="main", prompt=Prompt("tts", text="Nhập mã"), max_digits=3, branches=(
        ("123", IvrTarget("queue", queue_id="qu_main")), ("*9", IvrTarget("hangup")), ("#", IvrTarget("hangup")),
        ("no_answer", IvrTarget("hangup"))))
    assert validate_ivr_tree(tree(codes_node), REFS) == []
    too_long = IvrNode(id="main", prompt=Prompt("tts", text="Nhập mã"), max_digits=3,
                       branches=(("1234", IvrTarget("hangup")),))
    assert ("nodes[0].branches.1234", "invalid_key") in codes(validate_ivr_tree(tree(too_long), REFS))
    one_key = tree(node("main", **{"12": IvrTarget("hangup")}))  # a one-key menu takes no codes
    assert ("nodes[0].branches.12", "invalid_key") in codes(validate_ivr_tree(one_key, REFS))
    assert ("nodes[0].max_digits", "out_of_range") in codes(validate_ivr_tree(tree(IvrNode(
        id="main", prompt=Prompt("tts", text="x"), max_digits=21)), REFS))


def test_an_extension_node_branches_on_events_only_and_an_agent_target_is_an_agent_of_the_tenant():
    ext = IvrNode(id="main", prompt=Prompt("tts", text="Nhập số máy lẻ"), kind="extension", max_digits=6,
                  branches=(("no_answer", IvrTarget("agent", agent_id="ag_an")),
                            ("invalid_input", IvrTarget("node", node_id="main"))))
    assert validate_ivr_tree(tree(ext), REFS) == []
    keyed = IvrNode(id="main", prompt=Prompt("tts", text="x"), kind="extension", max_digits=6,
                    branches=(("1", IvrTarget("hangup")),))
    assert ("nodes[0].branches.1", "invalid_key") in codes(validate_ivr_tree(tree(keyed), REFS))
    foreign = tree(node("main", **{"1": IvrTarget("agent", agent_id="ag_foreign")}))
    assert ("nodes[0].branches.1.agent_id", "unknown_agent") in codes(validate_ivr_tree(foreign, REFS))
